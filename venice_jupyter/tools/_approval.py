"""Asking before a tool call runs (``--approve``): Run, Skip, or Always for this function.

An ``Approver`` is asked with the call as it will be shown; the rounds remember "always" per
function. A skipped call goes back to the model as a result saying that the user declined.
"""

from __future__ import annotations

from typing import Literal, Protocol

from venice_jupyter.errors import ConfigError
from venice_jupyter.render import ToolView

__all__ = ["DECLINED", "Approver", "Decision", "InputApprover"]

Decision = Literal["run", "skip", "always"]
DECLINED = "The user declined to run this call."


class Approver(Protocol):
    def decide(self, view: ToolView) -> Decision: ...

    async def adecide(self, view: ToolView) -> Decision: ...


class InputApprover:
    """``input()``: the input box under a cell in JupyterLab and Notebook 7, the prompt in a
    terminal or a plain ``python`` session.

    The magic asks this way, not with buttons: its cell runs synchronously, so the kernel
    handles no widget message (a click) until the cell ends. The panel, whose streams are
    tasks, asks with buttons (``widgets.ButtonApprover``).
    """

    def decide(self, view: ToolView) -> Decision:
        from IPython.core.error import StdinNotImplementedError

        question = f"Run {view.name}({view.arguments})? [y]es, [n]o, [a]lways: "
        while True:
            try:
                answer = input(question)
            except (StdinNotImplementedError, EOFError):
                raise ConfigError(
                    "--approve needs to ask, and this front end takes no input. Approve in "
                    "the panel (venice_jupyter.panel(tools=…, approve=True)), or run without "
                    "--approve."
                ) from None
            choice = answer.strip().lower()[:1]
            if choice in ("y", "n", "a"):
                return {"y": "run", "n": "skip", "a": "always"}[choice]  # type: ignore[return-value]

    async def adecide(self, view: ToolView) -> Decision:
        return self.decide(view)
