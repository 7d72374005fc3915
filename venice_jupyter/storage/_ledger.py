"""What this kernel spent: every exchange's tokens and cost, however it ended.

The conversations cannot tell: retries, undos, ``--no-history`` cells, stopped and failed calls
leave nothing in them, and an imported conversation holds replies paid for elsewhere. The
ledger hears every exchange from ``LoggedSink``, so ``%venice usage`` sums what was spent here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from venice_jupyter.reply import Deprecation, Reply

__all__ = ["Entry", "Ledger"]


@dataclass(frozen=True)
class Entry:
    conversation: str
    model: str
    status: str  # "complete", "error" or "interrupted"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    usd: float = 0.0
    estimated: bool = False
    saved_usd: float | None = None  # what the prompt cache saved (None: no cache prices)
    # Venice's headers: the balance before this request, the rate-limit headroom after it
    balance_usd: float | None = None
    balance_diem: float | None = None
    headroom: tuple[tuple[str, int, int], ...] = ()  # (kind, remaining, limit)
    deprecation: Deprecation | None = None
    finished: float = 0.0  # when it ended (time.time())

    @property
    def balance_after_usd(self) -> float | None:
        """The balance once this exchange was paid: before, less its cost."""
        return None if self.balance_usd is None else max(0.0, self.balance_usd - self.usd)


class Ledger:
    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._lock = threading.Lock()  # widgets' tasks and the magic may add at once

    def add(self, conversation: str, model: str, status: str, reply: Reply | None) -> Entry:
        usage = reply.usage if reply is not None else None
        cost = reply.cost if reply is not None else None
        meta = reply.meta if reply is not None else None
        entry = Entry(
            conversation=conversation,
            model=(reply.answered_by if reply is not None else None) or model,
            status=status,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            reasoning_tokens=usage.reasoning_tokens if usage else 0,
            cached_tokens=usage.cached_tokens if usage else 0,
            cache_write_tokens=usage.cache_creation_tokens if usage else 0,
            usd=cost.usd if cost else 0.0,
            estimated=bool(cost and cost.estimated),
            saved_usd=reply.cache_savings_usd if reply is not None else None,
            balance_usd=meta.balance_usd if meta else None,
            balance_diem=meta.balance_diem if meta else None,
            headroom=tuple((k, *v) for k, v in meta.headroom().items()) if meta else (),
            deprecation=reply.deprecation if reply is not None else None,
            finished=time.time(),
        )
        with self._lock:
            self._entries.append(entry)
        return entry

    def __iter__(self) -> Iterator[Entry]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
