"""Where a cell's text must reach the model byte for byte: code and math.

People paste code and LaTeX into prompts more than anything else, and both are full of braces
(``f'{i}'``, ``${name}``, ``\\frac{a}{b}``). ``verbatim_spans`` finds, in one left-to-right
pass, the spans that ``{name}`` filling leaves alone:

- fenced code blocks (a line opening with three or more backticks or tildes, up to the closing
  fence of the same character and at least that length, or the end of the text);
- inline code spans (a run of N backticks up to the next run of exactly N, as CommonMark);
- display math ``$$…$$``, ``\\[…\\]``, and inline math ``\\(…\\)`` and ``$…$`` (pandoc's rule:
  the opening ``$`` is not followed by a space, the closing one not preceded by a space nor
  followed by a digit, so "$5 and $10" stays prose; it does not cross a blank line).

Everything stays linear in the length of the text, adversarial text included: every "where is
the next closer" question is answered from a table or a cached search, never by rescanning.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict

__all__ = ["verbatim_spans"]

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
_TICKS = re.compile(r"`+")
_MATH_OPEN = re.compile(r"\\\(|\\\[|\$\$|\$")


class _NextFinder:
    """``text.find(needle, pos)`` for increasing ``pos``: a search never rescans text that an
    earlier one already passed, so all of them together read the text once."""

    def __init__(self, text: str, needle: str) -> None:
        self.text, self.needle = text, needle
        self._found = -2  # -2: not searched yet; -1: no more occurrences

    def find(self, pos: int) -> int:
        if self._found == -1 or self._found >= pos:
            return self._found
        self._found = self.text.find(self.needle, pos)
        return self._found


def _fences(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    while (opening := _FENCE.search(text, pos)) is not None:
        marker = opening.group(1)
        close = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.M)
        line_end = text.find("\n", opening.end())
        if line_end < 0:
            spans.append((opening.start(), len(text)))
            break
        closing = close.search(text, line_end + 1)
        end = closing.end() if closing else len(text)
        spans.append((opening.start(), end))
        pos = end
    return spans


def _code_spans(text: str, start: int, stop: int, out: list[tuple[int, int]]) -> None:
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text, start, stop)]
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(runs):
        by_length[b - a].append(i)
    i = 0
    while i < len(runs):
        a, b = runs[i]
        same = by_length[b - a]
        k = bisect.bisect_right(same, i)
        if k < len(same):  # the next run of exactly this length closes the span
            j = same[k]
            out.append((a, runs[j][1]))
            i = j + 1
        else:
            i += 1


def _math(text: str, start: int, stop: int, out: list[tuple[int, int]]) -> None:
    piece = text[start:stop]
    # Where a "$" may close inline math; found once, then looked up by bisection.
    closes = [
        i
        for i in (m.start() for m in re.finditer(r"\$", piece))
        if i > 0
        and not piece[i - 1].isspace()
        and piece[i - 1] not in "\\$"
        and not (i + 1 < len(piece) and (piece[i + 1].isdigit() or piece[i + 1] == "$"))
    ]
    finders = {c: _NextFinder(piece, c) for c in ("\\)", "\\]", "$$", "\n\n")}
    pos = 0
    while (opening := _MATH_OPEN.search(piece, pos)) is not None:
        a = opening.start()
        token = opening.group()
        if a > 0 and piece[a - 1] == "\\" and token.startswith("$"):
            pos = a + 1  # an escaped dollar is text
            continue
        end = -1
        if token == "$":
            after = piece[a + 1 : a + 2]
            if after and not after.isspace():
                k = bisect.bisect_left(closes, a + 2)
                close = closes[k] if k < len(closes) else -1
                blank = finders["\n\n"].find(a)
                if close >= 0 and (blank < 0 or close < blank):
                    end = close + 1
        else:
            closer = {"\\(": "\\)", "\\[": "\\]", "$$": "$$"}[token]
            found = finders[closer].find(opening.end())
            if found >= 0:
                end = found + len(closer)
        if end < 0:
            pos = opening.end()
            continue
        out.append((start + a, start + end))
        pos = end


def verbatim_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of code and math in ``text``, sorted and not overlapping."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for a, b in [*_fences(text), (len(text), len(text))]:
        # Between fences: inline code first; math only in what code spans leave.
        code: list[tuple[int, int]] = []
        _code_spans(text, pos, a, code)
        gap = pos
        for c, d in code:
            _math(text, gap, c, spans)
            spans.append((c, d))
            gap = d
        _math(text, gap, a, spans)
        if b > a:
            spans.append((a, b))
        pos = b
    spans.sort()
    return spans
