"""Tool calls as the output shows them: one collapsible block per call, before the answer.

Function names, arguments and results come from the model or from user code, so all of it is
untrusted text: escaped, shown in ``<pre>``, results cut to ``SHOWN_CHARS``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["SHOWN_CHARS", "ToolView", "tool_html", "tool_text", "tools_html"]

SHOWN_CHARS = 4_000


@dataclass(frozen=True)
class ToolView:
    """What a block shows of one call; ``status``: running, waiting for approval, ran, failed,
    skipped, timed out, not run."""

    name: str
    arguments: str  # as the model sent them (JSON text, maybe invalid)
    status: str = "called"
    call_id: str = ""
    result: str | None = None
    duration_s: float | None = None


def _pretty(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return arguments


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"… ({len(text):,} chars)"


def tool_html(view: ToolView) -> str:
    took = f" · {view.duration_s * 1000:.0f} ms" if view.duration_s is not None else ""
    head = f"🔧 <code>{escape(view.name)}</code> · {escape(view.status)}{took}"
    body = f'<pre class="venice-tool-args">{escape(_pretty(view.arguments))}</pre>'
    if view.result is not None:
        body += f'<pre class="venice-tool-result">{escape(_cut(view.result))}</pre>'
    return (
        f'<details class="venice-tool-call venice-tool-{escape(view.status.replace(" ", "-"))}">'
        f"<summary>{head}</summary>{body}</details>"
    )


def tools_html(views: Sequence[ToolView]) -> str:
    return "".join(tool_html(v) for v in views)


def tool_text(view: ToolView) -> str:
    """One call for text/plain and terminals."""
    line = f"[tool {view.name}({view.arguments}) · {view.status}]"
    if view.result is not None:
        line += f"\n  → {_cut(view.result)}"
    return line
