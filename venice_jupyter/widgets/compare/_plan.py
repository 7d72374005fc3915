"""What a compare sends and what it gives back, without any widget: columns, results, pacing.

    plan_columns(models, settings=|samples=|grid=)  -> [Column]     models × variants
    CompareResult                                   one column's outcome as a Python object
    rows(results) / dataframe(results)              the results as a table

A column is one request: a model plus the parameters that set it apart (``overrides``). The
variants come from at most one of ``settings`` (a list of parameter dicts), ``samples`` (K
draws: seeds ``seed, seed+1, …`` when a seed is set, otherwise unseeded) or ``grid`` (the
cartesian product of the value lists, the last key varying fastest).
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from venice_jupyter.errors import ConfigError, ParameterError
from venice_jupyter.render import stats_parts, summary
from venice_jupyter.reply import Reply

__all__ = [
    "MAX_COLUMNS",
    "Column",
    "CompareResult",
    "dataframe",
    "grid_width",
    "plan_columns",
    "rows",
    "text_table",
]

MAX_COLUMNS = 64


@dataclass(frozen=True)
class Column:
    label: str
    model: str
    overrides: dict[str, Any] = field(default_factory=dict)


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _label(overrides: Mapping[str, Any]) -> str:
    return " · ".join(f"{k}={_fmt(v)}" for k, v in overrides.items())


def _axis(values: Any) -> list[Any]:
    return list(values) if isinstance(values, (list, tuple, range)) else [values]


def _variants(
    settings: Sequence[Mapping[str, Any]] | None,
    samples: int | None,
    grid: Mapping[str, Any] | None,
    seed: int | None,
) -> list[tuple[str, dict[str, Any]]]:
    given = [n for n, v in (("settings", settings), ("samples", samples), ("grid", grid)) if v]
    if len(given) > 1:
        raise ParameterError(
            "compare", " and ".join(given), "at most one of settings, samples and grid"
        )
    if settings:
        if isinstance(settings, Mapping) or not all(isinstance(s, Mapping) for s in settings):
            raise ParameterError("settings", settings, "a list of parameter dicts")
        return [(_label(s) or "(defaults)", dict(s)) for s in settings]
    if samples is not None:
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ParameterError("samples", samples, "a whole number ≥ 1")
        if seed is None:
            return [(f"sample {i + 1}", {}) for i in range(samples)]
        return [(f"seed {seed + i}", {"seed": seed + i}) for i in range(samples)]
    if grid:
        if not isinstance(grid, Mapping):
            raise ParameterError("grid", grid, 'a dict of value lists, e.g. {"top_p": [0.5, 1]}')
        axes = {name: _axis(values) for name, values in grid.items()}
        empty = [name for name, values in axes.items() if not values]
        if empty:
            raise ParameterError(f"grid[{empty[0]!r}]", [], "at least one value")
        combos = [
            dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())
        ]
        return [(_label(c), c) for c in combos]
    return [("", {})]


def grid_width(grid: Mapping[str, Any] | None) -> int:
    """Cells per row of a grid: the number of values of its last key (0: not a grid)."""
    return len(_axis(list(grid.values())[-1])) if grid else 0


def plan_columns(
    models: Sequence[str],
    *,
    settings: Sequence[Mapping[str, Any]] | None = None,
    samples: int | None = None,
    grid: Mapping[str, Any] | None = None,
    seed: int | None = None,
) -> list[Column]:
    """Every model × every variant, in that order; raises ParameterError before anything runs."""
    if not models or not all(isinstance(m, str) and m.strip() for m in models):
        raise ParameterError("models", list(models), "one or more model ids")
    variants = _variants(settings, samples, grid, seed)
    columns = []
    for model in models:
        for label, overrides in variants:
            if len(models) > 1:
                label = f"{model} · {label}" if label else model
            columns.append(Column(label or model, model, overrides))
    if len(columns) > MAX_COLUMNS:
        raise ParameterError(
            "compare",
            f"{len(columns)} requests",
            f"at most {MAX_COLUMNS} requests",
            hint="Use fewer models, settings or grid values. Nothing was sent.",
        )
    return columns


@dataclass
class CompareResult:
    """One column: what was asked, its state and, once finished, the reply and its numbers.

    ``status`` is ``queued``, ``running``, ``done``, ``error`` or ``stopped``. After an error or
    a stop, ``reply`` holds what had streamed (possibly nothing) and ``error`` the reason.
    """

    label: str
    model: str
    params: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"
    reply: Reply | None = None
    error: Exception | None = None
    served_model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    ttft_s: float | None = None
    total_s: float | None = None
    tokens_per_s: float | None = None
    cost_usd: float | None = None
    finish_reason: str | None = None

    @property
    def text(self) -> str:
        return self.reply.text if self.reply is not None else ""

    @property
    def finished(self) -> bool:
        return self.status in ("done", "error", "stopped")

    def fill(self, reply: Reply) -> None:
        """Copy the summary numbers (``footer.summary``) of ``reply`` onto this result."""
        self.reply = reply
        s = summary(reply)
        self.served_model = s["model"]
        for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "ttft_s"):
            setattr(self, name, s[name])
        for name in ("total_s", "tokens_per_s", "cost_usd", "finish_reason"):
            setattr(self, name, s[name])

    def row(self) -> dict[str, Any]:
        message = getattr(self.error, "message", None) or (str(self.error) if self.error else None)
        return {
            "label": self.label,
            "model": self.model,
            **self.overrides,
            "status": self.status,
            "text": self.text,
            "error": message,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "ttft_s": self.ttft_s,
            "tokens_per_s": self.tokens_per_s,
            "total_s": self.total_s,
            "cost_usd": self.cost_usd,
            "finish_reason": self.finish_reason,
        }


def rows(results: Sequence[CompareResult]) -> list[dict[str, Any]]:
    """One dict per column, all with the same keys (parameters a column lacks are None)."""
    raw = [r.row() for r in results]
    keys: dict[str, None] = {}
    for row in raw:
        keys.update(dict.fromkeys(row))
    return [{k: row.get(k) for k in keys} for row in raw]


def text_table(results: Sequence[CompareResult]) -> str:
    """The columns as aligned text, one line each: what a terminal or text/plain shows."""
    lines = []
    for r in results:
        numbers = " · ".join(stats_parts(summary(r.reply))) if r.reply is not None else ""
        text = " ".join(r.text.split())
        text = text if len(text) <= 60 else text[:59] + "…"
        lines.append(f"{r.label} [{r.status}] {numbers}\n    {text}".rstrip())
    return "\n".join(lines)


def dataframe(results: Sequence[CompareResult]) -> Any:
    """``rows`` as a pandas DataFrame; pandas is optional and imported only here."""
    try:
        pd = importlib.import_module("pandas")
    except ImportError:
        raise ConfigError(
            "to_dataframe() needs pandas, which is not installed (pip install pandas). "
            "view.table() returns the same rows as a list of dicts."
        ) from None
    return pd.DataFrame(rows(results))
