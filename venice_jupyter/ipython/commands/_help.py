"""``%venice help``: every command with its usage."""

from __future__ import annotations

from typing import Any

from venice_jupyter.ipython.commands._registry import COMMANDS, command
from venice_jupyter.workspace import Workspace


@command("help", "list the commands")
def _help(state: Workspace, shell: Any, args: list[str]) -> None:
    lines = [f"%venice {name:<14} {usage}" for name, (_, usage) in COMMANDS.items()]
    print("\n".join(lines) + "\n\n%%venice --help lists the cell options.")
