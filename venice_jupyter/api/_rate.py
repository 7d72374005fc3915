"""Pacing many requests to Venice: its rate limits and its error budget.

    RateGate        holds new starts while the window's request or token budget is spent,
                    or while a 429/503 asked to wait (Retry-After)
    FailureBudget   keeps failures under Venice's abuse limit (spec/API-NOTES.md §3.3)

Used by the compare view and by batches; a single request needs neither (the client's retry
policy honours Retry-After on its own).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from venice_jupyter.reply import ResponseMeta

__all__ = [
    "FAILURE_LIMIT",
    "FAILURE_WINDOW",
    "LOW_REMAINING",
    "LOW_TOKENS",
    "MAX_RATE_WAIT",
    "FailureBudget",
    "RateGate",
]

# Hold new starts once a reply says at most this many requests are left in the window: by the
# time a reply is read, the other streams in flight may already have used the last one.
LOW_REMAINING: Final = 1
LOW_TOKENS: Final = 2_000  # about one more request's worth of tokens
MAX_RATE_WAIT: Final = 60.0  # Venice's request window is a minute; never wait longer than that
# "More than 20 failed requests in 30 s block the key for 30 s" (the stricter of the sources).
FAILURE_LIMIT: Final = 20
FAILURE_WINDOW: Final = 30.0


def _reset_at(reset: float, now: float) -> float:
    """A reset header as a Unix time: Venice sends seconds or milliseconds since the epoch, or
    (tokens, and other servers) seconds from now (spec/API-NOTES.md §3.4)."""
    if reset > 1e12:
        reset /= 1000.0
    return reset if reset > 1e9 else now + reset


class RateGate:
    """Holds new starts while the server says the budget of this window is spent.

    Every reply carries ``x-ratelimit-remaining-requests`` / ``-tokens`` and their resets. When
    at most ``low`` requests (or ``low_tokens`` tokens) remain, requests not yet started wait
    until the reset (at most ``max_wait`` seconds); ``hold`` does the same for a Retry-After.
    Streams already running are left alone. ``last`` is the newest budget seen (for a
    progress display's "headroom").
    """

    def __init__(
        self,
        low: int = LOW_REMAINING,
        max_wait: float = MAX_RATE_WAIT,
        clock: Callable[[], float] = time.time,
        low_tokens: int = LOW_TOKENS,
    ) -> None:
        self.low = low
        self.low_tokens = low_tokens
        self.max_wait = max_wait
        self.clock = clock
        self.not_before = 0.0
        self.last: ResponseMeta | None = None

    def note(self, meta: ResponseMeta) -> None:
        if meta.ratelimit_remaining_requests is not None:
            self.last = meta
        now = self.clock()
        for remaining, reset, low in (
            (meta.ratelimit_remaining_requests, meta.ratelimit_reset_requests, self.low),
            (meta.ratelimit_remaining_tokens, meta.ratelimit_reset_tokens, self.low_tokens),
        ):
            if remaining is not None and reset is not None and remaining <= low:
                at = _reset_at(reset, now)
                self.not_before = max(self.not_before, min(at, now + self.max_wait))

    def hold(self, seconds: float) -> None:
        """No new start for ``seconds`` (a Retry-After), at most ``max_wait``."""
        now = self.clock()
        self.not_before = max(self.not_before, now + min(max(seconds, 0.0), self.max_wait))

    def delay(self) -> float:
        """Seconds a new request should wait now (0 when it may start)."""
        return max(0.0, self.not_before - self.clock())

    async def wait(self) -> None:
        while (pause := self.delay()) > 0:
            await asyncio.sleep(pause)


class FailureBudget:
    """Never more than ``limit`` failed requests in any ``window`` seconds.

    A new attempt may start only while ``failures in the last window + attempts in flight + 1
    ≤ limit``: even if every request in flight then fails, the window stays within the limit
    (at any moment the failures of the past window are ones already counted when the latest
    of them started, or were in flight then). So at most ``limit`` attempts are ever in flight,
    fewer while failures are recent. Every failed attempt counts, whatever its status.
    """

    def __init__(
        self,
        limit: int = FAILURE_LIMIT,
        window: float = FAILURE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: deque[float] = deque()
        self.in_flight = 0
        self.most_in_window = 0  # the most failures seen within one window (for tests)

    def recent(self) -> int:
        """Failures within the last ``window`` seconds."""
        cutoff = self.clock() - self.window
        while self._failures and self._failures[0] <= cutoff:
            self._failures.popleft()
        return len(self._failures)

    def failed(self) -> None:
        self._failures.append(self.clock())
        self.most_in_window = max(self.most_in_window, self.recent())

    def delay(self) -> float:
        """Seconds until a new attempt may start (0: now)."""
        over = self.recent() + self.in_flight + 1 - self.limit
        if over <= 0:
            return 0.0
        if over > len(self._failures):
            return self.window  # in flight alone fills the budget: wait for some to end
        return max(0.0, self._failures[over - 1] + self.window - self.clock())

    async def acquire(self) -> None:
        """Wait for room, then count one attempt in flight (``release`` it when it ends)."""
        while (pause := self.delay()) > 0:
            # An attempt ending frees room too: with some in flight, look again soon.
            await asyncio.sleep(min(pause, 0.05) if self.in_flight else pause)
        self.in_flight += 1

    def release(self, failed: bool) -> None:
        self.in_flight -= 1
        if failed:
            self.failed()
