"""The side-by-side: the lab's exact distribution next to what Venice's ``top_logprobs`` would
have shown of it.

A server returns, per token, at most 20 alternatives with their logprobs as it reports them
(the offline server's: after penalties and temperature, before truncation). Whoever studies
sampling from those sees only that head: the mass beyond it, and so the tail top_p and min_p
exist to cut, is gone. The table puts the two side by side for the current settings:

- **full vocabulary**: ``pipeline()`` on every candidate (what the server samples from);
- **top_logprobs = 20**: the 20 reported logprobs, renormalised, then top_k/top_p/min_p (their
  temperature and penalties are already in the reported numbers), which is all a lab built on a
  reply's logprobs can do.

Tokens are untrusted: escaped, whitespace made visible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from venice_jupyter.offline.models import (
    SamplingSettings,
    Stage,
    pipeline,
    processed_logprobs,
    ranked,
)
from venice_jupyter.widgets.lab._tables import code_cell, html_table

__all__ = ["TOP_LOGPROBS", "top_logprobs_view"]

TOP_LOGPROBS = 20  # the most alternatives Venice returns per token


def top_logprobs_view(
    tokens: Sequence[str],
    logprobs: ArrayLike,
    stages: Sequence[Stage],
    settings: SamplingSettings,
    counts: ArrayLike | None = None,
    k: int = TOP_LOGPROBS,
) -> str:
    """Two small tables: the summary, and the ``k`` reported tokens under both views."""
    reported = processed_logprobs(logprobs, settings, counts)
    top = ranked(np.exp(reported), k)
    mass = float(np.exp(reported[top]).sum())
    truncation = SamplingSettings(top_k=settings.top_k, top_p=settings.top_p, min_p=settings.min_p)
    head_tokens = [tokens[i] for i in top]
    view = pipeline(head_tokens, reported[top], truncation)[-1]
    full = stages[-1]
    n = len(tokens)
    summary = [
        ["candidates", f"{n:,}", f"{len(top)}"],
        ["probability mass they hold", "100%", f"{mass:.1%}"],
        [
            "survivors of top_k, top_p, min_p",
            f"{int(full.keep.sum()):,}",
            f"{int(view.keep.sum())}",
        ],
        [
            "p of the favourite, as sampled",
            f"{float(full.p.max()):.4f}",
            f"{float(view.p.max()):.4f}",
        ],
    ]
    rows = [
        [
            code_cell(tokens[i]),
            f"{float(reported[i]):.3f}",
            f"{float(full.p[i]):.4f}",
            f"{float(view.p[j]):.4f}",
        ]
        for j, i in enumerate(int(t) for t in top)
    ]
    first = html_table(
        "topview",
        f"the whole distribution vs. top_logprobs={k}",
        ["", "full vocabulary", f"top_logprobs = {k}"],
        summary,
    )
    second = html_table(
        "topview-tokens",
        f"the {len(top)} tokens a reply would report",
        ["token", "reported logprob", "sampled p (full)", f"sampled p (top {k})"],
        rows,
    )
    return f'<div style="display:flex;gap:24px;flex-wrap:wrap">{first}{second}</div>'
