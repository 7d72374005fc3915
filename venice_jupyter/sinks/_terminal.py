"""Streams a reply as plain text, for terminal IPython and other front ends without rich output.

There every display update would be printed again as a new line, so text is written as it
arrives instead.
"""

from __future__ import annotations

import sys
from typing import TextIO

from venice_jupyter.errors import VeniceError
from venice_jupyter.render import (
    ToolView,
    calls_of,
    footer_text,
    retry_note,
    sources_text,
    tool_text,
)
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared

__all__ = ["TerminalSink"]


class TerminalSink:
    def __init__(self, *, reasoning: str = "show", out: TextIO | None = None) -> None:
        self.reasoning = reasoning
        self.out = out or sys.stdout
        self._mode = ""
        self._ran: list[ToolView] = []

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def on_start(self, prepared: Prepared) -> None:
        self._mode = ""

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        if delta.choice != 0 or delta.kind == "tool_call":
            return
        if delta.kind == "reasoning":
            if self.reasoning != "show":
                return
            if self._mode != "reasoning":
                self._write("[reasoning]\n")
        elif self._mode == "reasoning":
            self._write("\n[answer]\n")
        self._mode = delta.kind
        self._write(delta.text)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        self._write(f"[{retry_note(error, delay, attempt)}]\n")

    def on_tool(self, view: ToolView) -> None:
        # Printed once its outcome is known; the start of a call would only repeat it.
        if view.status not in ("running", "waiting for approval"):
            self._write(f"\n{tool_text(view)}\n")
            self._ran.append(view)

    def on_finish(self, reply: Reply) -> None:
        extra = []  # what streaming choice 0's text did not show
        if reply.choices:
            extra += [tool_text(view) for view in calls_of(reply.choices[0]) if not self._ran]
        for choice in reply.choices[1:]:
            reason = f" · {choice.finish_reason}" if choice.finish_reason else ""
            extra.append(f"[choice {choice.index + 1}{reason}]\n{choice.content}")
        if reply.citations:
            extra.append("Sources:\n" + sources_text(reply.citations))
        tail = "".join(f"\n\n{block}" for block in extra)
        self._write(f"{tail}\n\n— {footer_text(reply)}\n")

    def on_error(self, error: VeniceError) -> None:
        if error.partial is not None and error.partial.text:
            self._write("\n")
        self._write(f"[{error.message}]\n")
