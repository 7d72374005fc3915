"""``%venice COMMAND …``: everything that is not a prompt (models, settings, conversations).

Each module registers its commands in ``_registry.COMMANDS``; importing them here, in the order
``%venice help`` lists them, completes the table.
"""

from __future__ import annotations

import difflib
import shlex
from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.ipython.commands import (
    _cache,
    _conversations,
    _deprecation,
    _help,
    _models,
    _settings,
    _usage,
    _widgets,
)
from venice_jupyter.ipython.commands._registry import COMMANDS
from venice_jupyter.workspace import Workspace

__all__ = ["COMMANDS", "run_command"]

_MODULES = (
    _cache,
    _conversations,
    _deprecation,
    _help,
    _models,
    _settings,
    _usage,
    _widgets,
)  # imported for their registrations


def run_command(workspace: Workspace, shell: Any, line: str) -> Any:
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise ParameterError("%venice", line, "balanced quotes", hint=str(exc)) from None
    if not words:
        words = ["help"]
    name, args = words[0], words[1:]
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, list(COMMANDS), n=2)
        hint = f"Did you mean {' or '.join(close)}?" if close else "Run `%venice help`."
        raise ParameterError("%venice", name, f"one of: {', '.join(COMMANDS)}", hint=hint)
    handler, _ = COMMANDS[name]
    return handler(workspace, shell, args)
