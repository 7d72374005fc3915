"""The HTML beside the sampling lab's charts: the context, the survivors, the draws' tally.

Tokens are untrusted text a model wrote: they are shown escaped, whitespace made visible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from venice_jupyter.offline.models import Stage
from venice_jupyter.widgets.lab._chart import KEPT
from venice_jupyter.widgets.lab._token_text import escaped, printable

__all__ = ["context_html", "survivors_table", "tally_table"]

NUM = ' style="text-align:right"'


def _code(token: str, marked: bool = False) -> str:
    return f"<code>{escaped(token)}</code>" + (" ◀ next" if marked else "")


def _table(kind: str, caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
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


def survivors_table(
    tokens: Sequence[str], stages: Sequence[Stage], marked: int | None = None, limit: int = 20
) -> str:
    """The tokens that survive every sampler (the ``limit`` most probable), with their model and
    renormalised probabilities."""
    first, final = stages[0].probabilities, stages[-1].probabilities
    alive = sorted((i for i, k in enumerate(stages[-1].kept) if k), key=lambda i: -final[i])
    head = ["token", "model p", "sampled p"]
    shown = alive[: max(1, limit)]
    rows = [[_code(tokens[i], i == marked), f"{first[i]:.4f}", f"{final[i]:.4f}"] for i in shown]
    more = f" ({len(shown)} shown)" if len(shown) < len(alive) else ""
    return _table("survivors", f"{len(alive)} survivors{more}", head, rows)


def tally_table(tokens: Sequence[str], expected: Sequence[float], counts: Mapping[str, int]) -> str:
    """Observed draws next to what the final distribution predicts."""
    n = max(1, sum(counts.values()))
    order = sorted(range(len(tokens)), key=lambda i: -expected[i])
    got = [counts.get(t, 0) for t in tokens]
    rows = [
        [
            _code(tokens[i]),
            str(got[i]),
            f"{expected[i] * n:.1f}",
            f"{got[i] / n:.3f}",
            f"{expected[i]:.3f}",
        ]
        for i in order
        if expected[i] > 0 or got[i]
    ]
    head = ["token", "observed", "expected", "observed share", "p"]
    return _table("tally", f"{sum(counts.values())} draws", head, rows)


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
