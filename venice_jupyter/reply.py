"""What a chat completion produces: plain dataclasses, no I/O.

A ``Reply`` is built incrementally by ``accumulate.Accumulator`` from stream chunks (or at once
from a non-streaming body) and finished by the client with response headers and timings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Choice",
    "Citation",
    "Cost",
    "Delta",
    "Deprecation",
    "Reply",
    "ResponseMeta",
    "Timings",
    "TokenLogprob",
    "ToolCall",
    "Usage",
]

DeltaKind = Literal["content", "reasoning", "tool_call"]


@dataclass(frozen=True)
class Delta:
    """One piece of streamed text for one choice, in arrival order."""

    choice: int
    kind: DeltaKind
    text: str


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass
class Cost:
    usd: float = 0.0
    diem: float = 0.0
    estimated: bool = False  # True when computed from pricing, not reported by the API


@dataclass
class TokenLogprob:
    token: str
    logprob: float
    bytes: list[int] | None = None
    top: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class ToolCall:
    index: int
    id: str | None = None
    type: str = "function"
    name: str = ""
    arguments: str = ""


@dataclass
class Choice:
    index: int
    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    stop_reason: str | None = None
    logprobs: list[TokenLogprob] = field(default_factory=list)


@dataclass
class Citation:
    title: str
    url: str
    content: str | None = None
    date: str | None = None


@dataclass
class ResponseMeta:
    """What Venice says in response headers (all optional: not every server sends them)."""

    status: int = 200
    request_id: str | None = None  # CF-RAY
    model_id: str | None = None
    model_name: str | None = None
    deprecation_warning: str | None = None
    deprecation_date: str | None = None
    ratelimit_limit_requests: int | None = None
    ratelimit_remaining_requests: int | None = None
    ratelimit_reset_requests: float | None = None
    ratelimit_limit_tokens: int | None = None
    ratelimit_remaining_tokens: int | None = None
    ratelimit_reset_tokens: float | None = None
    ratelimit_type: str | None = None  # user, api_key or global
    balance_usd: float | None = None  # before this request was processed
    balance_diem: float | None = None
    venice_version: str | None = None
    deprecated_replacement: str | None = None  # x-venice-deprecated-replacement

    def headroom(self) -> dict[str, tuple[int, int]]:
        """``{"requests": (remaining, limit), "tokens": (…)}`` for the limits Venice sent."""
        out = {}
        for kind in ("requests", "tokens"):
            limit = getattr(self, f"ratelimit_limit_{kind}")
            left = getattr(self, f"ratelimit_remaining_{kind}")
            if limit and left is not None:
                out[kind] = (left, limit)
        return out


@dataclass(frozen=True)
class Deprecation:
    """The answering model is deprecated: what Venice's headers and /models said about it."""

    model: str
    date: str | None = None  # removal date, as sent
    replacement: str | None = None  # the model to use instead
    message: str | None = None  # x-venice-model-deprecation-warning, verbatim


@dataclass
class Timings:
    """Seconds, measured from just before the request was sent."""

    ttfb: float | None = None  # first response byte (headers)
    ttft: float | None = None  # first content or reasoning token
    total: float | None = None
    attempts: int = 1

    def tokens_per_second(self, completion_tokens: int) -> float | None:
        if self.total is None or completion_tokens <= 0:
            return None
        start = self.ttft if self.ttft is not None else 0.0
        span = self.total - start
        return completion_tokens / span if span > 0 else None


@dataclass
class Reply:
    id: str | None = None
    model: str | None = None
    created: int | None = None
    choices: list[Choice] = field(default_factory=list)
    usage: Usage | None = None
    cost: Cost | None = None
    citations: list[Citation] = field(default_factory=list)
    venice_parameters: dict[str, Any] = field(default_factory=dict)
    meta: ResponseMeta = field(default_factory=ResponseMeta)
    timings: Timings = field(default_factory=Timings)
    complete: bool = False  # True once the stream ended normally ([DONE] or end of body)
    parsed: Any = None  # a structured answer (schema=, --json-schema), read back
    notes: list[str] = field(default_factory=list)  # what the footer must say (a limit hit)
    cached: bool = False  # answered from the exchange log: nothing sent, nothing spent now
    deprecation: Deprecation | None = None  # the answering model is deprecated (headers, /models)
    # USD the prompt cache saved (cache reads at their price instead of the input price, less
    # the cache-write premium), from the model's pricing; None without cache prices.
    cache_savings_usd: float | None = None

    def __str__(self) -> str:
        """The answer's text: ``print(reply)`` prints what the model wrote."""
        return self.text

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        usage = self.usage
        tokens = f" tokens={usage.prompt_tokens}→{usage.completion_tokens}" if usage else ""
        return (
            f"<Reply model={self.model!r} finish_reason={self.finish_reason!r}{tokens} "
            f"text={text!r}>"
        )

    def choice(self, index: int = 0) -> Choice:
        while len(self.choices) <= index:
            self.choices.append(Choice(index=len(self.choices)))
        return self.choices[index]

    @property
    def answered_by(self) -> str | None:
        """The model that actually answered: Venice's ``x-venice-model-id`` header (a trait or
        alias was resolved to it), else the body's ``model``."""
        return self.meta.model_id or self.model

    @property
    def text(self) -> str:
        return self.choices[0].content if self.choices else ""

    @property
    def reasoning(self) -> str:
        return self.choices[0].reasoning if self.choices else ""

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None

    @property
    def tokens_per_second(self) -> float | None:
        tokens = self.usage.completion_tokens if self.usage else 0
        return self.timings.tokens_per_second(tokens)
