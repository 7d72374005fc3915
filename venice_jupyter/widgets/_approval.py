"""Approving tool calls with buttons: Run, Skip, Always for this function.

The panel awaits the click: its stream is a task, so the kernel's loop is free to handle the
click. (A running ``%%venice`` cell blocks that loop, so the magic asks with ``input()``.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import ipywidgets as w

from venice_jupyter.errors import ConfigError
from venice_jupyter.render import ToolView, tool_html
from venice_jupyter.tools import Decision
from venice_jupyter.widgets._loop import current_loop, on_loop

__all__ = ["ButtonApprover"]

_CHOICES: tuple[tuple[str, Decision, str], ...] = (
    ("Run", "run", "success"),
    ("Skip", "skip", "warning"),
    ("Always for this function", "always", ""),
)


class ButtonApprover:
    """Asks under the call with three buttons; ``show(box)`` puts the question where the user
    looks (the cell's output, or a place in a panel), ``hide(box)`` takes it away."""

    def __init__(
        self, show: Callable[[w.Widget], None], hide: Callable[[w.Widget], None] | None = None
    ) -> None:
        self.show = show
        self.hide = hide or (lambda box: box.close())
        self.always: set[str] = set()  # "Always for this function": as long as this lives

    def _box(self, view: ToolView, answer: Callable[[Decision], None]) -> w.Widget:
        question = w.HTML(f"<b>Run this call?</b>{tool_html(view)}")
        buttons = []
        for label, decision, style in _CHOICES:
            button = w.Button(description=label, button_style=style)
            button.on_click(lambda _b, d=decision: answer(d))
            buttons.append(button)
        return w.VBox([question, w.HBox(buttons)], layout=w.Layout(border="1px solid #ddd"))

    def decide(self, view: ToolView) -> Decision:
        raise ConfigError(
            "Buttons can only be answered while the kernel is free: use them from the panel "
            "(a task), or InputApprover in a blocking cell."
        )

    async def adecide(self, view: ToolView) -> Decision:
        loop = current_loop()
        assert loop is not None
        decided: asyncio.Future[Decision] = loop.create_future()

        def settle(decision: Decision) -> None:
            if not decided.done():
                decided.set_result(decision)

        def answer(decision: Decision) -> None:
            # A click may arrive on a subshell thread: settle the future on its own loop.
            on_loop(loop, lambda: settle(decision))

        box = self._box(view, answer)
        self.show(box)
        try:
            return await decided
        finally:
            self.hide(box)
