"""Progress you can watch: the numbers of a run, as a widget in a kernel or a line in a terminal.

progress_numbers(run)          done/total, in flight, errors, tokens, cost, headroom, ETA
BatchView(run)                 an ipywidgets VBox: bar, numbers, Stop (and Send/Cancel
                               while a costly batch waits for a yes)
TextProgress(run, stream)      one line on stderr, rewritten in place on a terminal
"""

from __future__ import annotations

import asyncio
import sys
import time
from html import escape
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from venice_jupyter.batching._runner import BatchRun

__all__ = ["BatchView", "TextProgress", "progress_numbers", "progress_text"]


def _count(run: BatchRun, *statuses: str) -> int:
    return sum(r.status in statuses for r in run.rows)


def progress_numbers(run: BatchRun) -> dict[str, Any]:
    """Everything a progress display shows, as plain numbers (None when not known yet)."""
    rows = run.rows
    finished = _count(run, "done", "error", "stopped")
    spent = sum(r.cost_usd or 0.0 for r in rows if r.finished and not r.cached)
    saved = sum(r.cost_usd or 0.0 for r in rows if r.cached)
    now = run.finished_at or time.perf_counter()
    elapsed = now - run.started_at if run.started_at else 0.0
    left = len(rows) - finished
    eta = None
    if run.sent_done and left and run.running:
        eta = left * elapsed / run.sent_done
    meta = run.gate.last
    return {
        "total": len(rows),
        "finished": finished,
        "done": _count(run, "done"),
        "errors": _count(run, "error"),
        "stopped": _count(run, "stopped"),
        "retrying": _count(run, "retrying"),
        "cached": sum(r.cached for r in rows),
        "in_flight": run.in_flight,
        "prompt_tokens": sum(r.prompt_tokens or 0 for r in rows if not r.cached),
        "completion_tokens": sum(r.completion_tokens or 0 for r in rows if not r.cached),
        "spent_usd": spent,
        "cached_usd": saved,
        "requests_left": meta.ratelimit_remaining_requests if meta else None,
        "requests_limit": meta.ratelimit_limit_requests if meta else None,
        "tokens_left": meta.ratelimit_remaining_tokens if meta else None,
        "tokens_limit": meta.ratelimit_limit_tokens if meta else None,
        "waiting_s": run.gate.delay(),
        "elapsed_s": elapsed,
        "eta_s": eta,
        "attempts": run.attempts,
    }


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    return (
        f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
    )


def _usd(usd: float) -> str:
    return f"${usd:.4f}" if usd >= 0.01 else f"${usd:.6f}".rstrip("0").rstrip(".")


def progress_text(n: dict[str, Any]) -> str:
    """``120/500 · 8 in flight · 2 errors · 45,120→12,003 tokens · $0.0123 · …``"""
    parts = [f"{n['finished']:,}/{n['total']:,}"]
    if n["in_flight"]:
        parts.append(f"{n['in_flight']} in flight")
    for key, word in (("errors", "errors"), ("stopped", "stopped"), ("retrying", "retrying")):
        if n[key]:
            parts.append(f"{n[key]:,} {word}")
    if n["cached"]:
        parts.append(f"{n['cached']:,} cached ({_usd(n['cached_usd'])} not spent again)")
    if n["completion_tokens"]:
        parts.append(f"{n['prompt_tokens']:,}→{n['completion_tokens']:,} tokens")
    parts.append(f"{_usd(n['spent_usd'])} spent")
    if n["requests_left"] is not None:
        limit = f"/{n['requests_limit']:,}" if n["requests_limit"] else ""
        head = f"rate limit: {n['requests_left']:,}{limit} requests"
        if n["tokens_left"] is not None:
            head += f", {n['tokens_left']:,} tokens left"
        parts.append(head)
    if n["waiting_s"] > 0.5:
        parts.append(f"holding {n['waiting_s']:.0f} s for the rate limit")
    if n["eta_s"] is not None:
        parts.append(f"ETA {_duration(n['eta_s'])}")
    elif n["finished"] == n["total"] and n["elapsed_s"]:
        parts.append(f"in {_duration(n['elapsed_s'])}")
    return " · ".join(parts)


class TextProgress:
    """The progress line for a terminal or a log file (``stream``, default stderr)."""

    def __init__(self, run: BatchRun, stream: TextIO | None = None) -> None:
        self.run = run
        self.stream = stream or sys.stderr
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._width = 0

    def show(self) -> None:
        line = "batch " + progress_text(progress_numbers(self.run))
        for warning in self.run.warnings[-1:]:
            line += f" · {warning}"
        ended = self.run.done or not self.run.running
        if self._tty:
            pad = " " * max(0, self._width - len(line))
            self.stream.write(f"\r{line}{pad}" + ("\n" if ended else ""))
            self._width = len(line)
        elif ended:  # a log file gets the last line only, not one per update
            self.stream.write(line + "\n")
        self.stream.flush()


def _widgets() -> Any:
    import ipywidgets  # imported here: a script's batch never needs it

    return ipywidgets


class BatchView:
    """The live widget of a run, built on first display (``run.widget``)."""

    def __init__(self, run: BatchRun, title: str = "") -> None:
        w = _widgets()
        self.run = run
        self.title = title
        self.bar = w.IntProgress(value=0, min=0, max=len(run.rows), bar_style="info")
        self.numbers = w.HTML()
        self.stop_button = w.Button(description="Stop", icon="stop", button_style="warning")
        self.send_button = w.Button(description="Send", icon="play", button_style="danger")
        self.cancel_button = w.Button(description="Cancel", icon="times")
        self.question = w.HTML()
        loop = asyncio.get_running_loop()
        # Clicks may arrive on another thread (kernel subshells): act on the run's loop.
        self.stop_button.on_click(lambda _b: loop.call_soon_threadsafe(run.stop))
        self.send_button.on_click(lambda _b: loop.call_soon_threadsafe(run.confirm))
        self.cancel_button.on_click(lambda _b: loop.call_soon_threadsafe(run.confirm, False))
        self.asking = w.HBox([self.question, self.send_button, self.cancel_button])
        top = w.HBox([self.bar, self.stop_button], layout=w.Layout(align_items="center"))
        self.box = w.VBox([top, self.numbers, self.asking])
        self.show()

    def show(self) -> None:
        run = self.run
        n = progress_numbers(run)
        self.bar.value = n["finished"]
        ended = n["finished"] == n["total"]
        self.bar.bar_style = "danger" if ended and n["errors"] else "success" if ended else "info"
        title = f"<b>{escape(self.title)}</b> · " if self.title else ""
        warn = "".join(f' · <span style="color:#b45309">{escape(w)}</span>' for w in run.warnings)
        self.numbers.value = f"{title}{escape(progress_text(n))}{warn}"
        self.stop_button.disabled = ended or not (run.running or run.confirmation is not None)
        asking = run.confirmation is not None
        self.asking.layout.display = "" if asking else "none"
        if asking:
            self.question.value = (
                f"This batch is estimated above your limit: {escape(str(run.confirmation))}. "
                "Send it?"
            )
