"""The shared sampler on a real-sized vocabulary (49,152 synthetic logits; no model needed).

``choose`` ranks only the survivors (``_cuts.kept``: partition, ties by index), ``pipeline``
sorts everything: both must cut at exactly the token the definition says, ties included.
Draws are checked statistically with fixed seeds and a power check.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest

from tests.local_support import chi2_test
from venice_jupyter.offline.models import (
    SamplingSettings,
    choose,
    choose_many,
    effective_temperature,
    pipeline,
)
from venice_jupyter.offline.models._cuts import kept

N = 49_152


def logits(seed: int, ties: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(N) * 3.0
    return np.round(x * 4) / 4 if ties else x  # quarter steps: thousands of exact ties


def reference(x: np.ndarray, settings: SamplingSettings) -> list[int]:
    """The definition, the slow way: stable sort everything, then top_k, top_p, min_p."""
    t = effective_temperature(x, settings)
    weights = np.exp((x - x.max()) / t)
    order = sorted(range(len(x)), key=lambda i: (-weights[i], i))
    if 0 < settings.top_k < len(order):
        order = order[: settings.top_k]
    if settings.top_p < 1.0:
        total = math.fsum(weights[i] for i in order)
        acc = 0.0
        for j, i in enumerate(order):
            acc += weights[i]
            if acc >= settings.top_p * total - 1e-12 * total:
                order = order[: j + 1]
                break
    if settings.min_p > 0:
        order = [i for i in order if weights[i] >= settings.min_p * weights[order[0]]]
    return order


GRID = [
    SamplingSettings(temperature=t, top_k=k, top_p=p, min_p=m)
    for t, k, p, m in [
        (1.0, 40, 1.0, 0.0),
        (0.7, 0, 0.9, 0.0),
        (1.5, 0, 0.999, 0.0),
        (1.0, 0, 1.0, 0.05),
        (0.5, 3000, 0.3, 0.0),
        (2.0, 0, 0.95, 0.2),
        (1.0, 7, 0.5, 0.5),
        (1.2, 1, 0.9, 0.1),
    ]
]


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize(
    "settings", GRID, ids=lambda s: f"T{s.temperature}k{s.top_k}p{s.top_p}m{s.min_p}"
)
def test_the_fast_cut_is_the_definition(settings: SamplingSettings, ties: bool) -> None:
    x = logits(7, ties)
    expected = reference(x, settings)
    weights = np.exp((x - x.max()) / settings.temperature)
    assert kept(weights, settings).tolist() == expected
    final = pipeline(["t"] * N, x, settings)[-1]
    assert np.flatnonzero(final.keep).tolist() == sorted(expected)
    assert final.p.sum() == pytest.approx(1.0)


def test_choose_many_is_successive_choose_calls() -> None:
    x = logits(3, ties=True)
    for settings in (SamplingSettings(temperature=0.9, top_p=0.9), SamplingSettings(temperature=0)):
        one = random.Random(5)
        singles = [choose(x, settings, one) for _ in range(200)]
        assert choose_many(x, settings, random.Random(5), 200).tolist() == singles


def test_a_mask_removes_candidates_before_everything() -> None:
    x = logits(4, ties=False)
    allowed = np.zeros(N, dtype=bool)
    allowed[::97] = True
    rng = random.Random(1)
    hot = SamplingSettings(temperature=1.5)
    assert all(allowed[choose(x, hot, rng, mask=allowed)] for _ in range(300))
    greedy = SamplingSettings(temperature=0)
    assert choose(x, greedy, rng, mask=allowed) == int(
        np.flatnonzero(allowed)[np.argmax(x[allowed])]
    )
    # dynamic temperature counts only the allowed candidates: H / ln(n allowed)
    dynamic = SamplingSettings(min_temp=0.5, max_temp=1.5)
    masked = np.where(allowed, x, -np.inf)
    only = x[allowed]
    assert effective_temperature(masked, dynamic) == pytest.approx(
        effective_temperature(only, dynamic)
    )


@pytest.mark.parametrize(
    "settings",
    [
        SamplingSettings(temperature=0.8, top_p=0.9, min_p=0.002),
        SamplingSettings(min_temp=0.6, max_temp=1.6, top_k=200, top_p=0.95),
    ],
    ids=["top_p-min_p", "dynamic-top_k"],
)
def test_draws_over_a_whole_vocabulary_follow_pipeline(settings: SamplingSettings) -> None:
    """20,000 draws (seeded) agree with ``pipeline()``'s final distribution (chi-square, small
    cells pooled, p > 1e-4; nothing outside the survivors). Power: the same draws reject the
    distribution a sampler would give that cut top_p before the temperature (p < 1e-6)."""
    x = logits(11, ties=False) * 0.6
    n = 20_000
    draws = Counter(choose_many(x, settings, random.Random(2024), n).tolist())
    final = pipeline(["t"] * N, x, settings)[-1]
    assert 20 <= final.keep.sum() < 5000
    assert all(final.keep[t] for t in draws)
    _, p_value, df = chi2_test(dict(draws), final.p, n)
    assert df >= 10 and p_value > 1e-4, p_value
    t = effective_temperature(x, settings)
    untempered = pipeline(
        ["t"] * N,
        x,
        SamplingSettings(top_k=settings.top_k, top_p=settings.top_p, min_p=settings.min_p),
    )[-1]
    weights = np.exp((x - x.max()) / t) * untempered.keep  # cut first, then the temperature
    wrong = weights / weights.sum()
    assert chi2_test(dict(draws), wrong, n)[1] < 1e-6
