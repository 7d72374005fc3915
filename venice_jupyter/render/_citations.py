"""Web-search sources: ``^1^`` / ``^1,2^`` markers linked to them, and the numbered list.

Venice asks the model to cite search results as ``^index^`` (spec/API-NOTES.md §1.4). A marker
becomes a superscript link to its source when the answer's citations are known (they come in
``env["venice_citations"]``); without them it stays the text it was. URLs and titles come from
the server: only http(s) links, every text escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from venice_jupyter.render._safe_text import escape_text, is_safe_url
from venice_jupyter.reply import Citation

__all__ = ["CITATIONS", "citation_html", "cite_marker", "sources_html", "sources_text"]

CITATIONS = "venice_citations"  # env key: the answer's list of Citation
_MARKER = re.compile(r"\^(\d{1,3}(?:,\s?\d{1,3})*)\^")


def cite_marker(state: StateInline, silent: bool) -> bool:
    """Inline rule: ``^1^`` or ``^1,2^`` as one token holding the numbers."""
    if state.src[state.pos] != "^":
        return False
    found = _MARKER.match(state.src, state.pos)
    if found is None:
        return False
    if not silent:
        token = state.push("venice_cite", "", 0)
        token.content = found.group()
        token.meta["numbers"] = [int(n) for n in found.group(1).split(",")]
    state.pos = found.end()
    return True


def _web(url: str) -> bool:
    return is_safe_url(url) and url.lower().startswith(("http://", "https://"))


def _link(number: int, citation: Citation | None) -> str:
    if citation is None or not _web(citation.url):
        return f"[{number}]"
    title = escape_text(citation.title or citation.url)
    return (
        f'<a href="{escape_text(citation.url)}" title="{title}" target="_blank" '
        f'rel="noopener noreferrer nofollow">[{number}]</a>'
    )


def citation_html(token: Token, env: Any) -> str:
    citations: Sequence[Citation] = env.get(CITATIONS) or () if isinstance(env, dict) else ()
    if not citations:
        return escape_text(token.content)
    numbers: list[int] = token.meta["numbers"]
    links = "".join(
        _link(n, citations[n - 1] if 0 < n <= len(citations) else None) for n in numbers
    )
    return f'<sup class="venice-cite">{links}</sup>'


def sources_html(citations: Sequence[Citation]) -> str:
    """The numbered list under an answer; ``[n]`` in the text is item n."""
    if not citations:
        return ""
    items = []
    for c in citations:
        title = escape_text(c.title or c.url)
        if _web(c.url):
            link = (
                f'<a href="{escape_text(c.url)}" target="_blank" '
                f'rel="noopener noreferrer nofollow">{title}</a>'
            )
        else:
            link = title
        items.append(f"<li>{link}</li>")
    return f'<ol class="venice-citations">{"".join(items)}</ol>'


def sources_text(citations: Sequence[Citation]) -> str:
    """The same list for text/plain and terminals: ``[1] Title — https://…``."""
    return "\n".join(
        f"[{i}] {c.title or c.url}" + (f" — {c.url}" if c.title and c.url else "")
        for i, c in enumerate(citations, 1)
    )
