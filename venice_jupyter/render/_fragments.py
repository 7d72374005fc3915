"""The small HTML pieces every view shares: waiting, reasoning, an error, a status line.

One definition each, so the magic's output, the panel and the compare columns look alike and
escape alike: every text here may come from a model or a server.
"""

from __future__ import annotations

from html import escape

from venice_jupyter.errors import APIError, ConnectError, RequestTimeout, VeniceError

__all__ = ["error_html", "reasoning_html", "retry_note", "status_html", "waiting_html"]

_COLOURS = {"info": "inherit", "ok": "#15803d", "warn": "#b45309", "error": "#b91c1c"}


def retry_note(error: VeniceError, delay: float, attempt: int) -> str:
    """``HTTP 503; retrying in 1.5 s (attempt 2)``: what a waiting line says between attempts."""
    if isinstance(error, APIError) and error.status:
        what = f"HTTP {error.status}" + (f" {error.code}" if error.code else "")
    elif isinstance(error, ConnectError):
        what = "could not connect"
    elif isinstance(error, RequestTimeout):
        what = "timed out"
    else:
        what = type(error).__name__
    return f"{what}; retrying in {delay:.1f} s (attempt {attempt})"


def waiting_html(model: str, elapsed: float | None = None, note: str = "") -> str:
    """``⏳ Waiting for MODEL… 1.5 s``, plus a note such as a retry's reason."""
    seconds = f" {elapsed:.1f} s" if elapsed is not None else ""
    extra = f" · {escape(note)}" if note else ""
    return (
        '<div class="venice-waiting" style="opacity:0.7">'
        f"⏳ Waiting for {escape(model)}…{seconds}{extra}</div>"
    )


def reasoning_html(text: str, *, open_: bool, note: str = "") -> str:
    """The reasoning, collapsible: open while it streams, closed once the answer starts."""
    state = " open" if open_ else ""
    summary = "Reasoning" + (f" ({escape(note)})" if note else "")
    return (
        f'<details class="venice-reasoning"{state}><summary>{summary}</summary>'
        f'<div style="opacity:0.75;white-space:pre-wrap">{escape(text)}</div></details>'
    )


def error_html(message: str) -> str:
    return f'<div class="venice-error" style="color:#b91c1c">⚠ {escape(message)}</div>'


def status_html(text: str, kind: str = "info") -> str:
    """A one-line status: ``info``, ``ok``, ``warn`` or ``error``."""
    if not text:
        return ""
    colour = _COLOURS.get(kind, "inherit")
    return f'<div class="venice-status venice-{kind}" style="color:{colour}">{escape(text)}</div>'
