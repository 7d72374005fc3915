"""A sink that streams a reply into an ``ipywidgets.HTML`` (the panel's and compare's output).

Runs on the kernel's loop (from an asyncio task), so setting traits is safe; never writes into
an ``Output`` widget's context manager from a task. Updates are throttled like the notebook's.
"""

from __future__ import annotations

import time
from typing import Any

from venice_jupyter.errors import StreamCancelled, VeniceError
from venice_jupyter.render import (
    StreamingMarkdown,
    ToolView,
    answer_html,
    reasoning_html,
    retry_note,
    tools_html,
    waiting_html,
)
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared

__all__ = ["WidgetSink"]

# The widget's value is the whole answer, sent again on every update: past this many bytes a
# second the updates thin out, so a huge answer (a 1 MB line) costs linear time, not quadratic.
VALUE_BYTES_PER_SECOND = 200_000


class WidgetSink:
    """Writes into ``html.value``; ``on_done(reply, error)`` is called once at the end."""

    def __init__(
        self,
        html: Any,
        *,
        updates_per_second: float = 10.0,
        footer: bool = True,
        on_done: Any = None,
        reasoning: str = "show",
    ) -> None:
        self.html = html
        self.min_interval = 1.0 / max(0.5, updates_per_second)
        self.footer = footer
        self.on_done = on_done
        self.reasoning = reasoning
        self.md = StreamingMarkdown()
        self._finished: list[str] = []
        self._thinking: list[str] = []  # joined when shown (rate-limited), never grown in place
        self._last = 0.0
        self.updates = 0
        self._model = ""
        self.tools: list[ToolView] | None = None  # calls a tool loop ran, for the final view
        self.reply: Reply | None = None
        self.error: VeniceError | None = None

    def on_start(self, prepared: Prepared) -> None:
        self._model = prepared.model
        self.html.value = waiting_html(prepared.model)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        self.html.value = waiting_html(self._model, note=retry_note(error, delay, attempt))

    def on_tool(self, view: ToolView) -> None:
        views = {v.call_id: v for v in self.tools or ()}
        views[view.call_id] = view
        self.tools = list(views.values())
        self._show()

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        if delta.choice != 0:
            return
        if delta.kind == "reasoning":
            self._thinking.append(delta.text)
        elif delta.kind == "content":
            if reply.citations:
                self.md.citations = reply.citations  # sources came first: ^n^ can link now
            self.md.feed(delta.text)
        now = time.perf_counter()
        if now - self._last >= self.min_interval:
            self._last = now
            self._show()

    def _reasoning_html(self, open_: bool) -> str:
        if not self._thinking or self.reasoning != "show":
            return ""
        return reasoning_html("".join(self._thinking), open_=open_)

    def _show(self) -> None:
        self._finished.extend(self.md.take_finished())
        streaming_answer = bool(self._finished) or bool(self.md.tail_html())
        value = (
            self._reasoning_html(open_=not streaming_answer)
            + tools_html(self.tools or ())
            + "".join(self._finished)
            + self.md.tail_html()
        )
        self.html.value = value
        self.updates += 1
        self.min_interval = max(self.min_interval, len(value) / VALUE_BYTES_PER_SECOND)

    def _final(self, reply: Reply, error: str = "") -> None:
        self.html.value = answer_html(
            reply, reasoning=self.reasoning, error=error, footer=self.footer, tools=self.tools
        )

    def on_finish(self, reply: Reply) -> None:
        self.reply = reply
        self._final(reply)
        if self.on_done is not None:
            self.on_done(reply, None)

    def on_error(self, error: VeniceError) -> None:
        self.error = error
        partial = error.partial or Reply()
        self.reply = partial
        message = "Stopped." if isinstance(error, StreamCancelled) else error.message
        self._final(partial, message)
        if self.on_done is not None:
            self.on_done(partial, error)
