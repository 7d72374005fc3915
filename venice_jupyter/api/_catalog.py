"""The Venice model catalog, sans-IO.

The client fetches GET /models, /models/traits and /models/compatibility_mapping and hands the
JSON bodies to ``ModelCatalog.from_payloads``. This module turns them into ``ModelInfo`` records,
resolves what a person types into a model, checks a request against the model's capabilities
before anything is sent (Venice would answer 400 anyway, but later and less helpfully) and
estimates cost from the published per-1M-token pricing.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.reply import Cost, Usage

__all__ = [
    "CAPABILITY_LETTERS",
    "CAPABILITY_WORDS",
    "MODELS_HINT",
    "ModelCatalog",
    "ModelInfo",
    "Pricing",
    "Rate",
    "cache_savings",
    "estimate_cost",
    "split_suffix",
]

# Capability flag -> (table letter, words for an error message). ``_listing.summary_row`` shows
# the letters.
_CAPS: Mapping[str, tuple[str, str]] = {
    "supportsFunctionCalling": ("F", "function calling"),
    "supportsReasoning": ("R", "reasoning"),
    "supportsReasoningEffort": ("E", "reasoning effort"),
    "supportsResponseSchema": ("S", "structured output"),
    "supportsVision": ("V", "image input"),
    "supportsAudioInput": ("A", "audio input"),
    "supportsVideoInput": ("M", "video input"),
    "supportsLogProbs": ("L", "logprobs"),
    "supportsWebSearch": ("W", "web search"),
    "supportsXSearch": ("X", "X search"),
    "supportsTeeAttestation": ("T", "TEE attestation"),
}
CAPABILITY_LETTERS: Mapping[str, str] = {letter: flag for flag, (letter, _) in _CAPS.items()}
CAPABILITY_WORDS: Mapping[str, str] = {flag: words for flag, (_, words) in _CAPS.items()}
# The sampling defaults each text model publishes under model_spec.constraints.
_DEFAULT_KEYS = (
    "temperature",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
)
MODELS_HINT = "Run `%venice models` to list the models."


@dataclass(frozen=True)
class Rate:
    """A price per 1M tokens."""

    usd: float
    diem: float


@dataclass(frozen=True)
class Pricing:
    input: Rate
    output: Rate
    cache_input: Rate | None = None
    cache_write: Rate | None = None
    # When prompt tokens exceed ``threshold``, ``extended`` rates apply to the whole request.
    threshold: int | None = None
    extended: Pricing | None = None


@dataclass(frozen=True)
class ModelInfo:
    """One entry of GET /models. Dict fields keep Venice's camelCase keys as given."""

    id: str
    name: str = ""
    description: str = ""
    type: str = "text"
    context_length: int | None = None
    max_completion_tokens: int | None = None
    capabilities: dict[str, Any] = field(default_factory=dict, hash=False)
    traits: tuple[str, ...] = ()
    privacy: str | None = None
    offline: bool = False
    beta: bool = False
    deprecation: dict[str, Any] | None = field(default=None, hash=False)
    defaults: dict[str, float] = field(default_factory=dict, hash=False)
    pricing: Pricing | None = None
    reasoning_effort_options: tuple[str, ...] = ()
    default_reasoning_effort: str | None = None

    @property
    def replacement(self) -> str | None:
        """The model Venice names to use instead, when this one is deprecated."""
        value = (self.deprecation or {}).get("replacementModelId")
        return value if isinstance(value, str) and value else None

    @property
    def removal_date(self) -> str | None:
        """``YYYY-MM-DD`` the model goes away (``removesAt``, else ``date``), if deprecated."""
        dep = self.deprecation or {}
        value = dep.get("removesAt") or dep.get("date")
        return value[:10] if isinstance(value, str) and value else None

    def supports(self, capability: str) -> bool:
        """Known to have it (the catalog says so)."""
        return self.capabilities.get(capability) is True

    @property
    def caches_prompts(self) -> bool:
        """Venice prices cache reads (or writes) for it: it has a prompt cache."""
        p = self.pricing
        return p is not None and (p.cache_input is not None or p.cache_write is not None)

    @property
    def explicit_cache(self) -> bool:
        """It caches only where ``cache_control`` marks a breakpoint, and bills the writing
        (a ``cache_write`` price, as Anthropic's models have)."""
        return self.pricing is not None and self.pricing.cache_write is not None

    def lacks(self, capability: str) -> bool:
        """Known not to have it. A server that publishes no capability flags (a generic
        OpenAI-compatible one) knows neither: the request goes out and the server decides."""
        return self.capabilities.get(capability) is False

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> ModelInfo:
        spec = _dict(entry.get("model_spec"))
        caps = _dict(spec.get("capabilities"))
        constraints = _dict(spec.get("constraints"))
        defaults = {k: _num(_dict(constraints.get(k)).get("default")) for k in _DEFAULT_KEYS}
        deprecation = spec.get("deprecation")
        context = _num(spec.get("availableContextTokens")) or _num(entry.get("context_length"))
        max_out = _num(spec.get("maxCompletionTokens"))
        return cls(
            id=str(entry["id"]),
            name=str(spec.get("name") or entry["id"]),
            description=str(spec.get("description") or ""),
            type=str(entry.get("type") or "text"),
            context_length=int(context) if context else None,
            max_completion_tokens=int(max_out) if max_out else None,
            capabilities=dict(caps),
            traits=tuple(str(t) for t in spec.get("traits") or ()),
            privacy=_str(spec.get("privacy")),
            offline=spec.get("offline") is True,
            beta=spec.get("beta") is True or spec.get("betaModel") is True,
            deprecation=dict(deprecation) if isinstance(deprecation, dict) else None,
            defaults={k: v for k, v in defaults.items() if v is not None},
            pricing=_pricing(spec.get("pricing")),
            reasoning_effort_options=tuple(
                str(o) for o in caps.get("reasoningEffortOptions") or ()
            ),
            default_reasoning_effort=_str(caps.get("defaultReasoningEffort")),
        )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _num(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok else None


def _rate(value: Any) -> Rate | None:
    usd, diem = _num(_dict(value).get("usd")), _num(_dict(value).get("diem"))
    return Rate(usd, diem) if usd is not None and diem is not None else None


def _pricing(value: Any, *, nested: bool = False) -> Pricing | None:
    # Image/audio models price per generation or second: no input/output rates, so None.
    d = _dict(value)
    base_in, base_out = _rate(d.get("input")), _rate(d.get("output"))
    if base_in is None or base_out is None:
        return None
    extended = None if nested else _pricing(d.get("extended"), nested=True)
    threshold = _num(_dict(d.get("extended")).get("context_token_threshold"))
    if extended is None or threshold is None:
        extended, threshold = None, None
    cache_in, cache_out = _rate(d.get("cache_input")), _rate(d.get("cache_write"))
    limit = int(threshold) if threshold is not None else None
    return Pricing(base_in, base_out, cache_in, cache_out, limit, extended)


def _data(payload: Any) -> Any:
    """The ``data`` of a ``{"object": "list", "data": …}`` body, or the payload itself."""
    return payload.get("data") if isinstance(payload, Mapping) and "data" in payload else payload


def _norm(name: str) -> str:
    # Venice's own lookup tolerates these: "Kimi K2.5" and "kimi_k2.5" both mean kimi-k2-5.
    return re.sub(r"[\s._]+", "-", name.strip().lower()).strip("-")


def split_suffix(model: str) -> tuple[str, str]:
    """``"default:enable_web_search=on"`` -> ``("default", "enable_web_search=on")``."""
    base, _, suffix = model.partition(":")
    return base.strip(), suffix


class ModelCatalog:
    """All models Venice listed, with traits and compatibility aliases, for lookup."""

    def __init__(
        self,
        models: Iterable[ModelInfo],
        traits: Mapping[str, str] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self._models = {m.id: m for m in models}
        # Image models carry traits too ("default" is z-image-turbo); chat wants the text ones.
        derived = {t: m.id for m in reversed(self.text_models()) for t in m.traits}
        merged = {**derived, **(traits or {})}  # the /models/traits answer wins
        self._traits = {k: v for k, v in merged.items() if v in self._models}
        self._aliases = {k: v for k, v in (aliases or {}).items() if v in self._models}
        self._exact: dict[str, ModelInfo] = {}
        self._loose: dict[str, ModelInfo] = {}
        self._shown: dict[str, str] = {}  # normalised key -> spelling to suggest
        # Earlier sources win: an id beats a trait beats an alias.
        for source in ({m: m for m in self._models}, self._traits, self._aliases):
            for key, target in source.items():
                self._exact.setdefault(key.lower(), self._models[target])
                self._loose.setdefault(_norm(key), self._models[target])
                self._shown.setdefault(_norm(key), key)
        # Display names ("Ox Alpha") as a last resort, where unambiguous ("GLM 5.2" is not).
        counts = Counter(_norm(m.name) for m in self._models.values())
        self._names = {
            _norm(m.name): m for m in self._models.values() if counts[_norm(m.name)] == 1
        }

    @classmethod
    def from_payloads(
        cls, models: Any, traits: Any | None = None, mapping: Any | None = None
    ) -> ModelCatalog:
        """From the raw bodies; a bare list of models (as in Venice's static snapshot) works too."""
        entries = _data(models)
        infos = [
            ModelInfo.from_json(e)
            for e in (entries if isinstance(entries, list) else [])
            if isinstance(e, Mapping) and isinstance(e.get("id"), str)
        ]

        def pairs(body: Any) -> dict[str, str]:
            data = _data(body)
            items = data.items() if isinstance(data, Mapping) else ()
            return {str(k): v for k, v in items if isinstance(v, str)}

        return cls(infos, pairs(traits), pairs(mapping))

    @property
    def traits(self) -> dict[str, str]:
        return dict(self._traits)

    @property
    def aliases(self) -> dict[str, str]:
        return dict(self._aliases)

    def text_models(self) -> list[ModelInfo]:
        return [m for m in self._models.values() if m.type == "text"]

    def supporting(self, capability: str, limit: int = 3) -> list[ModelInfo]:
        """Text models with ``capability``: current ones and those with traits first."""
        found = [m for m in self.text_models() if m.supports(capability)]
        found.sort(key=lambda m: (m.deprecation is not None or m.beta, not m.traits, m.id))
        return found[:limit]

    def resolve(self, name: str) -> ModelInfo:
        base, _ = split_suffix(name)
        if base.lower() in self._exact:
            return self._exact[base.lower()]
        key = _norm(base)
        for candidate in (key, key.removeprefix("venice-")):
            for index in (self._loose, self._names):
                if candidate in index:
                    return index[candidate]
        close = difflib.get_close_matches(key, list(self._shown), n=3, cutoff=0.5)
        hint = f"Did you mean {', '.join(self._shown[c] for c in close)}? " if close else ""
        raise ParameterError(
            "model", name, "a model id, trait or alias Venice lists", hint=hint + MODELS_HINT
        )

    def __contains__(self, name: object) -> bool:
        try:
            return isinstance(name, str) and bool(self.resolve(name))
        except ParameterError:
            return False

    def __len__(self) -> int:
        return len(self._models)

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models.values())


def _tier(usage: Usage, model: ModelInfo) -> Pricing | None:
    tier = model.pricing
    over = tier is not None and tier.threshold is not None and usage.prompt_tokens > tier.threshold
    if tier is not None and tier.extended is not None and over:
        return tier.extended  # Venice applies the extended rates to the entire request
    return tier


def _cache_split(usage: Usage) -> tuple[int, int, int]:
    """(prompt, read, written): cache reads and writes are subsets of prompt_tokens (spec:
    "breakdown of prompt tokens"), clamped so a server's odd numbers never count twice."""
    prompt = max(usage.prompt_tokens, 0)
    read = min(max(usage.cached_tokens, 0), prompt)
    written = min(max(usage.cache_creation_tokens, 0), prompt - read)
    return prompt, read, written


def cache_savings(usage: Usage, model: ModelInfo) -> float | None:
    """USD the prompt cache saved on one reply: each cached token at the cache-read price
    instead of the input price, less what cache writes cost above the input price (a write
    premium makes the first request dearer: the saving can be negative). None when the
    model publishes no cache prices."""
    tier = _tier(usage, model)
    if tier is None or (tier.cache_input is None and tier.cache_write is None):
        return None
    _, read, written = _cache_split(usage)
    read_rate = tier.cache_input or tier.input
    write_rate = tier.cache_write or tier.input
    saved = read * (tier.input.usd - read_rate.usd) - written * (write_rate.usd - tier.input.usd)
    return saved / 1_000_000


def estimate_cost(usage: Usage, model: ModelInfo) -> Cost | None:
    """Cost from the model's pricing, or None when Venice publishes none for it."""
    tier = _tier(usage, model)
    if tier is None:
        return None
    prompt, read, written = _cache_split(usage)
    # completion_tokens includes reasoning (OpenAI convention); add it only if it plainly doesn't.
    out = usage.completion_tokens
    if usage.reasoning_tokens > out:
        out += usage.reasoning_tokens
    parts = [
        (prompt - read - written, tier.input),
        (read, tier.cache_input or tier.input),
        (written, tier.cache_write or tier.input),
        (out, tier.output),
    ]
    usd = sum(n * rate.usd for n, rate in parts) / 1_000_000
    diem = sum(n * rate.diem for n, rate in parts) / 1_000_000
    return Cost(usd=usd, diem=diem, estimated=True)
