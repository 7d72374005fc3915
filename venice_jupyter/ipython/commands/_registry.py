"""The table of ``%venice`` commands and the helpers every command module shares.

A command module registers its handlers with ``@command(name, usage)``; ``commands/__init__``
imports every command module once, so the registry is complete before the first command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from IPython.display import display

from venice_jupyter.errors import ParameterError
from venice_jupyter.workspace import Workspace

__all__ = ["COMMANDS", "Handler", "command", "need", "show_table"]

Handler = Callable[[Workspace, Any, list[str]], Any]
COMMANDS: dict[str, tuple[Handler, str]] = {}


def command(name: str, usage: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = (fn, usage)
        return fn

    return register


def show_table(rows: list[dict[str, str]], title: str = "") -> None:
    """Rows as an HTML table, with an aligned plain-text twin for terminals and saved text."""
    if not rows:
        print(f"{title}: none")
        return
    cols = list(rows[0])
    head = "".join(f"<th>{escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>"
        for r in rows
    )
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
    plain = [title] if title else []
    plain.append(" ".join(c.ljust(widths[c]) for c in cols).rstrip())
    plain += [" ".join(str(r.get(c, "")).ljust(widths[c]) for c in cols).rstrip() for r in rows]
    html = f"<table><caption>{escape(title)}</caption><tr>{head}</tr>{body}</table>"
    display({"text/html": html, "text/plain": "\n".join(plain)}, raw=True)


def need(args: list[str], n: int, usage: str) -> None:
    if len(args) != n:
        raise ParameterError("%venice", " ".join(args) or "(nothing)", usage)
