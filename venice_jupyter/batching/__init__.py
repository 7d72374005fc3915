"""Many prompts at once: ``batch()`` / ``abatch()`` send a list or a DataFrame of prompts with
bounded, rate-aware concurrency and return one table; the exchange log answers what was sent
before (the response cache), so re-running a notebook costs nothing again.

    table = venice_jupyter.batch(["Hi", "Bye"])                  # plain Python: the table
    run = venice_jupyter.batch(df, template="Label: {text}")      # a kernel: live, with Stop
    table = await run            # or: await venice_jupyter.abatch(...)
    run.retry_failed()           # or call batch() again: only what failed is sent

Inside: ``_inputs`` (rows and their checks) -> ``_plan`` (Session.prepare per row, the cost
estimate) -> ``_runner`` (the workers, through ``_attempts``: retries, the rate gate, the
error budget) -> ``_records`` (the table); ``_progress`` shows it; ``_entry`` is the API.
"""

from venice_jupyter.batching._entry import MAX_CONCURRENCY, abatch, batch
from venice_jupyter.batching._plan import ASSUMED_COMPLETION, DryRun, Estimate
from venice_jupyter.batching._records import COLUMNS, STATUSES
from venice_jupyter.batching._runner import BatchRun

__all__ = [
    "ASSUMED_COMPLETION",
    "COLUMNS",
    "MAX_CONCURRENCY",
    "STATUSES",
    "BatchRun",
    "DryRun",
    "Estimate",
    "abatch",
    "batch",
]
