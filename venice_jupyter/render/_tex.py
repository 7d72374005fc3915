"""Math in Markdown: ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]`` as tokens, and their HTML.

Math is a token so Markdown never touches ``_ * \\`` in it; it is kept verbatim in a
``mathjax_process`` element. TeX with a command that makes links or styles, loads code or
defines macros, or longer than ``MAX_MATH_CHARS``, is shown as source and never typeset. An
unmatched ``$`` stays text (closers: same paragraph only).

Typesetting costs the browser's main thread milliseconds per span, so an answer gets a budget
(``MAX_DOC_MATH`` spans, ``MAX_DOC_MATH_CHARS`` of TeX): math past it is shown as source. The
count lives in markdown-it's ``env`` under ``MATH_USED``, so a streamed answer, rendered in
pieces, can carry it from one piece to the next and spend it exactly as a whole render does.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any
from weakref import WeakKeyDictionary

from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from venice_jupyter.render._safe_text import escape_text

__all__ = [
    "INTERRUPTS",
    "MATH_USED",
    "MAX_DOC_MATH",
    "MAX_DOC_MATH_CHARS",
    "MAX_MATH_CHARS",
    "MAX_MATH_LINES",
    "math_block",
    "math_html",
    "math_inline",
]

MAX_MATH_CHARS = 5_000  # how far an inline math opener looks for its closer
MAX_MATH_LINES = 100  # how far a display-math opener line looks for its closer
MAX_DOC_MATH = 400  # spans typeset per answer (a long derivation has a few hundred)
MAX_DOC_MATH_CHARS = 40_000  # characters of TeX typeset per answer
MATH_USED = "venice_math_used"  # env key: (spans, characters) typeset so far

_MATH_PAIRS = {"$$": "$$", "\\(": "\\)", "\\[": "\\]"}
INTERRUPTS = ["paragraph", "reference", "blockquote", "list"]  # what display math can end
# Pandoc's rule, which keeps "costs $5 and $10" as text: a closing $ follows a non-space
# character that is not a backslash, and is not followed by a digit.
_DOLLAR_CLOSE = re.compile(r"(?<=[^\s\\])\$(?!\d)")
# Commands that make links, classes or styles, load code, or define page-wide macros.
_UNSAFE_TEX = re.compile(
    r"\\(?:href|url|class|cssId|style|data|html|require|bbox|unicode|mmlToken|[gex]?def|let"
    r"|(?:re)?newcommand|(?:re)?newenvironment|DeclareMathOperator|Newextarrow|csname)(?![A-Za-z])"
)


# Stretches a scan for a closer found empty, per parser state and delimiter: a later opener
# skips them, so a run of unclosed openers ("$a $b $c …") costs linear time, not quadratic.
_EMPTY_SPANS: WeakKeyDictionary[object, dict[str, tuple[int, int]]] = WeakKeyDictionary()


def _find_closer(state: StateInline, opener: str, begin: int, window: int) -> int:
    """Where the closing delimiter for an opener ending at ``begin`` ends, or -1."""
    spans = _EMPTY_SPANS.setdefault(state, {})
    lo, hi = spans.get(opener, (-1, -1))
    if lo <= begin < hi:
        if window <= hi:
            return -1
        scan_from = hi - 1  # a two-character closer may straddle the old boundary
    else:
        lo = scan_from = begin
    if opener == "$":
        match = _DOLLAR_CLOSE.search(state.src, scan_from, window)
        if match is not None:
            return match.end()
    else:
        found = state.src.find(_MATH_PAIRS[opener], scan_from, window)
        if found >= 0:
            return found + 2
    spans[opener] = (lo, window)
    return -1


def math_inline(state: StateInline, silent: bool) -> bool:
    start, limit = state.pos, state.posMax
    opener = state.src[start : min(start + 2, limit)]
    if opener not in _MATH_PAIRS:
        if opener[:1] != "$" or len(opener) < 2 or opener[1].isspace():
            return False
        opener = "$"
    begin = start + len(opener)
    end = _find_closer(state, opener, begin, min(limit, start + MAX_MATH_CHARS))
    if end <= begin + len(opener):  # no closer, or empty math
        return False
    if not silent:
        token = state.push("math_inline", "", 0)
        token.content = state.src[start:end]
        token.markup = opener
    state.pos = end
    return True


def math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    # A block of its own so lines inside display math ("-x & 1 \\") never become list items.
    if state.is_code_block(start_line):
        return False
    first = state.src[
        state.bMarks[start_line] + state.tShift[start_line] : state.eMarks[start_line]
    ]
    opener = first[:2]
    if opener not in ("$$", "\\["):
        return False
    closer = _MATH_PAIRS[opener]
    rest = first[2:].rstrip()
    if closer in rest and not rest.endswith(closer):
        return False  # "$$a$$ and more": inline math in a paragraph
    spans = _EMPTY_SPANS.setdefault(state, {})
    memo = f"{opener}:{state.blkIndent}"  # nested containers see other line starts
    lo, hi = spans.get(memo, (-1, -1))
    if lo <= start_line < hi:  # an earlier opener already scanned these lines in vain
        return False
    line = start_line
    while not rest.endswith(closer):
        line += 1
        outside = line >= end_line or line - start_line > MAX_MATH_LINES
        if outside or state.isEmpty(line) or state.sCount[line] < state.blkIndent:
            spans[memo] = (start_line, line)
            return False  # unclosed: the lines stay Markdown
        rest = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()
    if not silent:
        token = state.push("math_block", "div", 0)
        token.block = True
        token.content = state.getLines(start_line, line + 1, state.blkIndent, False)
        token.markup = opener
        token.map = [start_line, line + 1]
    state.line = line + 1
    return True


def math_html(tex: str, env: MutableMapping[str, Any], *, display: bool) -> str:
    """The HTML of one math token; spends from the answer's budget in ``env``."""
    spans, chars = env.get(MATH_USED, (0, 0))
    over_budget = spans >= MAX_DOC_MATH or chars + len(tex) > MAX_DOC_MATH_CHARS
    # Past MAX_MATH_CHARS (a display block has no closer window) MathJax takes seconds to a
    # minute of the page's main thread, or fails on deep nesting: shown as source, like unsafe TeX.
    if over_budget or _UNSAFE_TEX.search(tex) or len(tex) > MAX_MATH_CHARS:
        # MathJax skips <code> and <pre>: the source is shown, never typeset.
        tag = "pre" if display else "code"
        return f'<{tag} class="venice-tex">{escape_text(tex)}</{tag}>'
    env[MATH_USED] = (spans + 1, chars + len(tex))
    tag, kind = ("div", "venice-math venice-math-display") if display else ("span", "venice-math")
    return f'<{tag} class="{kind} mathjax_process tex2jax_process">{escape_text(tex)}</{tag}>'
