"""Code colours for rendered answers: pygments tokens styled with JupyterLab's theme variables.

``HighlightingRenderer`` colours fenced code into the classes ``STYLE_CSS`` styles; the
fallbacks are JupyterLab's light values, so light and dark themes both work. The highlighted
text is always exactly the source (copyable), and oversized or unknown code stays plain.
"""

from __future__ import annotations

from functools import lru_cache

from pygments import highlight
from pygments import token as pt
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from venice_jupyter.render._blocks import SafeRenderer
from venice_jupyter.render._safe_text import show_controls

__all__ = ["MAX_HIGHLIGHT_CHARS", "STYLE_CSS", "HighlightingRenderer"]

MAX_HIGHLIGHT_CHARS = 100_000  # pygments' regexes are not all linear; bigger code stays plain


def _editor_colour(name: str, fallback: str) -> str:
    return f"color:var(--jp-mirror-editor-{name}-color,{fallback})"


# JupyterLab's CodeMirror variables change with the theme; the fallbacks are its light values.
_TOKEN_CSS: dict[pt._TokenType, str] = {
    pt.Keyword: _editor_colour("keyword", "#008000") + ";font-weight:bold",
    pt.Name.Builtin: _editor_colour("builtin", "#008000"),
    pt.Name.Function: _editor_colour("def", "#00f"),
    pt.Name.Class: _editor_colour("def", "#00f") + ";font-weight:bold",
    pt.Name.Decorator: _editor_colour("meta", "#a2f"),
    pt.Name.Tag: _editor_colour("tag", "#170"),
    pt.Name.Attribute: _editor_colour("attribute", "#00c"),
    pt.String: _editor_colour("string", "#ba2121"),
    pt.Number: _editor_colour("number", "#080"),
    pt.Operator: _editor_colour("operator", "#a2f"),
    pt.Comment: _editor_colour("comment", "#408080") + ";font-style:italic",
    pt.Generic.Heading: _editor_colour("header", "#00f") + ";font-weight:bold",
    pt.Generic.Deleted: _editor_colour("error", "#f00"),
    pt.Generic.Inserted: _editor_colour("quote", "#090"),
    pt.Error: _editor_colour("error", "#f00"),
}


def _token_css() -> str:
    # pygments emits only the most specific class ("kn", not "k"), so every standard class
    # gets the rule of its nearest styled ancestor; selectors sharing a rule are grouped.
    groups: dict[str, list[str]] = {}
    for ttype, short in pt.STANDARD_TYPES.items():
        styled: pt._TokenType | None = ttype
        while styled is not None and styled not in _TOKEN_CSS:
            styled = styled.parent
        if short and styled is not None:
            groups.setdefault(_TOKEN_CSS[styled], []).append(f".venice-code .{short}")
    return "".join(",".join(sel) + "{" + rule + "}" for rule, sel in groups.items())


STYLE_CSS = (
    # Specific enough to beat JupyterLab's `.jp-RenderedHTMLCommon pre` rules.
    ".venice-md .venice-md-body .venice-code{background:var(--jp-cell-editor-background,#f7f7f7);"
    "color:var(--jp-content-font-color1,inherit);padding:6px 8px;margin:0 0 1em;"
    "border-radius:3px;overflow-x:auto;font-family:var(--jp-code-font-family,monospace);"
    "font-size:var(--jp-code-font-size,13px);line-height:var(--jp-code-line-height,1.3)}"
    ".venice-md .venice-math-display{overflow-x:auto}" + _token_css()
)


_FORMATTER = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=64)
def _lexer(lang: str) -> Lexer | None:
    try:
        # stripnl/ensurenl off: the highlighted text must stay exactly the source.
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


class HighlightingRenderer(SafeRenderer):
    """SafeRenderer with code coloured by pygments, into the classes STYLE_CSS styles."""

    def highlight(self, code: str, lang: str) -> str:
        lexer = _lexer(lang.lower()) if lang and len(code) <= MAX_HIGHLIGHT_CHARS else None
        if lexer is not None:
            try:
                return str(highlight(show_controls(code), lexer, _FORMATTER))
            except Exception:  # a lexer bug must not cost the user the answer: go plain
                pass
        return super().highlight(code, lang)
