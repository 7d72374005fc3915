"""``%venice`` commands that open widgets; ipywidgets loads on use, so ``%load_ext`` stays quick."""

from __future__ import annotations

from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.ipython.commands._registry import command
from venice_jupyter.workspace import Workspace


@command("panel", "[MODEL]: a control panel (model, sliders, Send/Stop/Retry, Copy as cell)")
def _panel(state: Workspace, shell: Any, args: list[str]) -> Any:
    from venice_jupyter.widgets.panel import panel

    if len(args) > 1:
        raise ParameterError("%venice panel", " ".join(args), "at most one model name")
    return panel(args[0] if args else None, workspace=state)
