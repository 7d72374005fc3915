"""The whole of a finished (or failed) answer, as HTML and as plain text: what the notebook
output and the widgets leave behind. One composition, so every view shows the same parts in
the same order: reasoning, tool calls, the answer (each choice when there are several), the
error, the sources, the footer."""

from __future__ import annotations

from collections.abc import Sequence

from venice_jupyter.render._citations import sources_text
from venice_jupyter.render._footer import footer_html, footer_text
from venice_jupyter.render._fragments import error_html, reasoning_html
from venice_jupyter.render._markdown import render_markdown
from venice_jupyter.render._plain import render_plain
from venice_jupyter.render._tools import ToolView, tool_text, tools_html
from venice_jupyter.reply import Choice, Reply

__all__ = ["answer_html", "answer_text", "calls_of"]


def calls_of(choice: Choice) -> list[ToolView]:
    """The tool calls a choice asked for, as blocks (not run: nothing was given to run them)."""
    return [ToolView(c.name, c.arguments, "not run") for c in choice.tool_calls]


def _body(reply: Reply, text: str, fmt: str) -> str:
    if fmt == "text":
        return render_plain(text)
    return render_markdown(text, citations=reply.citations)


def _choices_html(reply: Reply, fmt: str) -> str:
    parts = []
    for choice in reply.choices:
        head = f"Choice {choice.index + 1}" + (
            " · in the conversation" if choice.index == 0 else ""
        )
        if choice.finish_reason:
            head += f" · {choice.finish_reason}"
        parts.append(
            f'<div class="venice-choice"><div class="venice-choice-head" '
            f'style="font-size:0.8em;opacity:0.7">{head}</div>'
            f"{tools_html(calls_of(choice))}{_body(reply, choice.content, fmt)}</div>"
        )
    return "".join(parts)


def answer_html(
    reply: Reply,
    *,
    reasoning: str = "show",
    fmt: str = "markdown",
    error: str = "",
    footer: bool = True,
    tools: Sequence[ToolView] | None = None,
) -> str:
    """``tools``: the calls of the rounds that ran (a tool loop); by default the calls the
    reply asked for, shown as not run."""
    text = reply.text
    parts = []
    if reasoning == "show" and reply.reasoning:
        # With no answer the reasoning is all there is: it stays open.
        parts.append(reasoning_html(reply.reasoning, open_=not text))
    if len(reply.choices) > 1:
        parts.append(_choices_html(reply, fmt))
    else:
        first = reply.choices[0] if reply.choices else None
        shown = list(tools) if tools is not None else calls_of(first) if first else []
        parts.append(tools_html(shown))
        parts.append(_body(reply, text, fmt))
    if error:
        parts.append(error_html(error))
    if footer:
        parts.append(footer_html(reply))
    return "".join(parts)


def answer_text(reply: Reply, *, error: str = "", tools: Sequence[ToolView] | None = None) -> str:
    """The text/plain twin: the answer (every choice), tool calls, sources, error, footer."""
    if len(reply.choices) > 1:
        blocks = [
            f"[choice {c.index + 1}{' · in the conversation' if c.index == 0 else ''}"
            f"{' · ' + c.finish_reason if c.finish_reason else ''}]\n{c.content}"
            for c in reply.choices
        ]
        body = "\n\n".join(blocks)
    else:
        first = reply.choices[0] if reply.choices else None
        shown = list(tools) if tools is not None else calls_of(first) if first else []
        body = "\n".join([*map(tool_text, shown), reply.text]).strip("\n")
    parts = [body]
    if reply.citations:
        parts.append("Sources:\n" + sources_text(reply.citations))
    if error:
        parts.append(f"[{error}]")
    parts.append("— " + footer_text(reply))
    return "\n\n".join(p for p in parts if p)
