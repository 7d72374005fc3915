"""``{name}`` placeholders in a cell, filled from the notebook's namespace.

A placeholder is exactly ``{`` identifier (``.attr`` | ``[int]`` | ``['key']`` | ``["key"]``)*
``}``, optionally with ``!r`` / ``!s`` and a simple format spec (``{x:.2f}``). Anything else
in braces (JSON, code, ``{}``, ``{1+2}``, ``{ x }``) is not a placeholder: its braces are sent
exactly as written, so pasted code and JSON never need escaping (a placeholder inside them, as
in ``{"user": {name}}``, is still filled). Only a placeholder needs an escape:
``{{name}}`` sends the literal text ``{name}``, and ``{{{name}}}`` sends the value in braces,
as in ``str.format``. Doubled braces around anything else stay doubled: collapsing ``}}``
everywhere would silently corrupt nested JSON and code (``{"a": {"b": 1}}``).

Code and math reach the model byte for byte: nothing inside fenced blocks, inline code spans
or math (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``) is a placeholder (``_verbatim``), and
neither is ``${name}`` (JS and shell templates). A name that is not defined is left as written
unless ``strict`` (batch templates are strict: a missing column is a mistake).

Nothing is evaluated: names are looked up in the namespace, then attributes with ``getattr``
and indexes with ``[]``. The scan is one left-to-right pass, linear in the length of the cell.
"""

from __future__ import annotations

import bisect
import keyword
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._verbatim import verbatim_spans

__all__ = ["Filled", "escape_placeholders", "fill", "interpolate"]

PREVIEW_CHARS = 60  # how much of a filled value a dry run shows


@dataclass
class Filled:
    """A text with its placeholders filled, and what happened to each of them."""

    text: str
    filled: list[tuple[str, str]] = field(default_factory=list)  # ("{i}", "7"), values cut
    left: list[str] = field(default_factory=list)  # "{nothere}": no such variable, as written

    def report(self) -> str:
        """For a dry run: ``filled in: {i} → 7 · left as written: {x} (no such variable)``."""
        parts = []
        if self.filled:
            parts.append("filled in: " + ", ".join(f"{p} → {v}" for p, v in self.filled))
        if self.left:
            parts.append(
                "left as written (no such variable): " + ", ".join(dict.fromkeys(self.left))
            )
        return " · ".join(parts) or "no {name} placeholders"


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
    spans = verbatim_spans(text) if ("`" in text or "$" in text or "\\" in text) else []
    starts = [a for a, _ in spans]
    pos = 0
    while (run := _OPEN_RUN.search(text, pos)) is not None:
        start, run_end = run.span()
        k = bisect.bisect_right(starts, start) - 1
        if k >= 0 and spans[k][1] > start:  # inside code or math: all of it as written
            yield text[pos : spans[k][1]]
            pos = spans[k][1]
            continue
        if start > 0 and text[start - 1] == "$":  # ${name}: a JS or shell template
            yield text[pos:run_end]
            pos = run_end
            continue
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


def fill(text: str, namespace: Mapping[str, Any], *, strict: bool = False) -> Filled:
    """``text`` with its placeholders filled from ``namespace``; with ``strict``, a name that
    is not defined is an error (``ParameterError`` naming it and its line) instead of text."""
    out: list[str] = []
    result = Filled("")
    for piece in _scan(text):
        if isinstance(piece, str):
            out.append(piece)
            continue
        body = piece.body
        try:
            inner = _render(body, namespace) if piece.paired % 2 else body.group()
        except _Missing as err:
            if strict:
                raise err.error(body.group(), text.count("\n", 0, piece.start) + 1) from None
            inner = "{" + body.group() + "}"  # the braces it came with, as written
            result.left.append(inner)
        except _Unfilled as err:
            # Counting lines is linear, so it is done only for the error, never per placeholder.
            raise err.error(body.group(), text.count("\n", 0, piece.start) + 1) from None
        else:
            if piece.paired % 2:
                shown = inner if len(inner) <= PREVIEW_CHARS else inner[: PREVIEW_CHARS - 1] + "…"
                result.filled.append(("{" + body.group() + "}", shown))
        half = piece.paired // 2
        out.append("{" * half + inner + "}" * half + "}" * piece.extra_close)
    result.text = "".join(out)
    return result


def interpolate(text: str, namespace: Mapping[str, Any], *, strict: bool = True) -> str:
    """``text`` with every placeholder replaced by its value from ``namespace`` (a template:
    by default every name must be defined)."""
    return fill(text, namespace, strict=strict).text


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


class _Missing(_Unfilled):
    """The name is not defined: left as written unless the filling is strict."""


def _render(body: re.Match[str], namespace: Mapping[str, Any]) -> str:
    name = body.group("name")
    try:
        value = namespace[name]
    except KeyError:
        raise _Missing(
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
