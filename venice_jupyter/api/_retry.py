"""When to try a request again, and how long to wait first.

Retries are only for failures where nothing reached the user: 429, 500, 502, 503, 504 and
connection errors or timeouts before the response. Once a 2xx response has begun the server has
taken the request (and may bill it), and once a token has been delivered a retry would show the
user a different answer, so a stream that breaks after that is never retried.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from venice_jupyter.errors import APIError, ConnectError, RequestTimeout, VeniceError

__all__ = ["RETRY_STATUSES", "RetryPolicy"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    # Retry-After above this is not waited for: the error goes to the user, who decides.
    max_retry_after: float = 60.0
    jitter: bool = True
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def should_retry(self, error: VeniceError, attempt: int, delivered: bool) -> bool:
        """``attempt`` counts from 1; ``delivered``: a 2xx response or a token already came."""
        if delivered or attempt > self.max_retries:
            return False
        if isinstance(error, APIError):
            if error.status not in RETRY_STATUSES:
                return False
            return error.retry_after is None or error.retry_after <= self.max_retry_after
        # A connect failure or a timeout before any byte of the body: safe to send again.
        return isinstance(error, (ConnectError, RequestTimeout))

    def delay(self, error: VeniceError, attempt: int) -> float:
        """Exponential backoff with jitter (half to full); Retry-After, when given, is a floor."""
        backoff = float(min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1)))
        if self.jitter:
            backoff = float(self._rng.uniform(backoff / 2, backoff))
        retry_after = error.retry_after if isinstance(error, APIError) else None
        return max(backoff, retry_after or 0.0)
