"""What the offline server's request handlers share: settings, queues, records, open sockets,
and the one place a plan becomes a completion (n-gram or real model)."""

from __future__ import annotations

import contextlib
import copy
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from venice_jupyter.offline.http._accounting import Accounting
from venice_jupyter.offline.http._faults import FaultQueue
from venice_jupyter.offline.http._prompt_cache import PromptCache
from venice_jupyter.offline.models import (
    NGramModel,
    TopicIndex,
    engine_for,
    get_model,
    get_topics,
)
from venice_jupyter.offline.replies import AnyCompletion, Completion, LocalCompletion, Plan

__all__ = ["ServerContext"]


@dataclass
class ServerContext:
    api_key: str | None = None
    generic: bool = False  # /models without Venice's model_spec, traits or aliases
    accounting: Accounting = field(default_factory=Accounting)
    faults: FaultQueue = field(default_factory=FaultQueue)
    prompt_cache: PromptCache = field(default_factory=PromptCache)
    stopping: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _arrived: threading.Condition = field(init=False)
    _sockets: set[socket.socket] = field(default_factory=set)
    _resets: set[socket.socket] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)  # what the server warned about at start

    def __post_init__(self) -> None:
        self._arrived = threading.Condition(self._lock)

    @property
    def model(self) -> NGramModel:
        return get_model()

    @property
    def topics(self) -> TopicIndex:
        return get_topics()

    def completion(
        self, plan: Plan, messages: list[dict[str, Any]], fixed_text: str | None
    ) -> AnyCompletion:
        """The reply to a planned request (may raise ``HttpError``: a real model's limits)."""
        if plan.model.engine == "llama":
            return LocalCompletion(plan, engine_for(plan.model), messages, fixed_text)
        return Completion(plan, self.model, self.topics, fixed_text)

    def record(self, body: Any) -> None:
        with self._arrived:
            self.requests.append(copy.deepcopy(body))
            self._arrived.notify_all()

    def wait_for_requests(self, count: int, timeout: float | None = None) -> bool:
        """Block until ``count`` bodies were recorded (True) or ``timeout`` passes (False)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def recorded(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.requests)

    def clear_records(self) -> None:
        with self._lock:
            self.requests.clear()

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def mark_reset(self, sock: socket.socket) -> None:
        """Close this connection with an RST instead of a FIN (the ``reset`` fault)."""
        with self._lock:
            self._resets.add(sock)

    def take_reset(self, sock: socket.socket) -> bool:
        with self._lock:
            if sock in self._resets:
                self._resets.discard(sock)
                return True
            return False

    def close_all(self) -> None:
        """Wake every handler blocked on a socket (keep-alive reads, slow clients)."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
