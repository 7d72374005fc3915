"""Streams a reply into a notebook output through display handles.

While streaming, the output is a column of slots: finished Markdown blocks are sent once, in
their final form, and only the unfinished tail is updated (at most ``updates_per_second``, and
less often while the tail is large), so iopub bytes grow linearly with the answer. At the end
the slots are replaced by one output holding the whole answer with text/markdown and
text/plain fallbacks and metadata saying how it was made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from IPython.display import clear_output, display

from venice_jupyter.errors import StreamCancelled, VeniceError
from venice_jupyter.render import (
    PlainStream,
    StreamingMarkdown,
    ToolView,
    answer_html,
    answer_text,
    reasoning_html,
    retry_note,
    summary,
    tool_html,
    waiting_html,
)
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared

__all__ = ["MIME_REPLY", "NotebookSink", "final_bundle"]

MIME_REPLY = "application/vnd.venice.reply+json"
TAIL_BYTES_PER_SECOND = 20_000  # above this the tail is refreshed less often


def _html(html: str) -> dict[str, str]:
    return {"text/html": html, "text/plain": ""}


def final_bundle(
    reply: Reply,
    prepared: Prepared | None,
    *,
    reasoning: str = "show",
    error: str = "",
    fmt: str = "markdown",
    tools: Sequence[ToolView] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data, metadata) of the one output a finished (or failed) answer leaves behind."""
    info = summary(reply)
    sent = {k: v for k, v in (prepared.body.items() if prepared else ()) if k != "messages"}
    metadata: dict[str, Any] = {"venice": {**info, "request": sent, "complete": reply.complete}}
    if tools:
        metadata["venice"]["tools"] = [vars(t) for t in tools]
    if len(reply.choices) > 1:
        metadata["venice"]["choices"] = [
            {"index": c.index, "finish_reason": c.finish_reason, "text": c.content}
            for c in reply.choices
        ]
    data = {
        "text/html": answer_html(reply, reasoning=reasoning, fmt=fmt, error=error, tools=tools),
        "text/markdown": reply.text,
        "text/plain": answer_text(reply, error=error, tools=tools),
        MIME_REPLY: {"text": reply.text, "reasoning": reply.reasoning, "error": error, **info},
    }
    return data, metadata


class NotebookSink:
    def __init__(
        self, *, reasoning: str = "show", updates_per_second: float = 10.0, fmt: str = "markdown"
    ) -> None:
        self.reasoning = reasoning
        self.fmt = fmt
        self.min_interval = 1.0 / max(0.5, updates_per_second)
        self.md: StreamingMarkdown | PlainStream = (
            PlainStream() if fmt == "text" else StreamingMarkdown()
        )
        self.prepared: Prepared | None = None
        self._slot: Any = None  # the display handle being updated
        self._slot_kind = "status"
        self._last = 0.0
        self._dirty = False
        self._thinking: list[str] = []  # joined when shown (rate-limited), never grown in place
        self._waiting = threading.Event()
        self._lock = threading.Lock()
        self._started = 0.0
        self._note = ""  # why the last attempt failed, while waiting for the next one
        self._tool_slots: dict[str, Any] = {}  # a display per tool call, updated as it runs
        self._views: dict[str, ToolView] = {}
        self.updates = 0

    # -- status while waiting for the first token -----------------------------------
    def on_start(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self._started = time.perf_counter()
        self._slot = display(_html(self._waiting_html()), raw=True, display_id=True)
        self._waiting.clear()
        threading.Thread(target=self._tick, daemon=True, name="venice-waiting").start()

    def _waiting_html(self) -> str:
        model = self.prepared.model if self.prepared else ""
        return waiting_html(model, time.perf_counter() - self._started, self._note)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        with self._lock:
            self._note = retry_note(error, delay, attempt)
            if not self._waiting.is_set():
                self._slot.update(_html(self._waiting_html()), raw=True)

    def _tick(self) -> None:
        # Updates the elapsed time until the first token (or the end) sets the event.
        while not self._waiting.wait(0.5):
            with self._lock:
                if not self._waiting.is_set():
                    self._slot.update(_html(self._waiting_html()), raw=True)

    # -- streaming ------------------------------------------------------------------
    def on_delta(self, delta: Delta, reply: Reply) -> None:
        if delta.choice != 0:
            return  # n > 1: other choices are shown at the end
        self._stop_waiting()
        if delta.kind == "reasoning":
            if self.reasoning == "show":
                self._thinking.append(delta.text)
                self._slot_kind = "reasoning"
                self._dirty = True
        elif delta.kind == "content":
            if self._slot_kind == "reasoning":
                thinking = "".join(self._thinking)
                self._slot.update(_html(reasoning_html(thinking, open_=False)), raw=True)
                self._new_slot()
            self._slot_kind = "content"
            if reply.citations and isinstance(self.md, StreamingMarkdown):
                self.md.citations = reply.citations  # sources came first: ^n^ can link now
            self.md.feed(delta.text)
            self._dirty = True
        self._maybe_flush()

    def _new_slot(self) -> None:
        self._slot = display(_html(""), raw=True, display_id=True)

    def _maybe_flush(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not self._dirty or (not force and now - self._last < self.min_interval):
            return
        if self._slot_kind == "reasoning":
            self._send(reasoning_html("".join(self._thinking), open_=True))
        else:
            finished = self.md.take_finished()
            if finished:
                self._send("".join(finished))
                self._new_slot()
            tail = self.md.tail_html()
            self._send(tail)
            # A big tail costs bytes on every refresh: refresh it less often.
            self.min_interval = max(self.min_interval, len(tail) / TAIL_BYTES_PER_SECOND)
        self._last = now
        self._dirty = False

    def _send(self, html: str) -> None:
        self._slot.update(_html(html), raw=True)
        self.updates += 1

    # -- the end ----------------------------------------------------------------------
    def _stop_waiting(self) -> None:
        if not self._waiting.is_set():
            with self._lock:
                self._waiting.set()

    def on_tool(self, view: ToolView) -> None:
        self._stop_waiting()
        self._views[view.call_id] = view
        block = _html(tool_html(view))
        handle = self._tool_slots.get(view.call_id)
        if handle is not None:
            handle.update(block, raw=True)
            return
        if self._slot_kind == "status":  # only the waiting line so far: the block replaces it
            handle = self._slot
            handle.update(block, raw=True)
        else:
            self._maybe_flush(force=True)
            handle = display(block, raw=True, display_id=True)
        self._tool_slots[view.call_id] = handle
        self._new_slot()  # the next round's text goes below the calls
        self._slot_kind = "content"

    def _replace_all(self, reply: Reply, error: str = "") -> None:
        self._stop_waiting()
        tools = list(self._views.values()) or None
        data, metadata = final_bundle(
            reply, self.prepared, reasoning=self.reasoning, error=error, fmt=self.fmt, tools=tools
        )
        clear_output(wait=True)
        display(data, metadata=metadata, raw=True)

    def on_finish(self, reply: Reply) -> None:
        self._replace_all(reply)

    def on_error(self, error: VeniceError) -> None:
        partial = error.partial or Reply()
        if isinstance(error, StreamCancelled) or partial.text or partial.reasoning:
            self._replace_all(partial, error=error.message)
        else:
            self._stop_waiting()
            clear_output(wait=True)
