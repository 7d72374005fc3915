"""The HTML beside the sampling lab's charts: the context, the survivors, the draws' tally.

Tokens are untrusted text a model wrote: they are shown escaped, whitespace made visible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import numpy as np
from numpy.typing import NDArray

from venice_jupyter.offline.models import Stage
from venice_jupyter.widgets.lab._chart import KEPT
from venice_jupyter.widgets.lab._token_text import escaped, printable

__all__ = ["code_cell", "context_html", "html_table", "survivors_table", "tally_table"]

NUM = ' style="text-align:right"'


def code_cell(token: str, marked: bool = False) -> str:
    return f"<code>{escaped(token)}</code>" + (" ◀ next" if marked else "")


def html_table(kind: str, caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A small table; cells after the first are numbers, right-aligned."""
    cells = "".join(
        "<tr>"
        + "".join(f"<td{'' if j == 0 else NUM}>{c}</td>" for j, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    titles = "".join(f"<th>{h}</th>" for h in head)
    return (
        f'<table class="venice-lab-{kind}"><caption>{caption}</caption>'
        f"<thead><tr>{titles}</tr></thead><tbody>{cells}</tbody></table>"
    )


def _best(probs: NDArray[np.float64], among: NDArray[np.bool_], limit: int) -> list[int]:
    """The ``limit`` most probable candidates ``among`` those flagged, most probable first."""
    candidates = np.flatnonzero(among)
    if len(candidates) > limit:
        candidates = candidates[np.argpartition(-probs[candidates], limit - 1)[:limit]]
        candidates.sort()
    return [int(i) for i in candidates[np.argsort(-probs[candidates], kind="stable")]]


def survivors_table(
    tokens: Sequence[str], stages: Sequence[Stage], marked: int | None = None, limit: int = 20
) -> str:
    """The tokens that survive every sampler (the ``limit`` most probable), with their model and
    renormalised probabilities."""
    first, final = stages[0].p, stages[-1].p
    alive = int(stages[-1].keep.sum())
    shown = _best(final, stages[-1].keep, max(1, limit))
    head = ["token", "model p", "sampled p"]
    rows = [
        [code_cell(tokens[i], i == marked), f"{first[i]:.4f}", f"{final[i]:.4f}"] for i in shown
    ]
    more = f" ({len(shown)} shown)" if len(shown) < alive else ""
    return html_table("survivors", f"{alive:,} survivors{more}", head, rows)


def tally_table(
    tokens: Sequence[str], expected: NDArray[np.float64], counts: Mapping[int, int], limit: int = 30
) -> str:
    """Observed draws (``counts``: candidate index -> draws) next to what the final distribution
    predicts; beyond ``limit`` rows, the rest is one line."""
    n = max(1, sum(counts.values()))
    involved = expected > 0
    drawn = np.fromiter(counts, dtype=np.intp, count=len(counts))
    involved[drawn] = True
    order = _best(expected, involved, limit)
    rows = [
        [
            code_cell(tokens[i]),
            str(counts.get(i, 0)),
            f"{expected[i] * n:.1f}",
            f"{counts.get(i, 0) / n:.3f}",
            f"{expected[i]:.3f}",
        ]
        for i in order
    ]
    rest = int(np.count_nonzero(involved)) - len(order)
    if rest > 0:
        got = n - sum(counts.get(i, 0) for i in order)
        p = max(0.0, 1.0 - float(expected[order].sum()))
        rows.append([f"{rest:,} others", str(got), f"{p * n:.1f}", f"{got / n:.3f}", f"{p:.3f}"])
    head = ["token", "observed", "expected", "observed share", "p"]
    return html_table("tally", f"{sum(counts.values())} draws", head, rows)


def context_html(tokens: Sequence[str], position: int) -> str:
    """The text around ``position``: what came before, the next token marked, a faded rest."""
    start = max(0, position - 80)
    before = ("…" if start else "") + "".join(tokens[start:position])
    upcoming = tokens[position] if position < len(tokens) else ""
    after = "".join(tokens[position + 1 : position + 40])
    mark = (
        f'<mark style="background:#fed7aa">{escaped(upcoming)}</mark>'
        if upcoming
        else f'<span style="color:{KEPT}">▌</span>'
    )
    return (
        '<div style="font-family:monospace;white-space:pre-wrap;border-left:3px solid #cbd5e1;'
        f'padding-left:6px;margin:4px 0">{escape(printable(before))}{mark}'
        f'<span style="opacity:0.4">{escape(printable(after))}</span></div>'
    )
