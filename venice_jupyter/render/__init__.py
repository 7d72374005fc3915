"""Model output to safe HTML: Markdown whole or streamed, math, code colours, the footer.

    render_markdown(text)       the canonical, safe HTML of a complete answer
    StreamingMarkdown           feed(delta) -> finished blocks once, and the tail
    footer_html / footer_text   the line under an answer (one stats formatter for every view)

Everything a model, a tool or a search wrote is untrusted; ``_blocks`` states the policy.
"""

from venice_jupyter.render._answer import answer_html, answer_text, calls_of
from venice_jupyter.render._citations import sources_html, sources_text
from venice_jupyter.render._footer import (
    LOW_HEADROOM,
    REPLACE_COMMAND,
    account_text,
    citations_html,
    deprecation_banner,
    footer_html,
    footer_text,
    format_cost,
    gauge,
    stats_parts,
    stats_text,
    summary,
)
from venice_jupyter.render._fragments import (
    error_html,
    reasoning_html,
    retry_note,
    status_html,
    waiting_html,
)
from venice_jupyter.render._markdown import StreamingMarkdown, render_markdown, wrap_html
from venice_jupyter.render._plain import PlainStream, render_plain
from venice_jupyter.render._safe_text import escape_text, is_safe_url
from venice_jupyter.render._tools import ToolView, tool_html, tool_text, tools_html

__all__ = [
    "LOW_HEADROOM",
    "REPLACE_COMMAND",
    "PlainStream",
    "StreamingMarkdown",
    "ToolView",
    "account_text",
    "answer_html",
    "answer_text",
    "calls_of",
    "citations_html",
    "deprecation_banner",
    "error_html",
    "escape_text",
    "footer_html",
    "footer_text",
    "format_cost",
    "gauge",
    "is_safe_url",
    "reasoning_html",
    "render_markdown",
    "render_plain",
    "retry_note",
    "sources_html",
    "sources_text",
    "stats_parts",
    "stats_text",
    "status_html",
    "summary",
    "tool_html",
    "tool_text",
    "tools_html",
    "waiting_html",
    "wrap_html",
]
