"""A batch on its way: rows sent through ``Session.arun`` by a pool of ``concurrency`` workers.

Each attempt at a row is one ``Session.arun`` on the batch's one async client, which does not
retry by itself: the batch does, so every attempt passes the rate gate and the error budget
(``api.RateGate``, ``api.FailureBudget``) and is counted. A row that fails with something
worth trying again (429, 5xx, a dropped stream, an in-band error such as model_overloaded)
waits its backoff (at least the Retry-After; a 429 or 503 holds every new start as long) and
goes again, at most ``retries`` times; then it keeps its error and the others go on. Every
attempt is logged, so every complete answer is also a cache entry the next run finds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator, Iterator, Sequence
from typing import Any

from venice_jupyter.api import FailureBudget, RateGate, RetryPolicy
from venice_jupyter.batching._attempts import NO_RETRIES, GateSink, retry_delay
from venice_jupyter.batching._records import Row, records, table
from venice_jupyter.batching._throttle import Throttle
from venice_jupyter.errors import ConfigError, VeniceError
from venice_jupyter.reply import Reply
from venice_jupyter.request import parse_structured
from venice_jupyter.session import Prepared, Session
from venice_jupyter.sinks import LoggedSink
from venice_jupyter.storage import ExchangeLog

__all__ = ["BatchRun"]


class BatchRun:
    """The rows of one batch and the passes that send them; see ``batch()``.

    ``rows`` fill in as answers arrive; ``table()`` is the result so far, ``await run`` (or
    ``await run.wait()``) the result once every row has finished; ``stop()`` cancels what is
    in flight and keeps what finished; ``retry_failed()`` sends the failed and stopped rows
    again. ``displays`` (``_progress.Throttle``) hear when the numbers move.
    """

    def __init__(
        self,
        session: Session,
        prepared: Sequence[Prepared],
        rows: list[Row],
        *,
        concurrency: int,
        retries: int,
        policy: RetryPolicy,
        budget: FailureBudget,
        log: ExchangeLog | None,
        schema: Any = None,
        index_name: Any = None,
        pandas: bool = True,
    ) -> None:
        self.session = session
        self.rows = rows
        self._prepared: list[Prepared | None] = list(prepared)
        self.concurrency = concurrency
        self.retries = retries
        self.policy = policy
        self.budget = budget
        self.gate = RateGate()
        self.schema = schema
        self._log = log
        self._index_name, self._pandas = index_name, pandas
        self.displays: list[Throttle] = []  # progress displays, told when numbers move
        self.view: Any = None  # the progress widget's parts, in a kernel (``batch()`` adds it)
        self.warnings: list[str] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.attempts = sum(r.attempts for r in rows)
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.sent_done = 0  # rows finished by this batch's own requests (for the ETA)
        self._task: asyncio.Task[None] | None = None
        self._confirmed: asyncio.Future[bool] | None = None
        self.confirmation: Any = None  # the estimate waiting for a yes (``ask``)

    # -- results ----------------------------------------------------------------------
    def table(self) -> Any:
        """The rows so far, in input order: a pandas DataFrame, or dicts without pandas."""
        return table(self.rows, self._index_name, self._pandas)

    def records(self) -> list[dict[str, Any]]:
        return records(self.rows)

    def failed(self) -> list[int]:
        return [i for i, r in enumerate(self.rows) if r.status in ("error", "stopped")]

    @property
    def done(self) -> bool:
        return all(r.finished for r in self.rows)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def widget(self) -> Any:
        """The progress widget (an ipywidgets VBox) in a kernel, else None."""
        return self.view.box if self.view is not None else None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # A cell's result, or display(run): the progress widget where there is one.
        if self.view is None:
            return {"text/plain": repr(self)}
        return self.view.box._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        counts = {s: sum(r.status == s for r in self.rows) for s in ("done", "error", "stopped")}
        shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return f"<BatchRun {len(self.rows)} rows: {shown or 'nothing finished yet'}>"

    # -- running ----------------------------------------------------------------------
    def start(self, indices: Sequence[int] | None = None) -> BatchRun:
        """Send ``indices`` (default: every row not finished) as a task on the running loop."""
        if self.running:
            raise ConfigError("This batch is still running: stop() it or await it first.")
        todo = (
            [i for i, r in enumerate(self.rows) if not r.finished] if indices is None else indices
        )
        self._task = asyncio.get_running_loop().create_task(self.send(todo))
        return self

    def ask(self, estimate: Any) -> BatchRun:
        """Send nothing until ``confirm()`` (the progress widget's Send button) says so."""
        self.confirmation = estimate
        self._confirmed = asyncio.get_running_loop().create_future()
        self.changed(final=True)
        return self

    def confirm(self, go: bool = True) -> BatchRun:
        """Answer ``ask``: send the batch (``go``), or stop it without sending anything."""
        if self._confirmed is None or self._confirmed.done():
            return self
        self._confirmed.set_result(go)
        self.confirmation = None
        if go:
            return self.start()
        for row in self.rows:
            if not row.finished:
                row.status, row.error = "stopped", "Not sent: the estimate was declined."
        self.changed(final=True)
        return self

    def retry_failed(self) -> BatchRun:
        """Send the rows that failed or were stopped again (a new pass, on the running loop)."""
        again = self.failed()
        for i in again:
            self.rows[i].status, self.rows[i].error = "pending", None
        return self.start(again)

    def stop(self) -> None:
        """Cancel the rows in flight (they end "stopped"); finished rows are kept."""
        if self._task is not None:
            self._task.cancel()
        else:
            self.confirm(go=False)

    async def wait(self) -> Any:
        """The table once this pass has finished (cancelling this wait stops nothing)."""
        if self._confirmed is not None and not self._confirmed.done():
            await asyncio.wait([self._confirmed])
        if self._task is not None:
            await asyncio.wait([self._task])
        return self.table()

    def __await__(self) -> Generator[Any, None, Any]:
        return self.wait().__await__()

    async def send(self, indices: Sequence[int]) -> None:
        """One pass over ``indices``: ``concurrency`` workers on one client, closed after."""
        self.started_at = self.started_at or time.perf_counter()
        self.finished_at = None
        todo: Iterator[int] = iter(indices)  # shared: each worker takes the next row
        client = self.session.new_aclient(retry=NO_RETRIES)
        workers = [
            asyncio.ensure_future(self._worker(todo, client))
            for _ in range(min(self.concurrency, len(indices)))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await client.aclose()
            for i in indices:  # stopped before they were sent
                if not self.rows[i].finished:
                    self.rows[i].status = "stopped"
                    self.rows[i].error = "Stopped before it was sent."
            self.finished_at = time.perf_counter()
            self.changed(final=True)

    async def _worker(self, todo: Iterator[int], client: Any) -> None:
        for i in todo:
            try:
                await self._row(i, client)
            except asyncio.CancelledError:
                row = self.rows[i]
                row.status, row.error = "stopped", "Stopped while it was being answered."
                raise
            except Exception as exc:  # a bug must not vanish inside a task: it is the row's
                self._end(i, None, f"{type(exc).__name__}: {exc}")

    async def _row(self, i: int, client: Any) -> None:
        prepared, row = self._prepared[i], self.rows[i]
        assert prepared is not None
        while True:
            await self.gate.wait()
            await self.budget.acquire()
            row.status = "running"
            row.attempts += 1
            self.attempts += 1
            self._flight(+1)
            sink = LoggedSink(
                GateSink(self.gate), self._log, on_warning=self._log_off, conversation="(batch)"
            )
            try:
                reply = await self.session.arun(prepared, sink, client=client)
            except VeniceError as err:
                self.budget.release(failed=True)
                self._flight(-1)
                wait = retry_delay(err, row.attempts, self.retries, self.policy, self.gate)
                if wait is None:
                    self._end(i, None, err.message)
                    return
                row.status = "retrying"
                self.changed()
                await asyncio.sleep(wait)
                continue
            except BaseException:  # cancelled: not the server's failure
                self.budget.release(failed=False)
                self._flight(-1)
                raise
            self.budget.release(failed=False)
            self._flight(-1)
            self._end(i, reply, None)
            return

    def _end(self, i: int, reply: Reply | None, error: str | None) -> None:
        row = self.rows[i]
        if reply is not None:
            row.fill(reply)
            self.sent_done += 1
            error = self._parse(row) if self.schema is not None else None
        row.status, row.error = ("error", error) if error else ("done", None)
        if row.status == "done":
            self._prepared[i] = None  # only a failed row may be sent again
        self.changed()

    def answered_from_cache(self, i: int, reply: Reply) -> bool:
        """Fill row ``i`` from a cached reply; False when the reply no longer fits the schema
        (the row is then sent again)."""
        row = self.rows[i]
        row.fill(reply)
        if self.schema is not None and self._parse(row) is not None:
            row.answer, row.cached, row.fields = "", False, None
            return False
        row.status, row.attempts = "done", 0
        self._prepared[i] = None
        return True

    def _parse(self, row: Row) -> str | None:
        """Fill ``row.fields`` from its answer; the reason when it does not fit the schema."""
        try:
            parsed = parse_structured(row.answer, self.schema)
        except (ValueError, RecursionError) as exc:  # pydantic's ValidationError included
            return f"The answer does not fit the schema: {exc}"
        if hasattr(parsed, "model_dump"):
            parsed = parsed.model_dump()
        row.fields = parsed if isinstance(parsed, dict) else {"value": parsed}
        return None

    # -- the numbers a progress display shows -------------------------------------------
    def _flight(self, step: int) -> None:
        self.in_flight += step
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        self.changed()

    def changed(self, final: bool = False) -> None:
        """The numbers moved: tell every display (each one throttles itself)."""
        for throttle in self.displays:
            throttle.ping(final)

    def _log_off(self, message: str) -> None:
        # The log is the cache too, but a broken log must not stop the batch: go on without.
        self._log = None
        self.warnings.append(f"exchange log off ({message}): answers are not cached")
        self.changed()
