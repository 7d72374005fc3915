"""Token-by-token generation from the n-gram model, and the events a reply is made of.

``sample_tokens`` is the hot loop: look up the (cached) distribution for the last ``order - 1``
tokens, apply ``sampling.choose``, and only when logprobs were asked for, build the entry with
``sampling.processed_logprobs`` (the reported logprobs: after penalties and temperature, before
truncation). ``StopScanner`` holds back text that might be the start of a stop string, so a stop
string is never streamed, not even in part.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from venice_jupyter.offline.models import NGramModel, SamplingSettings, choose, processed_logprobs

__all__ = [
    "Budget",
    "Finish",
    "LogprobEntry",
    "StopScanner",
    "TextDelta",
    "ToolCallDelta",
    "logprob_entry",
    "sample_tokens",
]

LogprobEntry = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TextDelta:
    kind: Literal["content", "reasoning"]
    text: str
    logprobs: tuple[LogprobEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    index: int
    arguments: str
    id: str | None = None  # set on the first piece of each call, with the name
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    reason: Literal["stop", "length", "tool_calls"]
    stop_reason: Literal["stop", "length"] | None = None


@dataclass(slots=True)
class Budget:
    """Completion tokens of one choice; reasoning counts toward the same limit."""

    limit: int
    used: int = 0
    reasoning: int = 0

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


def logprob_entry(token: str, logprob: float, top: Sequence[tuple[str, float]]) -> LogprobEntry:
    """One token in the OpenAI/Venice logprobs shape."""
    return {
        "token": token,
        "logprob": logprob,
        "bytes": list(token.encode()),
        "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in top],
    }


def sample_tokens(
    model: NGramModel,
    context: Sequence[int],
    order: int,
    settings: SamplingSettings,
    rng: random.Random,
    top_logprobs: int | None = None,
    topic: int | None = None,
) -> Iterator[tuple[int, LogprobEntry | None]]:
    """An endless stream of (token id, logprob entry or None); the caller decides when to stop."""
    ctx = list(context)
    width = max(0, order - 1)
    cache = model.cache
    vocab = model.vocab
    penalised = settings.has_penalties
    counts: dict[int, int] = {}
    while True:
        key = (tuple(ctx[-width:]) if width else (), topic)
        dist = cache.get(key) or model.distribution_ids(key[0], order, topic)
        seen = [counts.get(t, 0) for t in dist.ids] if penalised else None
        j = choose(dist.logprobs, settings, rng, seen)
        tid = dist.ids[j]
        entry = None
        if top_logprobs is not None:
            processed = processed_logprobs(dist.logprobs, settings, seen)
            ranked = sorted(range(len(processed)), key=processed.__getitem__, reverse=True)
            top = [(vocab[dist.ids[i]], processed[i]) for i in ranked[:top_logprobs]]
            entry = logprob_entry(vocab[tid], processed[j], top)
        if penalised:
            counts[tid] = counts.get(tid, 0) + 1
        ctx.append(tid)
        if len(ctx) > 64:
            del ctx[:-8]
        yield tid, entry


class StopScanner:
    """Cuts text at the first stop string and holds back any possible start of one."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = tuple(s for s in stops if s)
        self._buf = ""
        self._entries: list[tuple[int, LogprobEntry]] = []

    def push(
        self, text: str, entry: LogprobEntry | None
    ) -> tuple[str, tuple[LogprobEntry, ...], bool]:
        """Add a token; return (text safe to emit, its logprob entries, stop string found)."""
        if not self.stops:
            return text, (entry,) if entry else (), False
        if entry is not None:
            self._entries.append((len(self._buf), entry))
        self._buf += text
        hits = [p for p in (self._buf.find(s) for s in self.stops) if p >= 0]
        if hits:
            out, entries = self._take(min(hits))
            self._buf, self._entries = "", []
            return out, entries, True
        out, entries = self._take(len(self._buf) - self._held())
        return out, entries, False

    def flush(self) -> tuple[str, tuple[LogprobEntry, ...]]:
        return self._take(len(self._buf))

    def _held(self) -> int:
        """Length of the longest suffix of the buffer that begins some stop string."""
        best = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(self._buf)), best, -1):
                if self._buf.endswith(stop[:k]):
                    best = k
                    break
        return best

    def _take(self, size: int) -> tuple[str, tuple[LogprobEntry, ...]]:
        out = self._buf[:size]
        entries = tuple(e for offset, e in self._entries if offset < size)
        self._entries = [(offset - size, e) for offset, e in self._entries if offset >= size]
        self._buf = self._buf[size:]
        return out, entries
