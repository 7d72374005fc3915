"""Asking before a tool call runs (``--approve``): Run, Skip, or Always for this function.

An ``Approver`` is asked with the call as it will be shown. "Always" lasts as long as the
approver: the magic's lives with the kernel's workspace (so the next cell, or a retry, does not
ask again), the panel's with the panel. A skipped call goes back to the model as a result saying
that the user declined.
"""

from __future__ import annotations

from typing import Literal, Protocol

from venice_jupyter.errors import ConfigError
from venice_jupyter.render import ToolView

__all__ = ["DECLINED", "Approver", "Decision", "InputApprover"]

Decision = Literal["run", "skip", "always"]
DECLINED = "The user declined to run this call."
# Enter skips: a call runs only when someone said so.
_ANSWERS: dict[str, Decision] = {
    **dict.fromkeys(("r", "run", "y", "yes"), "run"),
    **dict.fromkeys(("", "s", "skip", "n", "no"), "skip"),
    **dict.fromkeys(("a", "always"), "always"),
}


class Approver(Protocol):
    """``decide``/``adecide`` answer for one call. An approver may also keep a set
    ``always`` (names approved for good) to make "always" outlive the turn; without one it
    lasts the turn."""

    def decide(self, view: ToolView) -> Decision: ...

    async def adecide(self, view: ToolView) -> Decision: ...


class InputApprover:
    """``input()``: the input box under a cell in JupyterLab and Notebook 7, the prompt in a
    terminal or a plain ``python`` session.

    The magic asks this way, not with buttons: its cell runs synchronously, so the kernel
    handles no widget message (a click) until the cell ends. The panel, whose streams are
    tasks, asks with buttons (``widgets.ButtonApprover``).

    ``always``: a set shared with whoever should remember "always" (the workspace's).
    """

    def __init__(self, always: set[str] | None = None) -> None:
        self.always = always if always is not None else set()

    def decide(self, view: ToolView) -> Decision:
        from IPython.core.error import StdinNotImplementedError

        question = (
            f"Run {view.name}({view.arguments})? "
            f"[r]un, [s]kip, [a]lways run {view.name} (Enter skips): "
        )
        while True:
            try:
                answer = input(question)
            except (StdinNotImplementedError, EOFError):
                raise ConfigError(
                    "--approve needs to ask, and this front end takes no input. Approve in "
                    "the panel (venice_jupyter.panel(tools=…, approve=True)), or run without "
                    "--approve."
                ) from None
            decision = _ANSWERS.get(answer.strip().lower())
            if decision is not None:
                return decision
            question = f"Please answer r (run), s (skip) or a (always run {view.name}): "

    async def adecide(self, view: ToolView) -> Decision:
        return self.decide(view)
