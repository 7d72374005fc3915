"""Redraw at a bounded rate: 10,000 rows must not mean 10,000 widget updates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["Throttle"]


class Throttle:
    """``ping()`` often; ``show`` runs at most every ``1 / per_second`` s, the last ping is never
    lost (a timer on the running loop shows it), and ``ping(final=True)`` shows at once."""

    def __init__(self, show: Callable[[], None], per_second: float) -> None:
        self.show = show
        self.interval = 1.0 / per_second
        self._at = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self.shown = 0  # how many times ``show`` ran

    def ping(self, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self._at >= self.interval:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._at = now
            self.shown += 1
            self.show()
        elif self._timer is None:
            wait = self.interval - (now - self._at)
            self._timer = asyncio.get_running_loop().call_later(wait, self._late)

    def _late(self) -> None:
        self._timer = None
        self.ping(final=True)
