"""Fault injection: what the next chat request(s) should suffer instead of a clean answer.

Faults wait in a FIFO queue; each POST /chat/completions consumes the head (a fault with
``times=3`` hits three requests in a row). Queue them from Python with ``OfflineServer.inject``
or over HTTP with ``POST /_offline/faults {"faults": [{"kind": "drop", "after_tokens": 3}]}``.

==================  ===========================================================================
kind                effect (parameters)
==================  ===========================================================================
status              answer ``status`` with a Venice body: ``shape`` "string" ``{"error": msg}``,
                    "object" ``{"error": {message, type, code, param}}`` or "detailed"
                    (DetailedError); or exactly ``body``. ``retry_after`` -> Retry-After header;
                    ``headers`` are added.
reset               close the socket (RST) before sending anything
drop                close the connection after ``after_tokens`` content tokens, no [DONE]
                    (non-streaming: a truncated body)
malformed           after ``after_tokens`` tokens send a broken JSON event (non-streaming: a
                    broken body)
inband_error        after ``after_tokens`` tokens send ``data: {"error": {message, type:
                    "server_error", code (default "model_overloaded"), param, retry_after}}``
                    then ``[DONE]`` (non-streaming: that object as a 200 body)
usage_no_choices    the usage chunk has no ``choices`` key at all
u2028               the answer is ``text`` (default has raw U+2028 and U+2029 in it)
split_utf8          the answer (default with é, 😀, 中文) is written in tiny writes that split
                    multi-byte UTF-8 characters
slow_first_byte     wait ``seconds`` before the status line
hang                never answer (until the server stops)
delay               wait ``seconds`` between events
reply               stream exactly ``text`` as the answer (tokenised into pieces)
==================  ===========================================================================
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Final, Literal, get_args

__all__ = ["KINDS", "Fault", "FaultKind", "FaultQueue"]

FaultKind = Literal[
    "status",
    "reset",
    "drop",
    "malformed",
    "inband_error",
    "usage_no_choices",
    "u2028",
    "split_utf8",
    "slow_first_byte",
    "hang",
    "delay",
    "reply",
]
KINDS: Final = frozenset(get_args(FaultKind))
U2028_TEXT: Final = "Line one\u2028line two\u2029paragraph two, with é and 😀."
SPLIT_UTF8_TEXT: Final = "Café crème, naïve façade: 😀 and 中文 split across writes."


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 500
    shape: Literal["string", "object", "detailed"] = "string"
    message: str | None = None
    code: str | None = None
    body: Any = None
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after_tokens: int = 0
    seconds: float = 0.0
    text: str | None = None
    times: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(KINDS)}")
        if self.times < 1 or self.after_tokens < 0 or self.seconds < 0:
            raise ValueError("times must be >= 1; after_tokens and seconds >= 0")
        if self.kind == "reply" and self.text is None:
            raise ValueError("a reply fault needs text")
        if self.shape not in ("string", "object", "detailed"):
            raise ValueError(f"unknown body shape {self.shape!r}")

    @classmethod
    def from_dict(cls, data: Any) -> Fault:
        """From JSON (POST /_offline/faults); unknown keys are an error, not ignored."""
        if not isinstance(data, dict) or "kind" not in data:
            raise ValueError("a fault is an object with a 'kind'")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def answer_text(self) -> str | None:
        """The fixed answer this fault imposes, if any."""
        if self.kind == "u2028":
            return self.text or U2028_TEXT
        if self.kind == "split_utf8":
            return self.text or SPLIT_UTF8_TEXT
        return self.text if self.kind == "reply" else None


class FaultQueue:
    """Thread-safe FIFO of faults with repeat counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[list[Any]] = deque()

    def push(self, *faults: Fault) -> None:
        with self._lock:
            self._items.extend([f, f.times] for f in faults)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def pop(self) -> Fault | None:
        """The fault for this request (the head, consumed once per request), or None."""
        with self._lock:
            if not self._items:
                return None
            head = self._items[0]
            head[1] -= 1
            if head[1] <= 0:
                self._items.popleft()
            fault: Fault = head[0]
            return fault

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**f.to_dict(), "times": left} for f, left in self._items]
