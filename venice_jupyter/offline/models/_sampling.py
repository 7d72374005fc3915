"""How sampling settings reshape a next-token distribution: pure math, no I/O, numpy.

Two entry points share the same stage helpers, so what the sampling lab draws is exactly what the
offline server samples from, for the n-gram models (a few dozen candidates) and for a real model
(a 49,152-token vocabulary) alike:

- ``pipeline()`` returns every intermediate ``Stage`` (for the sampling lab's chart);
- ``choose()`` is the lean per-token hot path of the offline models (no stage objects; it never
  sorts the whole vocabulary, see ``_cuts``); ``choose_many()`` is ``n`` calls of it at once.

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

Each truncation renormalises over its survivors; ranking is stable, so equal probabilities keep
candidate order. ``choose()`` draws from the final distribution with one ``rng.random()`` (a
``random.Random``; none when greedy). A ``mask`` (a grammar's allowed tokens) sets the logits of
the other candidates to ``-inf`` before everything else: they are not candidates at all (``n``
above counts the allowed ones).

**Reported logprobs** (the offline server's ``logprobs``/``top_logprobs``, and what the sampling
lab shows as "model logprob"): ``processed_logprobs()`` = log-softmax *after* penalties and
temperature but *before* truncation, like vLLM's ``processed_logprobs`` mode. A token removed by
top_p therefore keeps a finite logprob, and the chosen token's logprob is not the probability it
was drawn with (that is ``pipeline()[-1]``). With ``T == 0`` (greedy) the reported distribution is
the one at ``T = 1``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from venice_jupyter.offline.models._cuts import above_floor, kept, lengths, ranked
from venice_jupyter.offline.models._settings import SamplingSettings

__all__ = [
    "SamplingSettings",
    "Stage",
    "choose",
    "choose_many",
    "effective_temperature",
    "penalize",
    "pipeline",
    "processed_logprobs",
    "sample",
    "softmax",
]

# Below this a temperature is treated as 0 (greedy): dividing by it would overflow.
_GREEDY_BELOW: Final = 1e-5

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class Stage:
    """The distribution after one stage, aligned with the input tokens.

    ``p`` are the probabilities renormalised over the survivors (dropped tokens are 0.0) and
    ``keep`` the survivors, as arrays; ``probabilities`` and ``kept`` are the same as tuples.
    ``param`` is the setting applied (T, k, top_p, min_p; None when the stage did nothing).
    ``cutoff`` is a probability threshold in this stage's *input* distribution, for drawing a
    line on a chart: the lowest surviving probability for top_k/top_p, ``min_p * p_max`` for
    min_p, else None. ``dropped`` tokens of the input (with probability > 0) were removed here,
    carrying ``dropped_mass`` of the input distribution.
    """

    name: str
    p: Floats = field(repr=False)
    keep: Bools = field(repr=False)
    param: float | None = None
    cutoff: float | None = None
    dropped: int = 0
    dropped_mass: float = 0.0

    @cached_property
    def probabilities(self) -> tuple[float, ...]:
        return tuple(self.p.tolist())

    @cached_property
    def kept(self) -> tuple[bool, ...]:
        return tuple(self.keep.tolist())


def _floats(values: ArrayLike) -> Floats:
    out: Floats = np.asarray(values, dtype=np.float64)
    return out


def penalize(logits: ArrayLike, counts: ArrayLike, settings: SamplingSettings) -> Floats:
    """Stage 1: ``counts[i]`` is how often candidate ``i`` was already generated."""
    out = _floats(logits).copy()
    seen = np.asarray(counts)
    hit = np.flatnonzero(seen > 0)
    if len(hit):
        values = out[hit]
        rep = settings.repetition_penalty
        if rep != 1.0:
            values = np.where(values > 0, values / rep, values * rep)
        out[hit] = values - seen[hit] * settings.frequency_penalty - settings.presence_penalty
    return _floats(out)


def _weights(logits: Floats, temperature: float) -> Floats:
    """Unnormalised probabilities ``exp((l - max) / T)``: the top token weighs exactly 1."""
    return _floats(np.exp((logits - logits.max()) / temperature))


def softmax(logits: ArrayLike, temperature: float = 1.0) -> Floats:
    """Probabilities of ``logits / temperature``; one-hot at the first argmax when T ~ 0."""
    x = _floats(logits)
    if not len(x):
        return x
    if temperature < _GREEDY_BELOW:
        out = np.zeros(len(x))
        out[int(np.argmax(x))] = 1.0
        return out
    weights = _weights(x, temperature)
    return _floats(weights / weights.sum())


def _entropy_ratio(logits: Floats) -> float:
    n = int(np.count_nonzero(np.isfinite(logits)))
    if n < 2:
        return 0.0
    p = softmax(logits)
    p = p[p > 0.0]
    entropy = float(-(p * np.log(p)).sum())
    return min(1.0, max(0.0, entropy / float(np.log(n))))


def effective_temperature(logits: ArrayLike, settings: SamplingSettings) -> float:
    """Stage 2's T for these (already penalised) logits: fixed, or dynamic from entropy."""
    if settings.min_temp is None and settings.max_temp is None:
        return settings.temperature
    low = settings.temperature if settings.min_temp is None else settings.min_temp
    high = settings.temperature if settings.max_temp is None else settings.max_temp
    return max(0.0, low + (high - low) * _entropy_ratio(_floats(logits)))


@dataclass(frozen=True, slots=True)
class _Final:
    """The distribution a draw comes from: survivors and their running weights."""

    order: NDArray[np.intp] | None  # ranked survivors; None: every candidate, in index order
    running: Floats | None  # cumulative weights in that order; None: greedy
    greedy: int = 0

    def pick(self, u: Floats) -> NDArray[np.intp]:
        running = self.running
        if running is None:
            return np.full(len(u), self.greedy, dtype=np.intp)
        # the last candidate with weight > 0: u * total can round up to the total itself
        last = np.searchsorted(running, running[-1], side="left")
        j = np.minimum(np.searchsorted(running, u * running[-1], side="right"), last)
        picked: NDArray[np.intp] = j if self.order is None else self.order[j]
        return picked


def _final(
    logits: ArrayLike,
    settings: SamplingSettings,
    counts: ArrayLike | None,
    mask: ArrayLike | None,
) -> _Final:
    x = _floats(logits)
    if mask is not None:
        x = np.where(np.asarray(mask, dtype=bool), x, -np.inf)
    if counts is not None and settings.has_penalties:
        x = penalize(x, counts, settings)
    temperature = effective_temperature(x, settings)
    if temperature < _GREEDY_BELOW or len(x) == 1:
        return _Final(None, None, int(np.argmax(x)))
    weights = _weights(x, temperature)
    if not settings.truncates:
        return _Final(None, np.cumsum(weights))
    order = kept(weights, settings)
    return _Final(order, np.cumsum(weights[order]))


def choose(
    logits: ArrayLike,
    settings: SamplingSettings,
    rng: random.Random,
    counts: ArrayLike | None = None,
    mask: ArrayLike | None = None,
) -> int:
    """The hot path: index of the sampled candidate. ``counts`` as in ``penalize``; ``mask``:
    True for the candidates allowed (the others get logit ``-inf`` first)."""
    final = _final(logits, settings, counts, mask)
    if final.running is None:
        return final.greedy
    return int(final.pick(np.array([rng.random()]))[0])


def choose_many(
    logits: ArrayLike,
    settings: SamplingSettings,
    rng: random.Random,
    n: int,
    counts: ArrayLike | None = None,
) -> NDArray[np.intp]:
    """``n`` draws, equal to ``n`` successive ``choose()`` calls with the same ``rng``."""
    final = _final(logits, settings, counts, None)
    if final.running is None:
        return final.pick(np.zeros(n))
    return final.pick(np.array([rng.random() for _ in range(n)]))


def processed_logprobs(
    logits: ArrayLike,
    settings: SamplingSettings,
    counts: ArrayLike | None = None,
) -> Floats:
    """Logprobs after penalties and temperature, before truncation (see the module docstring)."""
    x = _floats(logits)
    if counts is not None and settings.has_penalties:
        x = penalize(x, counts, settings)
    temperature = effective_temperature(x, settings)
    if temperature < _GREEDY_BELOW:
        temperature = 1.0
    scaled = x / temperature
    top = scaled.max()
    return _floats(scaled - (top + np.log(np.exp(scaled - top).sum())))


def _stage(
    name: str,
    weights: Floats,
    survivors: NDArray[np.intp],
    before: Floats | None = None,
    param: float | None = None,
    cutoff: float | None = None,
) -> Stage:
    """A stage keeping ``survivors``; ``before`` is its input distribution (for what it drops)."""
    keep = np.zeros(len(weights), dtype=bool)
    keep[survivors] = True
    probs = np.zeros(len(weights))
    chosen = weights[survivors]
    probs[survivors] = chosen / chosen.sum()
    dropped, mass = 0, 0.0
    if before is not None:
        gone = (before > 0.0) & ~keep
        dropped, mass = int(np.count_nonzero(gone)), float(before[gone].sum())
    return Stage(name, probs, keep, param, cutoff, dropped, mass)


def pipeline(
    tokens: Sequence[str],
    logits: ArrayLike,
    settings: SamplingSettings,
    history: Sequence[str] = (),
    counts: ArrayLike | None = None,
) -> list[Stage]:
    """Every stage for a chart: input, penalties, temperature, top_k, top_p, min_p, final.

    ``logits`` may be logprobs (they are logits up to a constant). ``history`` is the text
    generated so far, as tokens; it drives the penalties, unless ``counts`` (per candidate, as
    in ``penalize``) is given: a real vocabulary has tokens that read the same.
    """
    x = _floats(logits)
    if len(tokens) != len(x) or not len(tokens):
        raise ValueError("tokens and logits must be non-empty and of the same length")
    n = len(x)
    everyone = np.arange(n)
    stages = [_stage("input", _weights(x, 1.0), everyone)]
    if settings.has_penalties and counts is None and history:
        seen = Counter(history)
        counts = [seen[t] for t in tokens]
    penalised = x if counts is None or not settings.has_penalties else penalize(x, counts, settings)
    if penalised is x:
        stages.append(Stage("penalties", stages[0].p, stages[0].keep))
    else:
        stages.append(_stage("penalties", _weights(penalised, 1.0), everyone))
    temperature = effective_temperature(penalised, settings)
    if temperature < _GREEDY_BELOW:
        weights = softmax(penalised, 0.0)
        order = ranked(weights, 1)
        lk = lp = lm = 1
    else:
        weights = _weights(penalised, temperature)
        order = ranked(weights, n)
        total, above = float(weights.sum()), above_floor(weights, settings)
        found = lengths(weights[order], n, total, above, settings)
        assert found is not None  # the whole ranking is there
        lk, lp, lm = found
    stages.append(_stage("temperature", weights, everyone, param=temperature))
    current, width = stages[-1].p, len(order)

    def cut(name: str, length: int, param: float | None) -> None:
        nonlocal current, width
        floor = float(current[order[length - 1]]) if length < width else None
        stages.append(_stage(name, weights, order[:length], current, param, floor))
        current, width = stages[-1].p, length

    cut("top_k", min(lk, width), float(settings.top_k) or None)
    cut("top_p", min(lp, width), settings.top_p)
    floor = settings.min_p * float(current[order[0]]) if settings.min_p > 0 else None
    stages.append(
        _stage("min_p", weights, order[: min(lm, width)], current, settings.min_p or None, floor)
    )
    stages.append(_stage("final", weights, order[: min(lm, width)]))
    return stages


def sample(
    tokens: Sequence[str],
    logits: ArrayLike,
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
