"""The one table of chat-completion request parameters.

Every field of ``ChatCompletionRequest`` in ``spec/venice-openapi.yaml`` except ``model``,
``messages`` and ``stream`` (the request builder sets those), plus the 11 keys of
``venice_parameters``. Validation (``params.py``), magic options, widget controls and the README
all read this table, so a parameter is added or changed here and nowhere else. Ranges and
choices are copied from the spec; ``tests/test_params.py`` checks the table against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

__all__ = ["GROUPS", "PARAMS", "SUFFIX_KEYS", "TYPES", "Group", "Param", "ParamType"]

ParamType = Literal["float", "int", "bool", "str", "choice", "str_list", "int_list", "json"]
Group = Literal[
    "sampling", "length", "penalties", "output", "reasoning", "tools", "venice", "caching", "misc"
]
TYPES: tuple[ParamType, ...] = (
    "float", "int", "bool", "str", "choice", "str_list", "int_list", "json"
)  # fmt: skip
GROUPS: tuple[Group, ...] = (
    "sampling", "length", "penalties", "output", "reasoning", "tools", "venice", "caching", "misc"
)  # fmt: skip

_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_VERBOSITY = ("low", "medium", "high", "auto")


@dataclass(frozen=True, kw_only=True)
class Param:
    """One request parameter: where it goes in the body, what it accepts, how it is shown.

    ``default`` is the server-side default the spec states (``None`` when it states none, e.g.
    temperature, whose default is per model): for docs and a widget's initial position, never
    sent. ``capability`` is the model flag the parameter needs when it asks for the feature;
    ``capabilities.py`` decides when a value does. ``max_items`` bounds list values.
    """

    name: str
    type: ParamType
    help: str
    group: Group
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    max_items: int | None = None
    default: Any = None
    venice: bool = False
    suffix: bool = False
    capability: str | None = None
    widget: bool = False
    step: float | None = None
    cli: bool = True

    @property
    def body_path(self) -> str:
        """Where the value lands in the JSON body, for messages and docs."""
        return f"venice_parameters.{self.name}" if self.venice else self.name


def _table(*params: Param) -> Mapping[str, Param]:
    return MappingProxyType({p.name: p for p in params})


PARAMS: Mapping[str, Param] = _table(
    # sampling
    Param(name="temperature", type="float", minimum=0, maximum=2, group="sampling", widget=True,
          step=0.05, help="Randomness: 0 is near-deterministic, higher is more varied."),
    Param(name="top_p", type="float", minimum=0, maximum=1, group="sampling", widget=True,
          step=0.01, help="Nucleus sampling: keep the smallest token set with this mass."),
    Param(name="top_k", type="int", minimum=0, group="sampling", widget=True, step=1,
          help="Keep only the k most likely tokens (0 disables)."),
    Param(name="min_p", type="float", minimum=0, maximum=1, group="sampling", widget=True,
          step=0.01, help="Drop tokens below this probability relative to the top token."),
    Param(name="min_temp", type="float", minimum=0, maximum=2, group="sampling", widget=True,
          step=0.05, help="Lower bound for dynamic temperature scaling."),
    Param(name="max_temp", type="float", minimum=0, maximum=2, group="sampling", widget=True,
          step=0.05, help="Upper bound for dynamic temperature scaling."),
    Param(name="seed", type="int", minimum=0, exclusive_minimum=True, group="sampling",
          widget=True, step=1, help="Random seed (> 0) for reproducible sampling."),
    Param(name="n", type="int", default=1, group="sampling",
          help="Number of choices to generate; each one is billed."),
    # penalties
    Param(name="frequency_penalty", type="float", minimum=-2, maximum=2, default=0,
          group="penalties", widget=True, step=0.1,
          help="Penalise tokens by how often they already appeared."),
    Param(name="presence_penalty", type="float", minimum=-2, maximum=2, default=0,
          group="penalties", widget=True, step=0.1,
          help="Penalise tokens that already appeared at all (new topics)."),
    Param(name="repetition_penalty", type="float", minimum=0, group="penalties", widget=True,
          step=0.05, help="Repetition penalty: 1.0 is none, above 1 discourages repeats."),
    # length
    Param(name="max_completion_tokens", type="int", group="length", widget=True, step=1,
          help="Cap on generated tokens, reasoning tokens included."),
    Param(name="max_tokens", type="int", group="length",
          help="Deprecated cap on generated tokens; prefer max_completion_tokens."),
    Param(name="stop", type="str_list", max_items=4, group="length", widget=True,
          help="Up to 4 sequences that end generation."),
    Param(name="stop_token_ids", type="int_list", group="length",
          help="Token ids that end generation."),
    # output
    Param(name="logprobs", type="bool", group="output", widget=True,
          capability="supportsLogProbs", help="Return log probabilities of output tokens."),
    Param(name="top_logprobs", type="int", minimum=0, group="output", widget=True, step=1,
          capability="supportsLogProbs",
          help="Alternatives returned per token position (needs logprobs)."),
    Param(name="response_format", type="json", default=MappingProxyType({"type": "text"}),
          group="output", capability="supportsResponseSchema",
          help='Structured output, e.g. {"type": "json_schema", "json_schema": {...}}.'),
    Param(name="verbosity", type="choice", choices=_VERBOSITY, group="output", widget=True,
          help="How long and detailed the answer should be."),
    Param(name="text", type="json", group="output",
          help='OpenAI-style text options: {"verbosity": "low"}.'),
    Param(name="stream_options", type="json", group="output", cli=False,
          help='Streaming options: {"include_usage": true} (set automatically).'),
    # reasoning
    Param(name="reasoning_effort", type="choice", choices=_EFFORTS, group="reasoning",
          widget=True, capability="supportsReasoningEffort",
          help="Reasoning effort; overrides reasoning.effort."),
    Param(name="reasoning", type="json", group="reasoning",
          capability="supportsReasoningEffort",
          help='Reasoning config: {"effort": ..., "summary": ..., "enabled": false}.'),
    Param(name="strip_thinking_response", type="bool", default=False, venice=True, suffix=True,
          group="reasoning", widget=True, help="Strip <think> blocks from the answer."),
    Param(name="disable_thinking", type="bool", default=False, venice=True, suffix=True,
          group="reasoning", widget=True, help="Turn thinking off on models that allow it."),
    # tools
    Param(name="tools", type="json", group="tools", capability="supportsFunctionCalling",
          help="Function tools the model may call (list of tool objects)."),
    Param(name="tool_choice", type="json", group="tools", capability="supportsFunctionCalling",
          help='"auto", "none", "required" or {"type": "function", "function": {"name": ...}}.'),
    Param(name="parallel_tool_calls", type="bool", default=True, group="tools",
          capability="supportsFunctionCalling", help="Allow several tool calls in one turn."),
    # venice
    Param(name="enable_web_search", type="choice", choices=("off", "on", "auto"),
          default="off", venice=True, suffix=True, group="venice", widget=True,
          capability="supportsWebSearch",
          help="Web search: on forces it, auto lets the model decide (billed per search)."),
    Param(name="enable_web_citations", type="bool", default=False, venice=True, suffix=True,
          group="venice", widget=True, help="Ask the model to cite search results as ^1^."),
    Param(name="enable_web_scraping", type="bool", default=False, venice=True, suffix=True,
          group="venice", widget=True, help="Scrape URLs found in the latest user message."),
    Param(name="include_search_results_in_stream", type="bool", default=False, venice=True,
          suffix=True, group="venice",
          help="Send search results as the first stream chunk (experimental)."),
    Param(name="return_search_results_as_documents", type="bool", venice=True, suffix=True,
          group="venice", help="Also return search results as a tool call for frameworks."),
    Param(name="enable_x_search", type="bool", default=False, venice=True, group="venice",
          widget=True, capability="supportsXSearch",
          help="xAI native web + X search on Grok models (billed per search)."),
    Param(name="include_venice_system_prompt", type="bool", default=True, venice=True,
          suffix=True, group="venice", widget=True,
          help="Add Venice's own system prompt alongside yours."),
    Param(name="character_slug", type="str", venice=True, suffix=True, group="venice",
          widget=True, help="Public ID of a Venice character to chat with."),
    Param(name="enable_e2ee", type="bool", default=True, venice=True, group="venice",
          help="End-to-end encryption on E2EE models; false means TEE only."),
    # caching
    Param(name="prompt_cache_key", type="str", group="caching",
          help="Routing key that keeps related requests on a warm prompt cache."),
    Param(name="prompt_cache_retention", type="choice", choices=("default", "extended", "24h"),
          group="caching", help="Prompt cache lifetime; extended or 24h keep it for 24 hours."),
    # misc: OpenAI-compatibility fields Venice accepts but mostly ignores
    Param(name="fallbacks", type="json", max_items=10, group="misc",
          help='Anthropic-only refusal fallbacks: [{"model": ...}], at most 10.'),
    Param(name="user", type="str", group="misc", cli=False,
          help="OpenAI end-user id; accepted and discarded by Venice."),
    Param(name="metadata", type="json", group="misc", cli=False,
          help="String-to-string tags; accepted for OpenAI compatibility."),
    Param(name="store", type="bool", group="misc", cli=False,
          help="OpenAI store flag; accepted and not used by Venice."),
    Param(name="include", type="str_list", group="misc", cli=False,
          help="OpenAI include list; accepted for compatibility."),
)  # fmt: skip

SUFFIX_KEYS: tuple[str, ...] = tuple(p.name for p in PARAMS.values() if p.suffix)
