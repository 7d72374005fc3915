"""How sampling settings reshape a next-token distribution: pure math, no I/O.

Two entry points share the same stage helpers, so what the sampling lab draws is exactly what the
offline server samples from:

- ``pipeline()`` returns every intermediate ``Stage`` (for the sampling lab's chart);
- ``choose()`` is the lean per-token hot path of the offline model (no stage objects).

The stages, in order (the order vLLM and llama.cpp use):

1. **Penalties** on the logits of tokens already generated (count ``c > 0`` in ``history``):
   repetition (CTRL): ``l / r`` if ``l > 0`` else ``l * r``; frequency: ``l - c * f``;
   presence: ``l - p``. Tokens never generated are untouched.
2. **Temperature** ``T``: ``softmax(l / T)``. ``T == 0`` is greedy: the argmax (the first one on
   ties) gets probability 1. *Dynamic temperature* applies when ``min_temp`` or ``max_temp`` is
   set (a missing bound defaults to ``temperature``)::

       T = min_temp + (max_temp - min_temp) * H / H_max

   where ``H`` is the entropy (nats) of ``softmax`` of the penalised logits and
   ``H_max = ln(n)`` for ``n`` candidates (``H / H_max = 0`` when ``n == 1``). A flat, uncertain
   distribution is sampled hotter, a peaked one cooler.
3. **top_k**: keep the ``k`` most probable tokens (``0`` = off).
4. **top_p**: keep the smallest most-probable prefix whose cumulative probability is
   ``>= top_p`` (``>= 1`` = off; at least one token always survives).
5. **min_p**: drop tokens with ``p < min_p * p_max`` (``0`` = off).

Each truncation renormalises over its survivors; sorting is stable, so equal probabilities keep
candidate order. ``choose()`` samples the final distribution with the given ``random.Random``.

**Reported logprobs** (the offline server's ``logprobs``/``top_logprobs``, and what the sampling
lab shows as "model logprob"): ``processed_logprobs()`` = log-softmax *after* penalties and
temperature but *before* truncation, like vLLM's ``processed_logprobs`` mode. A token removed by
top_p therefore keeps a finite logprob, and the chosen token's logprob is not the probability it
was drawn with (that is ``pipeline()[-1]``). With ``T == 0`` (greedy) the reported distribution is
the one at ``T = 1``.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "SamplingSettings",
    "Stage",
    "choose",
    "effective_temperature",
    "penalize",
    "pipeline",
    "processed_logprobs",
    "sample",
    "softmax",
]

# Below this a temperature is treated as 0 (greedy): dividing by it would overflow.
_GREEDY_BELOW = 1e-5
# top_p compares a float running sum; this slack keeps top_p=0.3 of [0.1, 0.2, ...] exact.
_TOP_P_SLACK = 1e-12


@dataclass(frozen=True, slots=True)
class SamplingSettings:
    """Request sampling parameters; the defaults change nothing (plain softmax sampling)."""

    temperature: float = 1.0
    min_temp: float | None = None
    max_temp: float | None = None
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    repetition_penalty: float = 1.0

    @property
    def has_penalties(self) -> bool:
        return bool(self.frequency_penalty or self.presence_penalty) or (
            self.repetition_penalty != 1.0
        )

    @property
    def truncates(self) -> bool:
        return self.top_k > 0 or self.top_p < 1.0 or self.min_p > 0.0


@dataclass(frozen=True, slots=True)
class Stage:
    """The distribution after one stage, aligned with the input tokens.

    ``probabilities`` are renormalised over the survivors (dropped tokens are 0.0). ``param`` is
    the setting applied (T, k, top_p, min_p; None when the stage did nothing). ``cutoff`` is a
    probability threshold in this stage's *input* distribution, for drawing a line on a chart:
    the lowest surviving probability for top_k/top_p, ``min_p * p_max`` for min_p, else None.
    """

    name: str
    probabilities: tuple[float, ...]
    kept: tuple[bool, ...]
    param: float | None = None
    cutoff: float | None = None


def penalize(
    logits: Sequence[float], counts: Sequence[int], settings: SamplingSettings
) -> list[float]:
    """Stage 1: ``counts[i]`` is how often candidate ``i`` was already generated."""
    rep = settings.repetition_penalty
    freq = settings.frequency_penalty
    pres = settings.presence_penalty
    out = list(logits)
    for i, c in enumerate(counts):
        if c > 0:
            logit = out[i]
            if rep != 1.0:
                logit = logit / rep if logit > 0 else logit * rep
            out[i] = logit - c * freq - pres
    return out


def softmax(logits: Sequence[float], temperature: float = 1.0) -> list[float]:
    """Probabilities of ``logits / temperature``; one-hot at the first argmax when T ~ 0."""
    if not logits:
        return []
    top = max(logits)
    if temperature < _GREEDY_BELOW:
        first = list(logits).index(top)
        return [1.0 if i == first else 0.0 for i in range(len(logits))]
    weights = [math.exp((x - top) / temperature) for x in logits]
    total = math.fsum(weights)
    return [w / total for w in weights]


def _entropy_ratio(logits: Sequence[float]) -> float:
    n = len(logits)
    if n < 2:
        return 0.0
    entropy = -sum(p * math.log(p) for p in softmax(logits) if p > 0.0)
    return min(1.0, max(0.0, entropy / math.log(n)))


def effective_temperature(logits: Sequence[float], settings: SamplingSettings) -> float:
    """Stage 2's T for these (already penalised) logits: fixed, or dynamic from entropy."""
    if settings.min_temp is None and settings.max_temp is None:
        return settings.temperature
    low = settings.temperature if settings.min_temp is None else settings.min_temp
    high = settings.temperature if settings.max_temp is None else settings.max_temp
    return max(0.0, low + (high - low) * _entropy_ratio(logits))


def _keep_top_k(order: list[int], k: int) -> list[int]:
    return order[:k] if 0 < k < len(order) else order


def _keep_top_p(order: list[int], weights: Sequence[float], top_p: float) -> list[int]:
    if top_p >= 1.0:
        return order
    total = math.fsum(weights[i] for i in order)
    target = top_p * total - _TOP_P_SLACK * total
    acc = 0.0
    for j, i in enumerate(order):
        acc += weights[i]
        if acc >= target:
            return order[: j + 1]
    return order


def _keep_min_p(order: list[int], weights: Sequence[float], min_p: float) -> list[int]:
    if min_p <= 0.0 or not order:
        return order
    floor = min_p * weights[order[0]]
    return [i for i in order if weights[i] >= floor]


def _weights(logits: Sequence[float], temperature: float) -> list[float]:
    top = max(logits)
    return [math.exp((x - top) / temperature) for x in logits]


def choose(
    logits: Sequence[float],
    settings: SamplingSettings,
    rng: random.Random,
    counts: Sequence[int] | None = None,
) -> int:
    """The hot path: index of the sampled candidate. ``counts`` as in ``penalize``."""
    if counts is not None and settings.has_penalties:
        logits = penalize(logits, counts, settings)
    temperature = effective_temperature(logits, settings)
    if temperature < _GREEDY_BELOW or len(logits) == 1:
        return list(logits).index(max(logits))
    weights = _weights(logits, temperature)
    kept: Sequence[int]
    if settings.truncates:
        order = sorted(range(len(weights)), key=weights.__getitem__, reverse=True)
        order = _keep_top_k(order, settings.top_k)
        order = _keep_top_p(order, weights, settings.top_p)
        kept = _keep_min_p(order, weights, settings.min_p)
    else:
        kept = range(len(weights))
    r = rng.random() * math.fsum(weights[i] for i in kept)
    for i in kept:
        r -= weights[i]
        if r < 0.0:
            return i
    return kept[-1]


def processed_logprobs(
    logits: Sequence[float],
    settings: SamplingSettings,
    counts: Sequence[int] | None = None,
) -> list[float]:
    """Logprobs after penalties and temperature, before truncation (see the module docstring)."""
    if counts is not None and settings.has_penalties:
        logits = penalize(logits, counts, settings)
    temperature = effective_temperature(logits, settings)
    if temperature < _GREEDY_BELOW:
        temperature = 1.0
    scaled = [x / temperature for x in logits]
    top = max(scaled)
    log_total = top + math.log(math.fsum(math.exp(x - top) for x in scaled))
    return [x - log_total for x in scaled]


def _stage(
    name: str,
    weights: Sequence[float],
    order: Sequence[int],
    param: float | None = None,
    cutoff: float | None = None,
) -> Stage:
    total = math.fsum(weights[i] for i in order)
    probs = [0.0] * len(weights)
    for i in order:
        probs[i] = weights[i] / total
    alive = set(order)
    kept = tuple(i in alive for i in range(len(weights)))
    return Stage(name, tuple(probs), kept, param, cutoff)


def pipeline(
    tokens: Sequence[str],
    logits: Sequence[float],
    settings: SamplingSettings,
    history: Sequence[str] = (),
) -> list[Stage]:
    """Every stage for a chart: input, penalties, temperature, top_k, top_p, min_p, final.

    ``logits`` may be logprobs (they are logits up to a constant). ``history`` is the text
    generated so far, as tokens; it drives the penalties.
    """
    if len(tokens) != len(logits) or not tokens:
        raise ValueError("tokens and logits must be non-empty and of the same length")
    everyone = list(range(len(tokens)))
    stages = [_stage("input", softmax(logits), everyone)]
    seen = Counter(history)
    counts = [seen[t] for t in tokens]
    penalised = penalize(logits, counts, settings) if settings.has_penalties else list(logits)
    stages.append(_stage("penalties", softmax(penalised), everyone))
    temperature = effective_temperature(penalised, settings)
    weights = softmax(penalised, temperature)
    stages.append(_stage("temperature", weights, everyone, param=temperature))
    order = sorted(everyone, key=weights.__getitem__, reverse=True)
    if temperature < _GREEDY_BELOW:
        order = order[:1]
    current = stages[-1].probabilities

    def cut(name: str, new: list[int], param: float | None) -> None:
        nonlocal order, current
        floor = min(current[i] for i in new) if len(new) < len(order) else None
        stages.append(_stage(name, weights, new, param, floor))
        order, current = new, stages[-1].probabilities

    cut("top_k", _keep_top_k(order, settings.top_k), float(settings.top_k) or None)
    cut("top_p", _keep_top_p(order, weights, settings.top_p), settings.top_p)
    kept = _keep_min_p(order, weights, settings.min_p)
    stages.append(
        _stage(
            "min_p",
            weights,
            kept,
            settings.min_p or None,
            settings.min_p * current[order[0]] if settings.min_p > 0 else None,
        )
    )
    stages.append(_stage("final", weights, kept))
    return stages


def sample(
    tokens: Sequence[str],
    logits: Sequence[float],
    settings: SamplingSettings,
    rng: random.Random,
    history: Sequence[str] = (),
) -> str:
    """Draw one token the way the offline server does (``choose`` with penalties from history)."""
    counts: list[int] | None = None
    if settings.has_penalties:
        seen = Counter(history)
        counts = [seen[t] for t in tokens]
    return tokens[choose(logits, settings, rng, counts)]
