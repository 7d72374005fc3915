"""How the parameter table reads as ``%%venice`` options: each parameter's flags, and the
magic line that reproduces a set of values ("Copy as cell" in the panel)."""

from __future__ import annotations

import json
import shlex

from venice_jupyter.request._params import ChatParams
from venice_jupyter.request._table import PARAMS

__all__ = ["RENAMED", "param_flags", "to_magic_line"]

# Table parameters whose plain flag is taken by one of the magic's own options.
RENAMED = {"reasoning": "--reasoning-object"}


def param_flags(name: str) -> tuple[str, ...]:
    if name in RENAMED:
        return (RENAMED[name],)
    dashed = name.replace("_", "-")
    return (f"--{dashed}",) if dashed == name else (f"--{dashed}", f"--{name}")


def to_magic_line(model: str | None, params: ChatParams, *, conversation: str | None = None) -> str:
    """The ``%%venice`` line that reproduces these settings exactly ("Copy as cell")."""
    words = ["%%venice"]
    if model:
        words += ["-m", shlex.quote(model)]
    if conversation:
        words += ["-c", shlex.quote(conversation)]
    for name, value in params.items():
        p = PARAMS[name]
        if not p.cli:
            continue
        if p.type == "bool":
            text = "true" if value else "false"
        elif p.type in ("str_list", "int_list"):
            text = json.dumps(list(value))
        elif p.type == "json":
            text = json.dumps(value, separators=(",", ":"))
        else:
            text = repr(value) if isinstance(value, float) else str(value)
        words += [param_flags(name)[0], shlex.quote(text)]
    return " ".join(words)
