"""A sink that shows nothing: for ``chat()``, which returns the reply instead of showing it."""

from __future__ import annotations

from venice_jupyter.errors import VeniceError
from venice_jupyter.render import ToolView
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared

__all__ = ["QuietSink"]


class QuietSink:
    def on_start(self, prepared: Prepared) -> None:
        pass

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        pass

    def on_finish(self, reply: Reply) -> None:
        pass

    def on_error(self, error: VeniceError) -> None:
        pass

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        pass

    def on_tool(self, view: ToolView) -> None:
        pass
