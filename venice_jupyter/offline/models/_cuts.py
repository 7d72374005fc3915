"""Where top_k, top_p and min_p cut a distribution, computed the same way for the sampler and
the lab.

Every truncation keeps a *prefix* of the candidates ranked by weight (descending; equal weights
keep candidate order, so the lower index ranks first). ``lengths()`` turns the ranked weights
into the three prefix lengths. ``kept()`` finds the surviving prefix without sorting the whole
vocabulary, which is what makes a 49,152-token distribution cheap to sample: it ranks only the
top ``m`` candidates (by partition, ties settled by index, so the ranking equals a full stable
sort) and grows ``m`` while top_p still needs more mass. ``pipeline()`` ranks everything (the lab
draws the whole distribution) and calls the same ``lengths()``, so the lab and the server cut at
exactly the same token.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from venice_jupyter.offline.models._settings import SamplingSettings

__all__ = ["above_floor", "kept", "lengths", "ranked"]

# top_p compares a float running sum; this slack keeps top_p=0.3 of [0.1, 0.2, ...] exact.
TOP_P_SLACK: Final = 1e-12
# Below this many candidates a full stable sort is cheaper than partitioning.
_FULL_SORT: Final = 2048
_FIRST_NUCLEUS: Final = 256

Floats = NDArray[np.float64]
Indices = NDArray[np.intp]


def ranked(weights: Floats, m: int) -> Indices:
    """Indices of the ``m`` largest weights, largest first, ties by lower index (exact)."""
    n = len(weights)
    if m >= n or n <= _FULL_SORT:
        return np.argsort(-weights, kind="stable")[:m]
    part = np.argpartition(-weights, m - 1)[:m]
    boundary = weights[part].min()
    above = np.flatnonzero(weights > boundary)
    ties = np.flatnonzero(weights == boundary)[: m - len(above)]
    chosen = np.sort(np.concatenate([above, ties]))
    return chosen[np.argsort(-weights[chosen], kind="stable")]


def above_floor(weights: Floats, settings: SamplingSettings) -> int:
    """How many candidates min_p keeps on its own: ``w >= min_p * w_max`` (all when off).

    They are a ranked prefix, so counting them needs no sort."""
    if settings.min_p <= 0.0:
        return len(weights)
    return max(1, int(np.count_nonzero(weights >= settings.min_p * weights.max())))


def lengths(
    ranked_weights: Floats, n: int, total: float, above: int, settings: SamplingSettings
) -> tuple[int, int, int] | None:
    """Prefix lengths kept after top_k, after top_p and after min_p (``lk >= lp >= lm >= 1``).

    ``ranked_weights`` is a prefix of the ranking of all ``n`` candidates, ``total`` their whole
    weight and ``above`` is ``above_floor()``. None: the prefix is too short to see where top_p
    cuts (rank more and ask again).
    """
    k = settings.top_k
    lk = k if 0 < k < n else n
    lp = lk
    if settings.top_p < 1.0:
        if lk < n:
            if len(ranked_weights) < lk:
                return None
            total = float(ranked_weights[:lk].sum())
        running = np.cumsum(ranked_weights[:lk])
        target = settings.top_p * total - TOP_P_SLACK * total
        j = int(np.searchsorted(running, target, side="left"))
        if j < len(running):
            lp = j + 1
        elif len(running) < lk:
            return None
        # else: rounding kept the running sum below the target, and top_p keeps everything
    return lk, lp, min(lp, above)


def kept(weights: Floats, settings: SamplingSettings) -> Indices:
    """The candidates that survive top_k, top_p and min_p, ranked (most probable first)."""
    n = len(weights)
    total = float(weights.sum())
    above = above_floor(weights, settings)
    k = settings.top_k
    lk = k if 0 < k < n else n
    if settings.top_p >= 1.0:  # top_k and min_p alone: rank just what they keep
        m = min(lk, above)
    elif lk < n:  # top_p measures mass within the top k: rank them all
        m = lk
    else:
        m = min(n, _FIRST_NUCLEUS)
    while True:
        order = ranked(weights, m)
        found = lengths(weights[order], n, total, above, settings)
        if found is not None:
            return order[: found[2]]
        if m >= above:  # top_p would cut further down than min_p does: min_p decides
            return order[:above]
        m = min(n, m * 4)
