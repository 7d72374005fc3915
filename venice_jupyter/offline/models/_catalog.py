"""The offline models, how a request's ``model`` string finds one, and GET /models entries.

The n-gram models (``MODELS``) share one trained n-gram table and differ in order, capabilities
and price:

=========================  =====  ==================================================================
id                         order  capabilities
=========================  =====  ==================================================================
venice-offline             4      logprobs, function calling, response schema, web search (default);
                                  prompt caching (automatic: cache-read price only)
venice-offline-small       2      web search only: no logprobs, tools or response_format, no caching
venice-offline-reasoning   4      reasoning (+ effort none/low/medium/high), tools, schema, search;
                                  prompt caching where cache_control marks it (cache-write price)
venice-offline-legacy      3      as venice-offline, but deprecated (deprecation headers)
=========================  =====  ==================================================================

A real model run by llama.cpp (``engine="llama"``, the ``local`` extra) joins them at run time:
``_served`` builds the catalog a server answers with, and decides which model is ``default``.

A ``model`` value may be an id, a trait (``default``), a compatibility alias (``gpt-4o``), with
Venice's tolerance for case, dots/underscores/spaces and a ``venice-`` prefix, followed by feature
suffixes (``venice-offline:enable_web_search=on&include_venice_system_prompt=false``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

__all__ = ["COMPATIBILITY", "MODELS", "TRAITS", "OfflineModel", "entries", "resolve_in"]

_CREATED: Final = 1767225600  # 2026-01-01, a fixed "release date" so listings are stable
EFFORT_TOKENS: Final = {"none": 0, "minimal": 24, "low": 48, "medium": 128, "high": 256}


@dataclass(frozen=True, slots=True)
class OfflineModel:
    id: str
    name: str
    description: str
    order: int
    traits: tuple[str, ...] = ()
    context_tokens: int = 32768
    max_completion_tokens: int = 8192
    input_usd: float = 0.10  # per million tokens, like Venice's pricing
    output_usd: float = 0.40
    # Prompt caching: a cache-read price means the model caches (automatically); a cache-write
    # price too means it caches only where ``cache_control`` marks it, and bills the writing.
    cache_input_usd: float | None = None
    cache_write_usd: float | None = None
    logprobs: bool = True
    function_calling: bool = True
    response_schema: bool = True
    web_search: bool = True
    reasoning: bool = False
    effort_options: tuple[str, ...] = ()
    default_effort: str | None = None
    temperature: float = 0.8
    top_p: float = 0.9
    code: bool = False
    deprecation_date: str | None = None
    replacement: str | None = None
    engine: str = "ngram"  # "ngram", or "llama": a GGUF model run by llama.cpp
    source: str = "venice-jupyter offline n-gram"
    gguf: str | None = None  # the model file, for engine="llama"
    # Media input: which kinds of content part it takes, and how many images in one message.
    vision: bool = False
    audio_input: bool = False
    video_input: bool = False
    max_images: int = 1

    def _pricing(self) -> dict[str, Any]:
        pricing: dict[str, Any] = {
            "input": {"usd": self.input_usd, "diem": self.input_usd},
            "output": {"usd": self.output_usd, "diem": self.output_usd},
        }
        for key, usd in (
            ("cache_input", self.cache_input_usd),
            ("cache_write", self.cache_write_usd),
        ):
            if usd is not None:
                pricing[key] = {"usd": usd, "diem": usd}
        return pricing

    def entry(self) -> dict[str, Any]:
        """This model as a GET /models ``ModelResponse``."""
        caps: dict[str, Any] = {
            "optimizedForCode": self.code,
            "quantization": "not-available",
            "supportsFunctionCalling": self.function_calling,
            "supportsAudioInput": self.audio_input,
            "supportsReasoning": self.reasoning,
            "supportsReasoningEffort": bool(self.effort_options),
            "supportsResponseSchema": self.response_schema,
            "supportsMultipleImages": self.vision and self.max_images > 1,
            "supportsVision": self.vision,
            "supportsVideoInput": self.video_input,
            "supportsWebSearch": self.web_search,
            "supportsLogProbs": self.logprobs,
            "supportsTeeAttestation": False,
            "supportsE2EE": False,
            "supportsXSearch": False,
        }
        if self.vision and self.max_images > 1:  # single-image models publish none
            caps["maxImages"] = self.max_images
        if self.video_input:
            caps["maxVideos"] = 3
        if self.effort_options:
            caps["reasoningEffortOptions"] = list(self.effort_options)
            caps["defaultReasoningEffort"] = self.default_effort
        spec: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "modelSource": self.source,
            "privacy": "private",
            "offline": False,
            "beta": False,
            "traits": list(self.traits),
            "availableContextTokens": self.context_tokens,
            "maxCompletionTokens": self.max_completion_tokens,
            "capabilities": caps,
            "constraints": {
                "temperature": {"default": self.temperature},
                "top_p": {"default": self.top_p},
                "frequency_penalty": {"default": 0},
                "presence_penalty": {"default": 0},
                "repetition_penalty": {"default": 1},
            },
            "pricing": self._pricing(),
        }
        if self.deprecation_date:
            spec["deprecation"] = {
                "autoRemap": False,
                "date": self.deprecation_date,
                "startsAt": "2026-06-01T00:00:00.000Z",
                "removesAt": self.deprecation_date,
                "replacementModelId": self.replacement,
            }
        return {
            "id": self.id,
            "object": "model",
            "owned_by": "venice.ai",
            "type": "text",
            "created": _CREATED,
            "context_length": self.context_tokens,
            "model_spec": spec,
        }


MODELS: Final = (
    OfflineModel(
        "venice-offline",
        "Venice Offline",
        "A small word n-gram model (order 4) served locally; no API key, no network.",
        order=4,
        traits=("default", "function_calling_default", "default_code"),
        code=True,
        cache_input_usd=0.01,
        vision=True,
        audio_input=True,
        video_input=True,
        max_images=10,
    ),
    OfflineModel(
        "venice-offline-small",
        "Venice Offline Small",
        "A bigram model: faster and more random; no logprobs, tools or structured output.",
        order=2,
        traits=("fastest",),
        context_tokens=8192,
        max_completion_tokens=4096,
        input_usd=0.02,
        output_usd=0.08,
        logprobs=False,
        function_calling=False,
        response_schema=False,
        temperature=1.0,
        top_p=1.0,
    ),
    OfflineModel(
        "venice-offline-reasoning",
        "Venice Offline Reasoning",
        "The order-4 model with a reasoning section (reasoning_content) before the answer.",
        order=4,
        traits=("default_reasoning", "most_intelligent"),
        input_usd=0.20,
        output_usd=0.80,
        cache_input_usd=0.02,
        cache_write_usd=0.25,
        logprobs=False,
        reasoning=True,
        effort_options=("none", "low", "medium", "high"),
        default_effort="medium",
        temperature=0.7,
        top_p=0.95,
        vision=True,  # one image per message: no supportsMultipleImages
    ),
    OfflineModel(
        "venice-offline-legacy",
        "Venice Offline Legacy",
        "The previous offline model (order 3). Deprecated: use venice-offline.",
        order=3,
        deprecation_date="2027-01-31T00:00:00.000Z",
        replacement="venice-offline",
    ),
)
TRAITS: Final = {trait: m.id for m in MODELS for trait in m.traits}
COMPATIBILITY: Final = {
    "gpt-4o": "venice-offline",
    "gpt-4o-mini": "venice-offline-small",
    "gpt-3.5-turbo": "venice-offline-small",
    "o1": "venice-offline-reasoning",
    "o3-mini": "venice-offline-reasoning",
    "deepseek-r1": "venice-offline-reasoning",
}
_BOOL_SUFFIXES: Final = frozenset(
    {
        "enable_web_citations",
        "enable_web_scraping",
        "include_venice_system_prompt",
        "include_search_results_in_stream",
        "return_search_results_as_documents",
        "strip_thinking_response",
        "disable_thinking",
    }
)
_SEPARATORS: Final = re.compile(r"[._\s]+")


def _lookup(models: tuple[OfflineModel, ...], name: str) -> OfflineModel | None:
    by_id = {m.id: m for m in models}
    traits = {trait: m.id for m in models for trait in m.traits}
    return (
        by_id.get(name) or by_id.get(traits.get(name, "")) or by_id.get(COMPATIBILITY.get(name, ""))
    )


def _suffix(text: str) -> dict[str, Any]:
    """Feature-suffix parameters; unknown keys and bad values are ignored, as Venice does."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in _BOOL_SUFFIXES and value.lower() in ("true", "false"):
            params[key] = value.lower() == "true"
        elif key == "enable_web_search" and value.lower() in ("on", "off", "auto"):
            params[key] = value.lower()
        elif key == "character_slug" and value:
            params[key] = value
    return params


def resolve_in(
    models: tuple[OfflineModel, ...], model: str
) -> tuple[OfflineModel, dict[str, Any]] | None:
    """The model of ``models`` a request names and its suffix parameters, or None (a 404)."""
    base, _, suffix = model.partition(":")
    normal = _SEPARATORS.sub("-", base.strip().lower())
    prefixed = normal[len("venice-") :] if normal.startswith("venice-") else f"venice-{normal}"
    for name in (base, normal, prefixed):
        found = _lookup(models, name)
        if found is not None:
            return found, _suffix(suffix)
    return None


def entries(models: tuple[OfflineModel, ...], kind: str) -> list[dict[str, Any]]:
    """GET /models ``data`` for ``?type=`` (text/all/code); other types have no offline models."""
    if kind in ("text", "all"):
        return [m.entry() for m in models]
    if kind == "code":
        return [m.entry() for m in models if m.code]
    return []
