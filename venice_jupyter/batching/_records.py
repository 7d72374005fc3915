"""One compact record per row, and the rows as a table (a pandas DataFrame, or plain dicts).

A row keeps the numbers a table shows, never the ``Reply`` (its chunks, logprobs and headers):
what a batch holds grows with the answers, not with what streaming them took.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from venice_jupyter.reply import Reply

__all__ = ["COLUMNS", "STATUSES", "Row", "records", "table"]

# pending: not sent yet; running / retrying: on its way; done; error: its last attempt failed
# (or the answer did not fit the schema); stopped: Stop or an interrupt came first.
STATUSES: Final = ("pending", "running", "retrying", "done", "error", "stopped")
COLUMNS: Final = (
    "prompt", "answer", "status", "finish_reason", "prompt_tokens", "completion_tokens",
    "cost_usd", "ttft_s", "latency_s", "attempts", "cached", "error",
)  # fmt: skip


@dataclass(slots=True)
class Row:
    label: Any
    prompt: str
    status: str = "pending"
    answer: str = ""
    fields: dict[str, Any] | None = None  # the parsed answer's fields (schema=)
    tool_calls: list[dict[str, str]] | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None  # what the answer cost when it was made (cached: earlier)
    ttft_s: float | None = None
    latency_s: float | None = None
    attempts: int = 0  # HTTP attempts this batch made for the row (0: from the cache)
    cached: bool = False
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "error", "stopped")

    def fill(self, reply: Reply) -> None:
        """The numbers of ``reply`` (the reply itself is not kept)."""
        self.answer = reply.text
        self.finish_reason = reply.finish_reason
        if reply.usage is not None:
            self.prompt_tokens = reply.usage.prompt_tokens
            self.completion_tokens = reply.usage.completion_tokens
        self.cost_usd = reply.cost.usd if reply.cost is not None else None
        self.ttft_s, self.latency_s = reply.timings.ttft, reply.timings.total
        calls = reply.choices[0].tool_calls if reply.choices else []
        self.tool_calls = [{"name": c.name, "arguments": c.arguments} for c in calls] or None
        self.cached = reply.cached

    def record(self, field_names: Sequence[str], tools: bool) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in COLUMNS[:2]}
        parsed = self.fields or {}
        for name in field_names:
            out[_field_column(name)] = parsed.get(name)
        if tools:
            out["tool_calls"] = self.tool_calls
        out.update({name: getattr(self, name) for name in COLUMNS[2:]})
        return out


def _field_column(name: str) -> str:
    """A schema field as a column; one named like a standard column gets a prefix."""
    return f"parsed_{name}" if name in COLUMNS or name == "tool_calls" else name


def _field_names(rows: Sequence[Row]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        if row.fields:
            names.update(dict.fromkeys(row.fields))
    return list(names)


def records(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """One dict per row, all with the same keys, with the input's label as ``row``."""
    names = _field_names(rows)
    tools = any(r.tool_calls for r in rows)
    return [{"row": r.label, **r.record(names, tools)} for r in rows]


def table(rows: Sequence[Row], index_name: Any = None, pandas: bool = True) -> Any:
    """A DataFrame indexed by the input's labels when pandas is installed, else ``records``."""
    plain = records(rows)
    try:
        pd = importlib.import_module("pandas") if pandas else None
    except ImportError:
        pd = None
    if pd is None:
        return plain
    labels = [r.pop("row") for r in plain]
    frame = pd.DataFrame(plain, index=pd.Index(labels, name=index_name))
    return frame
