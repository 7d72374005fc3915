"""Rate limits per one-minute window and a balance that pays for each reply.

Header units follow Venice's response-headers reference: ``x-ratelimit-reset-requests`` is a Unix
timestamp (seconds), ``x-ratelimit-reset-tokens`` is seconds until the reset, and the balance
headers show the balance *before* the request was processed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from venice_jupyter.offline.validation import STATUS_MESSAGES, HttpError

__all__ = ["Accounting"]

_WINDOW = 60.0


class Accounting:
    def __init__(
        self,
        requests_per_minute: int = 10_000,
        tokens_per_minute: int = 10_000_000,
        balance_usd: float = 100.0,
        balance_diem: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.requests_limit = requests_per_minute
        self.tokens_limit = tokens_per_minute
        self.balance_usd = balance_usd
        self.balance_diem = balance_diem
        self._clock = clock
        self._lock = threading.Lock()
        self._window = clock() // _WINDOW
        self._requests = 0
        self._tokens = 0

    def _roll(self, now: float) -> None:
        window = now // _WINDOW
        if window != self._window:
            self._window, self._requests, self._tokens = window, 0, 0

    def admit(self) -> dict[str, str]:
        """Count one request; its headers, or HttpError 429/402 when it may not run."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            reset_at = (self._window + 1) * _WINDOW
            headers = {
                "x-ratelimit-limit-requests": str(self.requests_limit),
                "x-ratelimit-remaining-requests": str(
                    max(0, self.requests_limit - self._requests - 1)
                ),
                "x-ratelimit-reset-requests": str(int(reset_at)),
                "x-ratelimit-limit-tokens": str(self.tokens_limit),
                "x-ratelimit-remaining-tokens": str(max(0, self.tokens_limit - self._tokens)),
                "x-ratelimit-reset-tokens": f"{reset_at - now:.3f}",
                "x-venice-balance-usd": f"{self.balance_usd:.8f}",
                "x-venice-balance-diem": f"{self.balance_diem:.8f}",
            }
            if self._requests >= self.requests_limit or self._tokens >= self.tokens_limit:
                retry = str(max(1, int(reset_at - now + 0.999)))
                raise HttpError(
                    429, {"error": STATUS_MESSAGES[429]}, {**headers, "Retry-After": retry}
                )
            if self.balance_usd <= 0 and self.balance_diem <= 0:
                raise HttpError(402, {"error": STATUS_MESSAGES[402]}, headers)
            self._requests += 1
            return headers

    def charge(self, tokens: int, usd: float) -> None:
        """Record a finished reply's tokens and cost."""
        with self._lock:
            self._roll(self._clock())
            self._tokens += tokens
            self.balance_usd = max(0.0, self.balance_usd - usd)
