"""Markdown to safe HTML for the cell output, whole or while it streams.

    render_markdown(text)  the canonical HTML of a complete answer, wrapped by wrap_html()
    StreamingMarkdown      feed(delta); take_finished() hands out each finished block once;
                           tail_html() renders only the rest; full_html() at the end
    wrap_html(body)        the output container: scoped <style>, MathJax-ignore wrapper

The safety policy, and why, is in ``_blocks``; code colours come from
``_highlight``; this module adds the output wrapper and streaming.

Streaming. Complete lines only (up to the last newline) decide what is finished, by the level-0
tokens' ``map`` line ranges: every top-level block but the last is finished once the last one
starts after a blank line (so lists that continue after a blank line, setext underlines, lazy
and indented continuations are never cut) or is a fence or a table, whose first line ends what
came before for good. Only the unfinished tail is parsed again, and while it is one growing
block it is examined again only after it grew by half, so a feed costs what the tail costs.
A top-level fence still open, or a table, is split every ``chunk_lines`` lines: those go out as
a finished piece (a ``<pre>`` with the same language, or a table of those rows) and the tail
restarts from a replay of the fence's opening line or the table's header rows, rendered as a
continuation (class ``venice-code-cont``; no second header). Every string returned is a whole
output wrapped by ``wrap_html`` (so MathJax sees only the math however they are shown); the
first finished piece carries the ``<style>``, the tail does until then.

``full_html()`` is the canonical rendering: it fixes what pieces can't know, i.e. highlighting
and column widths across a split, and links to reference definitions that come later in the
answer (earlier ones are carried forward).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token

from venice_jupyter.render._blocks import INLINE_USED, make_markdown
from venice_jupyter.render._citations import CITATIONS
from venice_jupyter.render._highlight import STYLE_CSS, HighlightingRenderer
from venice_jupyter.render._safe_text import escape_text
from venice_jupyter.render._tex import MATH_USED
from venice_jupyter.reply import Citation

__all__ = [
    "CHUNK_LINES",
    "STYLE_CSS",
    "HighlightingRenderer",
    "StreamingMarkdown",
    "escape_text",
    "render_markdown",
    "wrap_html",
]

CHUNK_LINES = 20  # an open fence or a table is split into pieces of this many lines

_NEWLINES = re.compile(r"\r\n?")
# Blocks whose first line ends the previous block for good: they interrupt a paragraph, and
# nothing after them can join them to what came before.
_HARD_STARTS = ("fence", "table_open")


_MD = make_markdown(HighlightingRenderer)


def wrap_html(body: str, *, style: bool = True) -> str:
    """The output container for rendered blocks; ``style=False`` leaves out the ``<style>``."""
    css = f"<style>{STYLE_CSS}</style>" if style else ""
    # MathJax typesets only inside elements marked mathjax_process (the math spans).
    return (
        f'<div class="venice-md">{css}'
        f'<div class="venice-md-body mathjax_ignore tex2jax_ignore">{body}</div></div>'
    )


def render_markdown(
    text: str, *, md: MarkdownIt | None = None, citations: Sequence[Citation] = ()
) -> str:
    """The safe HTML of a complete Markdown text, wrapped by :func:`wrap_html`; ``^n^`` markers
    link to ``citations`` when given."""
    env = {CITATIONS: list(citations)} if citations else {}
    return wrap_html((md or _MD).render(text, env))


class _Block(NamedTuple):
    start: int  # token slice [start, stop)
    stop: int
    first_line: int  # source lines [first_line, end_line)
    end_line: int


def _top_level(tokens: Sequence[Token]) -> list[_Block]:
    blocks: list[_Block] = []
    start = 0
    for i, token in enumerate(tokens):
        if token.level == 0 and token.nesting <= 0:  # a level-0 leaf or closing token
            lines = tokens[start].map or [0, 0]
            blocks.append(_Block(start, i + 1, lines[0], lines[1]))
            start = i + 1
    return blocks


def _spent(tokens: Sequence[Token], before: tuple[int, int]) -> tuple[int, int]:
    """The inline budget spent by the end of ``tokens`` (``before`` if they hold no text)."""
    for token in reversed(tokens):
        if INLINE_USED in token.meta:
            spent: tuple[int, int] = token.meta[INLINE_USED]
            return spent
    return before


def _offset(lines: list[str], line: int) -> int:
    return sum(map(len, lines[:line])) + line  # where the line starts in "\n".join(lines)


class StreamingMarkdown:
    """Incremental rendering of a streamed answer; see the module docstring for the contract."""

    def __init__(self, *, md: MarkdownIt | None = None, chunk_lines: int = CHUNK_LINES) -> None:
        self._md = md or _MD
        self._chunk_lines = max(chunk_lines, 1)
        self._parts: list[str] = []  # the whole normalised answer, for full_html()
        self._tail = ""  # unfinished source; after a split it starts with a replayed prefix
        self._pending: list[str] = []  # fed but not yet joined onto _tail
        self._prefix = 0  # length of that replayed prefix; 0 when there is none
        self._finished: list[str] = []
        self._refs: dict[str, Any] = {}  # reference definitions from finished text
        self._math_used = (0, 0)  # the math budget finished pieces spent (see tex.py)
        self._inline_used = (0, 0)  # and the inline-parsing budget (see blocks.py)
        self._after_cr = False
        self._tail_html: str | None = None  # the tail's blocks, until the next feed
        self._styled = False  # whether a finished piece has carried the <style> yet
        self.citations: list[Citation] = []  # web sources, once known: ^n^ markers link to them
        self._new_lines = 0  # complete lines fed since the tail was last examined
        self._wait_lines = 1  # how many to wait for before examining it again

    def feed(self, delta: str) -> None:
        """Add the next piece of the answer."""
        if not delta:
            return
        # Lines end at CR, LF or CRLF, as markdown-it sees them; a CRLF may be split across deltas.
        text = delta[1:] if self._after_cr and delta[0] == "\n" else delta
        self._after_cr = delta[-1] == "\r"
        text = _NEWLINES.sub("\n", text).replace("\0", "\ufffd")
        if not text:
            return
        self._parts.append(text)
        self._pending.append(text)
        self._tail_html = None
        self._new_lines += text.count("\n")
        if self._new_lines >= self._wait_lines:
            self._advance()

    def take_finished(self) -> list[str]:
        """The HTML of blocks finished since the last call, in order, each handed out once."""
        done, self._finished = self._finished, []
        pieces = [wrap_html(html, style=not self._styled and not i) for i, html in enumerate(done)]
        self._styled = self._styled or bool(pieces)
        return pieces

    def tail_html(self) -> str:
        """The HTML of the unfinished rest only (the partial last line included)."""
        if self._tail_html is None:
            source = self._source()
            if len(source) <= self._prefix:
                self._tail_html = ""
            else:
                env = self._env()
                tokens = self._md.parse(source, env)
                blocks = _top_level(tokens)
                self._tail_html = "".join(
                    self._render(tokens, b, env, i) for i, b in enumerate(blocks)
                )
        return wrap_html(self._tail_html, style=not self._styled) if self._tail_html else ""

    def full_html(self) -> str:
        """The canonical HTML of everything fed, as :func:`render_markdown` makes it."""
        return render_markdown("".join(self._parts), md=self._md, citations=self.citations)

    def _env(self) -> dict[str, Any]:
        # What finished pieces carry forward: their reference definitions and spent math budget.
        return {
            "references": dict(self._refs),
            MATH_USED: self._math_used,
            INLINE_USED: self._inline_used,
            CITATIONS: self.citations,
        }

    def _source(self) -> str:
        if self._pending:
            self._tail += "".join(self._pending)
            self._pending.clear()
        return self._tail

    def _render(
        self, tokens: Sequence[Token], block: _Block, env: dict[str, Any], index: int
    ) -> str:
        part = tokens[block.start : block.stop]
        if index == 0 and self._prefix:  # the replayed block: a continuation of a split
            head = part[0]
            head.meta["venice_cont"] = True
            if head.type == "fence" and not head.content:
                return ""
            if head.type == "table_open":  # its header was shown with the first piece
                if not any(t.type == "tbody_open" for t in part):
                    return ""
                part = [head, *part[[t.type for t in part].index("thead_close") + 1 :]]
        return str(self._md.renderer.render(part, self._md.options, env))

    def _advance(self) -> None:
        source = self._source()
        cut = source.rfind("\n") + 1
        complete = source[:cut]
        env = self._env()
        tokens = self._md.parse(complete, env)
        blocks = _top_level(tokens)
        if not blocks:
            return
        lines = complete.split("\n")
        last = blocks[-1]
        head = tokens[last.start]
        done: list[str] = []
        if len(blocks) > 1 and (
            head.type in _HARD_STARTS or not lines[last.first_line - 1].strip(" \t")
        ):
            done = [self._render(tokens, b, env, i) for i, b in enumerate(blocks[:-1])]
            self._tail = source[_offset(lines, last.first_line) :]
            self._prefix = 0
            self._refs = env["references"]
        # Only a fence or a table (hard starts) is split, so it now starts the tail; lines after
        # it (blank ones) stay.
        prefix = self._split_prefix(head, last, lines)
        if prefix is not None:
            done.append(self._render(tokens, last, env, len(blocks) - 1))
            self._tail = prefix + source[_offset(lines, last.end_line) :]
            self._prefix = len(prefix)
        self._finished.extend(html for html in done if html)
        self._math_used = env.get(MATH_USED, self._math_used)
        upto = last.stop if prefix is not None else last.start if done else 0
        self._inline_used = _spent(tokens[:upto], self._inline_used)
        # When nothing finished, the tail is one growing block: a fence or a table is looked at
        # again when it is due for a split, anything else (a long list) once it has grown by
        # half, so it costs linear time in all, not quadratic.
        self._new_lines = 0
        if done:
            self._wait_lines = 1
        elif head.type in _HARD_STARTS:
            self._wait_lines = max(1, self._chunk_lines + 2 - last.end_line + last.first_line)
        else:
            self._wait_lines = max(1, self._tail.count("\n") // 2)

    def _split_prefix(self, head: Token, block: _Block, lines: list[str]) -> str | None:
        """The lines to replay if the last block is split now, or None to keep it whole."""
        first, size = block.first_line, block.end_line - block.first_line
        if head.type == "fence" and head.content.count("\n") == size - 1:  # no closing fence yet
            return lines[first] + "\n" if size - 1 >= self._chunk_lines else None
        if head.type == "table_open" and size - 2 >= self._chunk_lines:
            return lines[first] + "\n" + lines[first + 1] + "\n"
        return None
