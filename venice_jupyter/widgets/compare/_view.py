"""The widget of the compare view: a column per request, a status line and a Stop button.

Each column streams through ``Session.arun`` into its own ``WidgetSink`` (as a task on the
running loop); ``_ColumnSink`` wraps that sink to keep the view's books: the column's status,
the streams in flight and the rate-limit gate. ``compare()`` (in ``compare``) builds and starts it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from functools import partial
from html import escape
from typing import Any

import ipywidgets as w

from venice_jupyter.api import RateGate
from venice_jupyter.errors import ConfigError, StreamCancelled, VeniceError
from venice_jupyter.render import ToolView, stats_parts, summary
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared, Session
from venice_jupyter.sinks import LoggedSink, WidgetSink
from venice_jupyter.widgets._loop import current_loop, on_loop
from venice_jupyter.widgets.compare._plan import (
    Column,
    CompareResult,
    dataframe,
    rows,
    text_table,
)

__all__ = ["CompareView"]

GRID_MAX_COLUMNS = 6
STATUS_ICONS = {"queued": "…", "running": "⏳", "done": "✓", "error": "⚠", "stopped": "■"}


def _stats_html(r: CompareResult) -> str:
    parts = stats_parts(summary(r.reply)) if r.reply is not None else []
    if r.finish_reason:
        parts.append(r.finish_reason)
    if r.status in ("error", "stopped"):
        parts.append(r.status)
    text = " · ".join(escape(p) for p in parts)
    return f'<div class="venice-compare-stats" style="font-size:0.8em;opacity:0.75">{text}</div>'


class _ColumnSink:
    """The column's ``WidgetSink`` plus the view's bookkeeping (in-flight count, rate gate)."""

    def __init__(self, view: CompareView, index: int, inner: WidgetSink) -> None:
        self.view, self.index, self.inner = view, index, inner
        self._noted = False

    def on_start(self, prepared: Prepared) -> None:
        self.view._started(self.index)
        self.inner.on_start(prepared)

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        if not self._noted:  # headers are in: let the gate see the budget early
            self._noted = True
            self.view.gate.note(reply.meta)
        self.inner.on_delta(delta, reply)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        self.inner.on_retry(error, delay, attempt)

    def on_tool(self, view: ToolView) -> None:
        self.inner.on_tool(view)

    def on_finish(self, reply: Reply) -> None:
        self.inner.on_finish(reply)
        self.view._ended(self.index, reply, None)

    def on_error(self, error: VeniceError) -> None:
        self.inner.on_error(error)
        self.view._ended(self.index, error.partial or Reply(), error)


class CompareView(w.VBox):  # type: ignore[misc]
    """Columns streaming one prompt each; ``results`` fill in as they finish.

    Built by ``compare()``; shows itself when it is a cell's result or passed to ``display``.
    ``peak_in_flight`` is the most streams that ran at once (the concurrency bound held if it is
    at most ``concurrency``).
    """

    def __init__(
        self,
        session: Session,
        columns: Sequence[tuple[Column, Prepared]],
        *,
        concurrency: int = 4,
        grid_columns: int = 0,
        updates_per_second: float = 10.0,
        reasoning: str = "show",
        log: Any = None,
        title: str = "",
    ) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None  # set by start(): owns the tasks
        self.session = session
        self.concurrency = concurrency
        self.gate = RateGate()
        self.peak_in_flight = 0
        self._in_flight = 0
        self._log = log
        self._prepared = [p for _, p in columns]
        self._results = [
            CompareResult(c.label, c.model, dict(p.params.items()), dict(c.overrides))
            for c, p in columns
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._started_at = 0.0
        # Columns share a budget of display updates so a big grid does not flood the front end.
        per_column = max(2.0, 2 * updates_per_second / max(1, len(columns)))
        compact = grid_columns > 0
        self._answers = [self._answer_widget(compact) for _ in columns]
        self._stats = [w.HTML(_stats_html(r)) for r in self._results]
        self._sinks = [
            _ColumnSink(
                self,
                i,
                WidgetSink(html, updates_per_second=per_column, footer=False, reasoning=reasoning),
            )
            for i, html in enumerate(self._answers)
        ]
        self._title = title
        self.status = w.HTML()
        self.stop_button = w.Button(
            description="Stop", icon="stop", button_style="warning", layout=w.Layout(width="90px")
        )
        # Clicks may arrive on a subshell thread: cancel on the loop that owns the tasks.
        self.stop_button.on_click(lambda _b: on_loop(self._loop, self.stop))
        cells = [self._cell(i, compact) for i in range(len(columns))]
        if compact:
            n = min(grid_columns, GRID_MAX_COLUMNS)
            body: w.Box = w.GridBox(
                cells,
                layout=w.Layout(
                    grid_template_columns=f"repeat({n}, minmax(0, 1fr))", grid_gap="6px"
                ),
            )
        else:
            body = w.HBox(cells, layout=w.Layout(flex_flow="row wrap", align_items="stretch"))
        top = w.HBox([self.status, self.stop_button], layout=w.Layout(align_items="center"))
        super().__init__([top, body])
        self._show_status()

    # -- layout -------------------------------------------------------------------------
    @staticmethod
    def _answer_widget(compact: bool) -> w.HTML:
        height = "180px" if compact else "420px"
        style = {"font_size": "0.85em"} if compact else {}
        waiting = '<div style="opacity:0.6">queued…</div>'
        return w.HTML(waiting, style=style, layout=w.Layout(max_height=height, overflow="auto"))

    def _cell(self, i: int, compact: bool) -> w.VBox:
        r = self._results[i]
        sub = ""
        if not r.label.startswith(r.model):
            sub = f' <span style="opacity:0.6">{escape(r.model)}</span>'
        header = w.HTML(f'<b class="venice-compare-label">{escape(r.label)}</b>{sub}')
        if compact:
            layout = w.Layout(border="1px solid #ddd", padding="4px", min_width="0")
        else:
            layout = w.Layout(
                flex="1 1 300px",
                min_width="260px",
                margin="0 8px 8px 0",
                border="1px solid #ddd",
                padding="6px",
            )
        return w.VBox([header, self._answers[i], self._stats[i]], layout=layout)

    def _show_status(self) -> None:
        counts = {s: sum(r.status == s for r in self._results) for s in STATUS_ICONS}
        parts = [f"{icon} {counts[s]} {s}" for s, icon in STATUS_ICONS.items() if counts[s]]
        if self.done and self._started_at:
            parts.append(f"{time.perf_counter() - self._started_at:.1f} s")
        title = f"<b>{escape(self._title)}</b> · " if self._title else ""
        self.status.value = f"{title}{len(self._results)} requests · " + " · ".join(parts)
        self.stop_button.disabled = self.done

    # -- running ------------------------------------------------------------------------
    def start(self) -> CompareView:
        """Schedule every column on the running loop (``compare()`` does this)."""
        if self._tasks:
            return self
        loop = self._loop = current_loop()
        if loop is None:
            raise ConfigError(
                "The compare view streams as asyncio tasks and needs a running event loop, as in "
                "a Jupyter kernel. In a script: create it inside a coroutine run by asyncio.run() "
                "and `await view.wait()`."
            ) from None
        self._started_at = time.perf_counter()
        semaphore = asyncio.Semaphore(self.concurrency)
        for i in range(len(self._sinks)):
            task = loop.create_task(self._run(i, semaphore))
            task.add_done_callback(partial(self._never_started, i))
            self._tasks.append(task)
        return self

    async def _run(self, i: int, semaphore: asyncio.Semaphore) -> None:
        result, prepared = self._results[i], self._prepared[i]
        sink = LoggedSink(
            self._sinks[i], self._log, on_warning=self._log_off, conversation="(compare)"
        )
        try:
            async with semaphore:
                if self.gate.delay() > 0:
                    self._answers[i].value = (
                        f'<div style="opacity:0.6">waiting {self.gate.delay():.0f} s for the '
                        "rate limit to reset…</div>"
                    )
                await self.gate.wait()
                await self.session.arun(prepared, sink)
        except asyncio.CancelledError:
            if result.status == "queued":  # stopped while waiting for its turn
                self._never_started(i)
        except VeniceError:
            pass  # the sink showed it in the column and recorded it in the result
        except Exception as exc:  # a bug must not vanish inside a task: show it in its column
            self._answers[i].value = f'<pre style="color:#b91c1c">{escape(repr(exc))}</pre>'
            self._ended(i, Reply(), exc)

    def _never_started(self, i: int, _task: object = None) -> None:
        # A task cancelled before its first step never runs its body (Stop right after start).
        if not self._results[i].finished:
            self._answers[i].value = '<div style="opacity:0.6">Stopped before it started.</div>'
            self._ended(i, Reply(), StreamCancelled("Stopped before it was sent."))

    def _started(self, i: int) -> None:
        self._results[i].status = "running"
        self._in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        self._show_status()

    def _ended(self, i: int, reply: Reply, error: Exception | None) -> None:
        result = self._results[i]
        if result.status == "running":
            self._in_flight -= 1
        result.fill(reply)
        result.error = error
        stopped = isinstance(error, StreamCancelled)
        result.status = "done" if error is None else "stopped" if stopped else "error"
        self.gate.note(reply.meta)
        self._stats[i].value = _stats_html(result)
        self._show_status()

    def stop(self) -> None:
        """Cancel every column: running streams keep what they showed, queued ones never start."""
        for task in self._tasks:
            task.cancel()

    @property
    def done(self) -> bool:
        return all(r.finished for r in self._results)

    async def wait(self) -> list[CompareResult]:
        """The results once every column has finished (cancelling this wait stops nothing)."""
        if self._tasks:
            await asyncio.wait(self._tasks)
        return self.results

    # -- results ------------------------------------------------------------------------
    @property
    def results(self) -> list[CompareResult]:
        """One ``CompareResult`` per column, in column order (unfinished ones included)."""
        return list(self._results)

    def table(self) -> list[dict[str, Any]]:
        """The results as plain dicts with the same keys (varied parameters get their own)."""
        return rows(self._results)

    def to_dataframe(self) -> Any:
        """The ``table()`` rows as a pandas DataFrame (needs pandas; ConfigError otherwise)."""
        return dataframe(self._results)

    def _log_off(self, message: str) -> None:
        # The log is a convenience: if it fails, the compare goes on without it.
        if self._log is not None:
            self._log = None
            self._title = f"{self._title} (exchange log off: {message})".strip()
            self._show_status()

    def __repr__(self) -> str:
        # The text/plain of the widget: what a saved notebook or a text front end shows.
        return f"CompareView, {len(self._results)} columns:\n{text_table(self._results)}"
