"""``{name}`` placeholders in a cell, filled from the notebook's namespace.

A placeholder is exactly ``{`` identifier (``.attr`` | ``[int]`` | ``['key']`` | ``["key"]``)*
``}``, optionally with ``!r`` / ``!s`` and a simple format spec (``{x:.2f}``). Anything else
in braces (JSON, code, ``{}``, ``{1+2}``, ``{ x }``) is not a placeholder: its braces are sent
exactly as written, so pasted code and JSON never need escaping (a placeholder inside them, as
in ``{"user": {name}}``, is still filled). Only a placeholder needs an escape:
``{{name}}`` sends the literal text ``{name}``, and ``{{{name}}}`` sends the value in braces,
as in ``str.format``. Doubled braces around anything else stay doubled: collapsing ``}}``
everywhere would silently corrupt nested JSON and code (``{"a": {"b": 1}}``).

Nothing is evaluated: names are looked up in the namespace, then attributes with ``getattr``
and indexes with ``[]``. The scan is one left-to-right pass, linear in the length of the cell.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from venice_jupyter.errors import ParameterError

__all__ = ["escape_placeholders", "interpolate"]

_NAME = r"[^\W\d]\w*"
# Keys exclude braces and newlines so that every attempt stops at the next brace: that keeps
# the whole scan linear even on adversarial input such as a megabyte of "{x['".
_BODY = re.compile(
    rf"""(?P<name>{_NAME})
    (?P<access>(?:\.{_NAME}|\[-?\d+\]|\['[^'\]{{}}\n]*'\]|\["[^"\]{{}}\n]*"\])*)
    (?:!(?P<conv>[rs]))?
    (?::(?P<spec>[^{{}}\s]+))?""",
    re.VERBOSE,
)
_ACCESS = re.compile(
    rf"\.(?P<attr>{_NAME})|\[(?P<index>-?\d+)\]|\[(?P<q>['\"])(?P<key>.*?)(?P=q)\]"
)
# The format-spec mini-language without nested fields; whitespace is not allowed at all, so a
# JS or Python object such as {a: 1} is never mistaken for a placeholder with spec " 1".
_SPEC = re.compile(r"(?:[^{}]?[<>=^])?[+\- ]?z?#?0?\d*[,_]?(?:\.\d+)?[bcdeEfFgGnosxX%]?")
_OPEN_RUN = re.compile(r"\{+")
_CLOSE_RUN = re.compile(r"\}*")


class _Placeholder(NamedTuple):
    body: re.Match[str]
    paired: int  # braces paired on each side (odd: filled; even: an escape)
    extra_close: int  # closing braces beyond the pairs, literal
    start: int  # where its run of opening braces begins


def _scan(text: str) -> Iterator[str | _Placeholder]:
    """``text`` as literal pieces and placeholders, in order: the one scan both directions use."""
    pos = 0
    while (run := _OPEN_RUN.search(text, pos)) is not None:
        start, run_end = run.span()
        body = _BODY.match(text, run_end)
        closing = _CLOSE_RUN.match(text, body.end()) if body and _is_placeholder(body) else None
        closed = closing.end() - closing.start() if closing else 0
        if body is None or closed == 0:
            # Not a placeholder: the whole run of braces goes through as written.
            yield text[pos:run_end]
            pos = run_end
            continue
        # Pair as many braces as match on both sides; extra ones on either side are literal.
        paired = min(run_end - start, closed)
        yield text[pos : run_end - paired]
        yield _Placeholder(body, paired, closed - paired, start)
        pos = body.end() + closed
    yield text[pos:]


def interpolate(text: str, namespace: Mapping[str, Any]) -> str:
    """``text`` with every placeholder replaced by its value from ``namespace``."""
    out: list[str] = []
    for piece in _scan(text):
        if isinstance(piece, str):
            out.append(piece)
            continue
        body = piece.body
        try:
            inner = _render(body, namespace) if piece.paired % 2 else body.group()
        except _Unfilled as err:
            # Counting lines is linear, so it is done only for the error, never per placeholder.
            raise err.error(body.group(), text.count("\n", 0, piece.start) + 1) from None
        half = piece.paired // 2
        out.append("{" * half + inner + "}" * half + "}" * piece.extra_close)
    return "".join(out)


def escape_placeholders(text: str) -> str:
    """``text`` written so that a ``%%venice`` cell sends it unchanged.

    Only placeholders need an escape, so this doubles exactly the braces ``interpolate`` would
    pair. ``interpolate(escape_placeholders(t), {}) == t`` for every ``t``.
    """
    out: list[str] = []
    for piece in _scan(text):
        if isinstance(piece, str):
            out.append(piece)
            continue
        doubled = 2 * piece.paired
        out.append("{" * doubled + piece.body.group() + "}" * (doubled + piece.extra_close))
    return "".join(out)


def _is_placeholder(body: re.Match[str]) -> bool:
    spec = body.group("spec")
    if spec is not None and not _SPEC.fullmatch(spec):
        return False
    # A keyword can never name a variable: {return} or {None} in code is left alone.
    return not keyword.iskeyword(body.group("name"))


class _Unfilled(Exception):
    """A placeholder that cannot be filled; ``interpolate`` adds where it is."""

    def __init__(self, value: str, allowed: str, reason: str) -> None:
        super().__init__(reason)
        self.value, self.allowed, self.reason = value, allowed, reason

    def error(self, body: str, line: int) -> ParameterError:
        literal = f"To send the braces literally, write {{{{{body}}}}}."
        return ParameterError(
            f"placeholder {{{body}}} (line {line})",
            self.value,
            self.allowed,
            hint=f"{self.reason} {literal}",
        )


def _render(body: re.Match[str], namespace: Mapping[str, Any]) -> str:
    name = body.group("name")
    try:
        value = namespace[name]
    except KeyError:
        raise _Unfilled(
            name,
            "the name of a variable defined in the notebook",
            f"No variable named {name!r} exists in the notebook.",
        ) from None
    path = name
    for step in _ACCESS.finditer(body.group("access")):
        path += step.group()
        try:
            if step.group("attr") is not None:
                value = getattr(value, step.group("attr"))
            elif step.group("index") is not None:
                value = value[int(step.group("index"))]
            else:
                value = value[step.group("key")]
        except Exception as exc:  # any lookup error is the user's to see, named precisely
            raise _Unfilled(
                path,
                "an attribute or index that exists",
                f"Looking up {path} failed with {type(exc).__name__}: {exc}.",
            ) from None
    conv = body.group("conv")
    shown: Any = repr(value) if conv == "r" else str(value) if conv == "s" else value
    spec = body.group("spec") or ""
    try:
        return format(shown, spec) if spec else str(shown)
    except (TypeError, ValueError) as exc:
        raise _Unfilled(
            spec, f"a format spec that suits a {type(shown).__name__}", f"format() said: {exc}."
        ) from None
