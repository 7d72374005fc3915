"""The compare view where nothing renders widgets (terminal IPython): the columns one after
another, each streamed as text under its label, then a table of their numbers.

No event loop runs a terminal cell, so the columns go through ``Session.run`` in turn; what is
compared (models, settings, samples) and what comes back (``CompareResult``) are the same.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from venice_jupyter import workspace as ws
from venice_jupyter.errors import VeniceError
from venice_jupyter.reply import Reply
from venice_jupyter.session import Prepared, Session
from venice_jupyter.sinks import LoggedSink, TerminalSink
from venice_jupyter.widgets.compare._plan import Column, CompareResult, dataframe, rows, text_table

__all__ = ["CompareTable", "run_in_terminal"]


class CompareTable(list[CompareResult]):
    """The results of a compare that ran in a terminal; its repr is their table."""

    def table(self) -> list[dict[str, Any]]:
        return rows(self)

    def to_dataframe(self) -> Any:
        return dataframe(self)

    def __repr__(self) -> str:
        return text_table(self)


def run_in_terminal(
    state: ws.Workspace,
    session: Session,
    columns: Sequence[tuple[Column, Prepared]],
    *,
    reasoning: str = "show",
) -> CompareTable:
    results = CompareTable()
    for column, prepared in columns:
        result = CompareResult(column.label, column.model, dict(prepared.params.items()),
                               dict(column.overrides))  # fmt: skip
        sys.stdout.write(f"\n=== {column.label} ===\n")
        sink = LoggedSink(
            TerminalSink(reasoning=reasoning), state.log(), on_warning=_warn,
            conversation="(compare)", ledger=state.ledger,
        )  # fmt: skip
        try:
            result.fill(session.run(prepared, sink))
            result.status = "done"
        except VeniceError as err:  # the sink printed it; the next column still runs
            result.fill(err.partial or Reply())
            result.error = err
            result.status = "error"
        results.append(result)
    return results


def _warn(message: str) -> None:
    print(f"venice log: {message}", file=sys.stderr)
