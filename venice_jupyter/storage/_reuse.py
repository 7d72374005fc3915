"""The response cache as a step of the request path, on a workspace's exchange log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from venice_jupyter.reply import Reply
from venice_jupyter.storage._cache import CacheStats
from venice_jupyter.storage._log import ExchangeLog

if TYPE_CHECKING:
    from venice_jupyter.session import Prepared, Session, Sink

__all__ = ["ReplyCache"]


class ReplyCache:
    """The cache step of the request path, on a workspace's log::

        reply = cache.answer(session, prepared, sink) or session.run(prepared, LoggedSink(sink…))

    ``answer`` shows a cached reply in ``sink`` and records it in the conversation like a
    streamed one (``Session.replay``); give it the display sink itself, not a ``LoggedSink``:
    a cached answer is not a new exchange. ``hits`` counts the answers it gave.
    """

    def __init__(self, log: ExchangeLog) -> None:
        self.log = log
        self.hits = 0

    def lookup(self, body: Mapping[str, Any]) -> Reply | None:
        return self.log.recall(body)

    def lookup_many(self, bodies: Sequence[Mapping[str, Any]]) -> list[Reply | None]:
        """``lookup`` for every body (a batch), counting the hits."""
        found = self.log.recall_many(bodies)
        self.hits += sum(reply is not None for reply in found)
        return found

    def answer(self, session: Session, prepared: Prepared, sink: Sink) -> Reply | None:
        """The cached reply, shown in ``sink`` and recorded; None (nothing done) on a miss."""
        reply = self.lookup(prepared.body)
        if reply is None:
            return None
        self.hits += 1
        return session.replay(prepared, reply, sink)

    def stats(self) -> CacheStats:
        return self.log.cache_stats()

    def clear(self) -> int:
        """Forget every cached answer (the log keeps its history); how many rows it forgot."""
        return self.log.forget_cache()
