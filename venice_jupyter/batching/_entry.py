"""``batch()`` and ``abatch()``: many prompts, one table, at most ``concurrency`` in flight.

Everything is checked and prepared first (one bad row: nothing is sent), answers already in
the exchange log are taken from it (``cache=True``), and a batch estimated above the
``batch_confirm_usd`` setting asks first. Then:

- in a kernel (a running event loop), ``batch()`` returns a ``BatchRun`` at once: the rows are
  asyncio tasks on that loop, its progress widget is the cell's output and its Stop button
  works; ``await run`` gives the table;
- in plain Python (no loop running), ``batch()`` runs a loop of its own until every row has
  finished and returns the table. Only there: ``asyncio.run`` inside a running loop fails;
- ``await abatch(...)`` runs on the caller's loop and returns the table.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from typing import Any

from venice_jupyter import workspace as ws
from venice_jupyter.api import FailureBudget, ModelCatalog
from venice_jupyter.batching._inputs import rows_from
from venice_jupyter.batching._plan import Estimate, Plan, plan
from venice_jupyter.batching._progress import BatchView, TextProgress
from venice_jupyter.batching._records import Row
from venice_jupyter.batching._runner import BatchRun
from venice_jupyter.batching._throttle import Throttle
from venice_jupyter.errors import ParameterError
from venice_jupyter.request import ChatParams, response_format_for
from venice_jupyter.session import Session

__all__ = ["MAX_CONCURRENCY", "abatch", "batch"]

MAX_CONCURRENCY = 20  # more could fail together and trip Venice's error budget (api._rate)
BATCH_UPDATES_PER_SECOND = 4.0  # a progress display redraws at most this often
# The error budget is the key's, not one batch's: batches of one workspace share one.
_BUDGETS: weakref.WeakKeyDictionary[ws.Workspace, FailureBudget] = weakref.WeakKeyDictionary()


def batch(
    prompts: Any,
    *,
    template: str | None = None,
    model: str | None = None,
    concurrency: int = 8,
    schema: Any = None,
    cache: bool = True,
    dry_run: bool = False,
    workspace: ws.Workspace | None = None,
    system: str | None = None,
    images: Any = None,
    retries: int | None = None,
    confirm: bool = False,
    progress: bool = True,
    **params: Any,
) -> Any:
    """Send every prompt, at most ``concurrency`` at a time; the answers as a table.

    ``prompts``: a list of strings, a pandas Series, a list of dicts or a DataFrame, with
    ``template`` (``"Label: {text}"``) filled per row from its columns (``{prompt}`` for a
    list). ``schema``: a JSON Schema dict or a pydantic model; its fields become columns.
    ``cache``: answer a request sent before from the exchange log (no call, no new cost).
    ``images``: a column name, or one image (or list) per prompt. ``retries``: attempts after
    the first for a row that failed on the server's side (default: the workspace's policy).
    ``dry_run=True`` sends nothing and returns the requests and their estimated cost;
    ``confirm=True`` sends a batch estimated above the ``batch_confirm_usd`` setting. Every
    other keyword is a request parameter (``temperature=0``, ``max_completion_tokens=50``).

    The table (a pandas DataFrame when pandas is installed, else a list of dicts) has a row
    per prompt, in input order: prompt, answer, the schema's fields, status, finish_reason,
    prompt/completion tokens, cost_usd (what the answer cost when it was made), ttft_s,
    latency_s, attempts, cached, error. In a kernel the call returns a ``BatchRun`` at once
    (a progress widget with Stop): ``table = await run``.
    """
    home = workspace or ws.current()
    session = home.session()
    job = _Job(home, session, prompts, template, model, concurrency, schema, images, retries,
               system, params, session.catalog())  # fmt: skip
    cached = job.lookup(cache)
    if dry_run:
        return job.plan.dry_run(cached)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None:
        job.check_cost(cached, confirm, "pass confirm=True")
        return _run_to_end(job, cached, progress)
    run = job.run(cached)
    in_kernel = _in_kernel()
    if progress:
        _attach(run, in_kernel, job.plan.model)
    estimate = job.plan.estimate(cached)
    if not confirm and job.too_costly(estimate):
        if not in_kernel:  # nobody could click Send: say so now, as in plain Python
            job.check_cost(cached, confirm, "pass confirm=True")
        return run.ask(estimate)
    return run.start()


async def abatch(
    prompts: Any,
    *,
    template: str | None = None,
    model: str | None = None,
    concurrency: int = 8,
    schema: Any = None,
    cache: bool = True,
    dry_run: bool = False,
    workspace: ws.Workspace | None = None,
    system: str | None = None,
    images: Any = None,
    retries: int | None = None,
    confirm: bool = False,
    progress: bool = False,
    **params: Any,
) -> Any:
    """``batch()`` as a coroutine: ``table = await abatch(...)`` on the caller's loop (the same
    arguments; no progress line unless ``progress=True``)."""
    home = workspace or ws.current()
    session = home.session()
    catalog = await session.acatalog()
    job = _Job(home, session, prompts, template, model, concurrency, schema, images, retries,
               system, params, catalog)  # fmt: skip
    cached = job.lookup(cache)
    if dry_run:
        return job.plan.dry_run(cached)
    job.check_cost(cached, confirm, "pass confirm=True")
    run = job.run(cached)
    if progress:
        _attach(run, False, job.plan.model)
    return await run.start()


def _in_kernel() -> bool:
    """An IPython kernel (a front end shows widgets), not a terminal IPython or a script."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    return type(shell).__name__ == "ZMQInteractiveShell"


def _attach(run: BatchRun, widget: bool, title: str) -> None:
    if widget:
        view = BatchView(run, title=f"batch · {title}")
        run.view = view
        run.displays.append(Throttle(view.show, BATCH_UPDATES_PER_SECOND))
    else:
        run.displays.append(Throttle(TextProgress(run).show, BATCH_UPDATES_PER_SECOND))


def _run_to_end(job: _Job, cached: list[bool], progress: bool) -> Any:
    async def main() -> Any:
        run = job.run(cached)
        if progress:
            _attach(run, False, job.plan.model)
        holder.append(run)
        return await run.start()

    holder: list[BatchRun] = []
    try:
        # No loop is running (checked by the caller), so this one is ours to run and close.
        return asyncio.run(main())
    except KeyboardInterrupt:
        if holder:
            left = len(holder[0].rows) - sum(r.status == "done" for r in holder[0].rows)
            print(
                f"batch stopped: {left:,} rows not answered. The answered ones are in the "
                "exchange log: call batch() again to send only the rest.",
                file=sys.stderr,
            )
        raise


class _Job:
    """The checked, prepared batch, before anything is sent."""

    def __init__(
        self,
        home: ws.Workspace,
        session: Session,
        prompts: Any,
        template: str | None,
        model: str | None,
        concurrency: int,
        schema: Any,
        images: Any,
        retries: int | None,
        system: str | None,
        params: dict[str, Any],
        catalog: ModelCatalog | None,
    ) -> None:
        if (
            isinstance(concurrency, bool)
            or not isinstance(concurrency, int)
            or not (1 <= concurrency <= MAX_CONCURRENCY)
        ):
            raise ParameterError(
                "concurrency", concurrency, f"a whole number from 1 to {MAX_CONCURRENCY}",
                hint="Venice blocks a key for 30 s after more than 20 failed requests in 30 s, "
                "so no more than that may be in flight at once. Nothing was sent.",
            )  # fmt: skip
        policy = home.retry or session.client.retry
        if retries is None:
            retries = policy.max_retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ParameterError("retries", retries, "a whole number ≥ 0", hint="Nothing was sent.")
        checked = ChatParams.from_mapping(params)
        if schema is not None:
            checked = checked.set(response_format=response_format_for(schema))
        self.home, self.session, self.schema = home, session, schema
        self.concurrency, self.retries, self.policy = concurrency, retries, policy
        self.inputs = rows_from(prompts, template, images)
        self.plan: Plan = plan(
            session, self.inputs, params=checked, model=model, system=system, catalog=catalog
        )
        self.log = home.log()
        self.replies: list[Any] = []

    def lookup(self, use_cache: bool) -> list[bool]:
        """Which rows the cache answers (their replies kept for ``run``)."""
        n = len(self.plan.prepared)
        if not use_cache:
            self.replies = [None] * n
        else:
            self.replies = self.home.cache().lookup_many([p.body for p in self.plan.prepared])
        return [r is not None for r in self.replies]

    def too_costly(self, estimate: Estimate) -> bool:
        limit = self.home.settings.batch_confirm_usd
        return estimate.cost_usd is not None and estimate.cost_usd > limit

    def check_cost(self, cached: list[bool], confirm: bool, how: str) -> None:
        estimate = self.plan.estimate(cached)
        if confirm or not self.too_costly(estimate):
            return
        limit = self.home.settings.batch_confirm_usd
        cost = "cost unknown" if estimate.cost_usd is None else f"≈${estimate.cost_usd:.4f}"
        raise ParameterError(  # the value short (errors cut long ones); the whole estimate after
            "batch", cost, f"an estimate at most batch_confirm_usd=${limit:g}",
            hint=f"The estimate: {estimate}. To send it, {how}; dry_run=True shows the "
            "requests; or raise the limit (`%venice set batch_confirm_usd=…`, or "
            "workspace.settings.batch_confirm_usd). "
            "Nothing was sent.",
        )  # fmt: skip

    def run(self, cached: list[bool]) -> BatchRun:
        inputs = self.inputs
        rows = [Row(r.label, r.prompt) for r in inputs.rows]
        run = BatchRun(
            self.session, self.plan.prepared, rows, concurrency=self.concurrency,
            retries=self.retries, policy=self.policy, budget=_budget(self.home),
            log=self.log if self.log.enabled else None, schema=self.schema,
            index_name=inputs.index_name,
        )  # fmt: skip
        for i, reply in enumerate(self.replies):
            if reply is not None and not run.answered_from_cache(i, reply):
                cached[i] = False
        self.replies = []  # the rows hold what they need
        return run


def _budget(home: ws.Workspace) -> FailureBudget:
    if home not in _BUDGETS:
        _BUDGETS[home] = FailureBudget()
    return _BUDGETS[home]
