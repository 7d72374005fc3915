"""The hardened Markdown engine behind :mod:`venice_jupyter.render`.

Model output is untrusted: all its HTML comes from markdown-it (``"js-default"``, raw HTML off)
and ``SafeRenderer``, a dispatch table (subclass it, pass it to ``make_markdown``) that escapes
every text and attribute itself. Policy:

* Links: only absolute ``http(s)://`` and ``mailto:`` URLs, checked after markdown-it decoded
  entities and percent-encoded controls; ``&#106;avascript:``, ``data:``, ``vbscript:``,
  relative URLs (they'd hit the Jupyter server) stay text. Links get a new tab and
  ``rel="noopener noreferrer nofollow"``.
* Images never load (that would tell a third party the answer was read; ``data:`` can be
  megabytes): ``![alt](https://…)`` becomes a link whose text is the alt text.
* Bidi override/isolate controls (Trojan Source) show as U+FFFD, code included; in autolink
  text zero-width characters do too, so a URL can't pose as another.
* Math (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``) is a token, so Markdown never touches
  ``_ * \\`` in it; kept verbatim in a ``mathjax_process`` element (the wrapper is
  ``mathjax_ignore``). Math with a command that makes links or styles, loads code or defines
  macros, or longer than ``MAX_MATH_CHARS``, is shown as code. An unmatched ``$`` stays text
  (closers: same paragraph only).
* Code: ``<pre class="venice-code" data-lang=…>`` whose ``<code>`` text is the source, so a
  front end can copy it; ``highlight`` is the hook :mod:`venice_jupyter.render` colours it by.
* Cost: markdown-it-py is linear but slow on markup-dense text (~100 µs per ``[``): past the
  ``MAX_*`` budgets paragraphs, and nesting past ``MAX_NESTING``, are plain text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from weakref import WeakKeyDictionary

from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.parser_block import ParserBlock
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock, table
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = ["SafeRenderer", "escape_text", "is_safe_url", "make_markdown", "show_controls"]

MAX_NESTING = 40  # markdown-it levels (a list level is two); deeper content is plain text
MAX_INLINE_CHARS = 10_000  # a longer paragraph or cell is shown as plain text
MAX_DOC_INLINE_CHARS = 200_000  # past this much inline text a document's paragraphs are plain
MAX_DOC_BRACKETS = 2_000  # likewise past this many "[" (markdown-it-py: up to ~100 µs each)
MAX_TABLE_COLUMNS = 64  # a wider header row stays a paragraph (a table is a token per cell)
MAX_MATH_CHARS = 5_000  # how far an inline math opener looks for its closer
MAX_MATH_LINES = 100  # how far a display-math opener line looks for its closer

_Tokens = Sequence[Token]
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLES = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_SHOWN = dict.fromkeys(_BIDI_CONTROLS, "\ufffd")
_SHOWN_TABLE = str.maketrans(_SHOWN)
_TEXT_TABLE = str.maketrans({**_ESCAPES, **_SHOWN})
_URL_TEXT_TABLE = str.maketrans({**_ESCAPES, **_SHOWN, **dict.fromkeys(_INVISIBLES, "\ufffd")})
_LANG = re.compile(r"[A-Za-z0-9_+#.\-]{1,40}")


def show_controls(text: str) -> str:
    """The text with bidi controls replaced by U+FFFD, so they can't reorder what is shown."""
    return text.translate(_SHOWN_TABLE)


def escape_text(text: str) -> str:
    """Escape text for HTML content or a quoted attribute; bidi controls become U+FFFD."""
    return text.translate(_TEXT_TABLE)


# Matched against markdown-it's normalised URL, where entities are decoded and controls,
# spaces and non-ASCII are percent-encoded; the control check is for hand-made tokens.
_SAFE_URL = re.compile(r"(?:https?://[^/?#\\]|mailto:)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def is_safe_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host, or a mailto: URL; nothing else."""
    return _SAFE_URL.match(url) is not None and _CONTROL.search(url) is None


class _SafeMarkdownIt(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        # Called by the link, image, autolink and reference rules; a refusal leaves the text.
        return is_safe_url(url)


# --- math -------------------------------------------------------------------------------

_MATH_PAIRS = {"$$": "$$", "\\(": "\\)", "\\[": "\\]"}
_INTERRUPTS = ["paragraph", "reference", "blockquote", "list"]  # what display math can end
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


def _math_inline(state: StateInline, silent: bool) -> bool:
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


def _math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
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


def _math_html(tex: str, *, display: bool) -> str:
    # Past MAX_MATH_CHARS (a display block has no closer window) MathJax takes seconds to a
    # minute of the page's main thread, or fails on deep nesting: shown as source, like unsafe TeX.
    if _UNSAFE_TEX.search(tex) or len(tex) > MAX_MATH_CHARS:
        # MathJax skips <code> and <pre>: the source is shown, never typeset.
        tag = "pre" if display else "code"
        return f'<{tag} class="venice-tex">{escape_text(tex)}</{tag}>'
    tag, kind = ("div", "venice-math venice-math-display") if display else ("span", "venice-math")
    return f'<{tag} class="{kind} mathjax_process tex2jax_process">{escape_text(tex)}</{tag}>'


def _guard_inline_cost(state: StateCore) -> None:
    # Runs before the inline parser, which is linear but slow on markup-dense text: a paragraph
    # past a budget skips it and renders as plain text, so no answer takes seconds.
    chars = brackets = 0
    for token in state.tokens:
        if token.type == "inline":
            chars += len(token.content)
            brackets += token.content.count("[")
            over = len(token.content) > MAX_INLINE_CHARS or chars > MAX_DOC_INLINE_CHARS
            if over or brackets > MAX_DOC_BRACKETS:
                token.type = "venice_plain"


def _table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    columns = state.src.count("|", state.bMarks[start_line], state.eMarks[start_line])
    return columns <= MAX_TABLE_COLUMNS and table(state, start_line, end_line, silent)


class _NestingGuard(ParserBlock):
    # Past maxNesting markdown-it skips to the end of the document, dropping the rest of the
    # answer; this keeps the too-deep container's own lines, as plain text.

    def tokenize(self, state: StateBlock, startLine: int, endLine: int) -> None:
        if state.level < state.md.options.maxNesting:
            super().tokenize(state, startLine, endLine)
            return
        line = startLine
        while line < endLine and (state.isEmpty(line) or state.sCount[line] >= state.blkIndent):
            line += 1
        if line > startLine:
            token = state.push("venice_plain", "", 0)
            token.content = state.getLines(startLine, line, state.blkIndent, False)
            token.map = [startLine, line]
        state.line = line


# --- renderer ---------------------------------------------------------------------------


def _anchor(href: object, title: object, css_class: str = "") -> str:
    attrs = f' class="{css_class}"' if css_class else ""
    if isinstance(href, str) and is_safe_url(href):
        attrs += f' href="{escape_text(href)}" rel="noopener noreferrer nofollow" target="_blank"'
    if title:
        attrs += f' title="{escape_text(str(title))}"'
    return f"<a{attrs}>"  # without a safe href it is inert, kept so link_close stays balanced


def _inside_link(tokens: _Tokens, idx: int) -> bool:
    for token in reversed(tokens[:idx]):
        if token.type in ("link_open", "link_close"):
            return token.type == "link_open"
    return False


class SafeRenderer(RendererHTML):
    """markdown-it's HTML renderer, with this module's escaping and policies per token type."""

    @staticmethod
    def renderAttrs(token: Token) -> str:
        return "".join(
            f' {escape_text(key)}="{escape_text(str(value))}"' for key, value in token.attrItems()
        )

    def text(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        opener = tokens[idx - 1] if idx else None
        if opener is not None and opener.type == "link_open" and opener.info == "auto":
            return tokens[idx].content.translate(_URL_TEXT_TABLE)
        return escape_text(tokens[idx].content)

    def html_block(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        return escape_text(tokens[idx].content)  # unreachable with html off; kept as a backstop

    html_inline = html_block

    def link_open(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        return _anchor(tokens[idx].attrGet("href"), tokens[idx].attrGet("title"))

    def image(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        alt = escape_text(self.renderInlineAsText(token.children, options, env) or "image")
        src = token.attrGet("src")
        if _inside_link(tokens, idx) or not (isinstance(src, str) and is_safe_url(src)):
            return f'<span class="venice-image">{alt}</span>'
        return _anchor(src, token.attrGet("title"), "venice-image") + alt + "</a>"

    def code_inline(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        return f"<code>{escape_text(tokens[idx].content)}</code>"

    def code_block(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        return self.code(tokens[idx].content, "")

    def fence(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        words = unescapeAll(token.info).split(maxsplit=1)
        lang = words[0] if words else ""
        return self.code(token.content, lang, cont=bool(token.meta.get("venice_cont")))

    def code(self, code: str, lang: str, *, cont: bool = False) -> str:
        """A ``<pre>`` of code; ``cont`` marks a later piece of a block split while streaming."""
        lang = lang if _LANG.fullmatch(lang) else ""  # no markup characters in a language
        classes = "venice-code venice-code-cont" if cont else "venice-code"
        data_lang = f' data-lang="{lang}"' if lang else ""
        body = self.highlight(code, lang)
        return f'<pre class="{classes}"{data_lang}><code>{body}</code></pre>\n'

    def highlight(self, code: str, lang: str) -> str:
        """The code's text as HTML, escaped; a subclass may colour it. Its text is the code."""
        return escape_text(code)

    def math_inline(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        return _math_html(tokens[idx].content, display=False)

    def math_block(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        return _math_html(tokens[idx].content, display=True) + "\n"

    venice_plain = html_block  # a paragraph past a budget: its text only


def make_markdown(renderer_cls: type[SafeRenderer] = SafeRenderer) -> MarkdownIt:
    """A markdown-it parser with this module's rules; pass a SafeRenderer subclass to extend it."""
    options = {"html": False, "linkify": False, "typographer": False, "maxNesting": MAX_NESTING}
    md = _SafeMarkdownIt("js-default", options, renderer_cls=renderer_cls)
    guard = _NestingGuard()
    guard.ruler = md.block.ruler
    md.block = guard
    md.block.ruler.at("table", _table)
    md.enable(["table", "strikethrough"])  # GFM, built in; explicit so a preset change shows
    md.inline.ruler.before("escape", "math_inline", _math_inline)  # before "\(" loses its "\"
    md.block.ruler.before("fence", "math_block", _math_block, {"alt": _INTERRUPTS})
    md.core.ruler.before("inline", "venice_guard", _guard_inline_cost)
    return md
