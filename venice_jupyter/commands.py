"""``%venice COMMAND …``: everything that is not a prompt (models, settings, conversations)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from IPython.display import display

from venice_jupyter.errors import ParameterError
from venice_jupyter.state import VeniceState

__all__ = ["COMMANDS", "run_command"]

Handler = Callable[[VeniceState, Any, list[str]], Any]
COMMANDS: dict[str, tuple[Handler, str]] = {}


def command(name: str, usage: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = (fn, usage)
        return fn

    return register


def run_command(state: VeniceState, shell: Any, line: str) -> Any:
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise ParameterError("%venice", line, "balanced quotes", hint=str(exc)) from None
    if not words:
        words = ["help"]
    name, args = words[0], words[1:]
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, list(COMMANDS), n=2)
        hint = f"Did you mean {' or '.join(close)}?" if close else "Run `%venice help`."
        raise ParameterError("%venice", name, f"one of: {', '.join(COMMANDS)}", hint=hint)
    handler, _ = COMMANDS[name]
    return handler(state, shell, args)


def _table(rows: list[dict[str, str]], title: str = "") -> None:
    from html import escape

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
    plain = [" ".join(c.ljust(widths[c]) for c in cols)]
    plain += [" ".join(str(r.get(c, "")).ljust(widths[c]) for c in cols) for r in rows]
    html = f"<table><caption>{escape(title)}</caption><tr>{head}</tr>{body}</table>"
    display({"text/html": html, "text/plain": "\n".join(plain)}, raw=True)


def _need(args: list[str], n: int, usage: str) -> None:
    if len(args) != n:
        raise ParameterError("%venice", " ".join(args) or "(nothing)", usage)


# Commands are registered by importing their modules (kept small, one topic each).
from venice_jupyter import commands_conv, commands_setup, commands_widgets  # noqa: E402,F401
