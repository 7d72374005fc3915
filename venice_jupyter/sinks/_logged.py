"""The exchange log as a sink around another sink, so the magic, the panel and the compare view
log every exchange the same way, from the one request path.

    LoggedSink(inner, log, on_warning=…)   pass to Session.run / arun in place of ``inner``

A row is written when the request goes out (``on_start``), so a kernel killed mid-stream leaves
it to be marked "interrupted" on the next open; it is closed as complete (``on_finish``), or as
"interrupted" / "error" with the text streamed so far (``on_error``). The log is a convenience:
if writing fails, ``on_warning`` hears why and this exchange goes on unlogged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from venice_jupyter.errors import ConfigError, StreamCancelled, VeniceError
from venice_jupyter.render import ToolView
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared, Sink
from venice_jupyter.storage import ExchangeLog, Ledger

__all__ = ["LoggedSink", "prompt_text"]

PROMPT_CHARS = 10_000  # a message with images is logged as JSON, cut to this


def prompt_text(user_message: dict[str, Any]) -> str:
    """What the log keeps of the user's message: its text, or its parts as (cut) JSON."""
    content = user_message.get("content")
    return content if isinstance(content, str) else json.dumps(content)[:PROMPT_CHARS]


class LoggedSink:
    """``inner``, plus a row in ``log`` for the exchange (nothing when ``log`` is None)."""

    def __init__(
        self,
        inner: Sink,
        log: ExchangeLog | None,
        *,
        on_warning: Callable[[str], None],
        conversation: str | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.inner = inner
        self._ledger = ledger  # what was spent, however the exchange ends
        self._name = ""
        self._model = ""
        self._log = log
        self._on_warning = on_warning
        self._conversation = conversation  # the name to log instead of the conversation's
        self._row: int | None = None

    def on_start(self, prepared: Prepared) -> None:
        conv = prepared.conversation
        name = self._conversation or (conv.name if conv is not None else "(one-off)")
        self._name, self._model = name, prepared.model
        params = dict(prepared.params.items())
        prompt = prompt_text(prepared.user_message)
        # With the body, the exchange is also a response-cache entry (``storage.ReplyCache``).
        self._row = self._write("start", name, prepared.model, params, prompt, body=prepared.body)
        self.inner.on_start(prepared)

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        self.inner.on_delta(delta, reply)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        self.inner.on_retry(error, delay, attempt)

    def on_tool(self, view: ToolView) -> None:
        self.inner.on_tool(view)

    def on_finish(self, reply: Reply) -> None:
        self.inner.on_finish(reply)
        if self._ledger is not None:
            self._ledger.add(self._name, self._model, "complete", reply)
        if self._row is not None:
            self._write("finish", self._row, reply)

    def on_error(self, error: VeniceError) -> None:
        self.inner.on_error(error)
        status = "interrupted" if isinstance(error, StreamCancelled) else "error"
        if self._ledger is not None:
            self._ledger.add(self._name, self._model, status, error.partial)
        if self._row is not None:
            text = error.partial.text if error.partial is not None else ""
            self._write("fail", self._row, status, error.message, text)

    def _write(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._log is None:
            return None
        try:
            return getattr(self._log, method)(*args, **kwargs)
        except ConfigError as err:
            self._log = None  # one warning per exchange, not one per event
            self._on_warning(err.message)
            return None
