"""The hardened Markdown engine behind ``_markdown``.

Model output is untrusted: all its HTML comes from markdown-it (``"js-default"``, raw HTML off)
and ``SafeRenderer``, a dispatch table (subclass it, pass it to ``make_markdown``) that escapes
every text and attribute itself. Policy:

* Links: only absolute ``http(s)://`` and ``mailto:`` URLs, checked after markdown-it decoded
  entities and percent-encoded controls; ``&#106;avascript:``, ``data:``, ``vbscript:``,
  relative URLs (they'd hit the Jupyter server) stay text. Links get a new tab and
  ``rel="noopener noreferrer nofollow"``.
* Images never load (that would tell a third party the answer was read; ``data:`` can be
  megabytes): ``![alt](https://…)`` becomes a link whose text is the alt text.
* Text and attributes are escaped by ``_safe_text``: bidi controls (Trojan
  Source) show as U+FFFD, code included; in autolink text zero-width characters do too.
* Math is a token kept verbatim for MathJax (the wrapper is ``mathjax_ignore``), within a
  per-answer budget; unsafe or oversized TeX is shown as source (``_tex``).
* Code: ``<pre class="venice-code" data-lang=…>`` whose ``<code>`` text is the source, so a
  front end can copy it; ``highlight`` is the hook ``_markdown`` colours it by.
* Cost: markdown-it-py is linear but slow on markup-dense text (~100 µs per ``[``): past the
  ``MAX_*`` budgets paragraphs, and nesting past ``MAX_NESTING``, are plain text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.parser_block import ParserBlock
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock, table
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from venice_jupyter.render._citations import citation_html, cite_marker
from venice_jupyter.render._safe_text import escape_text, escape_url_text, is_safe_url
from venice_jupyter.render._tex import INTERRUPTS, math_block, math_html, math_inline

__all__ = ["INLINE_USED", "SafeRenderer", "make_markdown"]

MAX_NESTING = 40  # markdown-it levels (a list level is two); deeper content is plain text
MAX_INLINE_CHARS = 10_000  # a longer paragraph or cell is shown as plain text
MAX_DOC_INLINE_CHARS = 200_000  # past this much inline text a document's paragraphs are plain
MAX_DOC_BRACKETS = 2_000  # likewise past this many "[" (markdown-it-py: up to ~100 µs each)
INLINE_USED = "venice_inline_used"  # env key and token meta: (characters, "[") spent so far
MAX_TABLE_COLUMNS = 64  # a wider header row stays a paragraph (a table is a token per cell)

_Tokens = Sequence[Token]
_LANG = re.compile(r"[A-Za-z0-9_+#.\-]{1,40}")


class _SafeMarkdownIt(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        # Called by the link, image, autolink and reference rules; a refusal leaves the text.
        return is_safe_url(url)


def _guard_inline_cost(state: StateCore) -> None:
    # Runs before the inline parser, which is linear but slow on markup-dense text: a paragraph
    # past a budget skips it and renders as plain text, so no answer takes seconds. The budget
    # is the answer's: a streamed answer starts from what its finished pieces spent (env), and
    # each inline token notes the total so far, for the streamer to carry forward.
    chars, brackets = state.env.get(INLINE_USED, (0, 0))
    for token in state.tokens:
        if token.type == "inline":
            chars += len(token.content)
            brackets += token.content.count("[")
            token.meta[INLINE_USED] = (chars, brackets)
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
            return escape_url_text(tokens[idx].content)
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

    def venice_cite(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        return citation_html(tokens[idx], env)

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
        return math_html(tokens[idx].content, env, display=False)

    def math_block(self, tokens: _Tokens, idx: int, options: OptionsDict, env: EnvType) -> str:
        return math_html(tokens[idx].content, env, display=True) + "\n"

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
    md.inline.ruler.before("escape", "math_inline", math_inline)  # before "\(" loses its "\"
    md.block.ruler.before("fence", "math_block", math_block, {"alt": INTERRUPTS})
    md.inline.ruler.before("emphasis", "venice_cite", cite_marker)
    md.core.ruler.before("inline", "venice_guard", _guard_inline_cost)
    return md
