"""Token-by-token generation from the real model: full logits in, the shared sampler picks.

``llama_tokens`` is the loop: the prompt's logits (``engine.start``), then for each step
``sampling.choose`` over all ``n_vocab`` logits (penalties counted over the tokens generated so
far, as for the n-gram models), the logprob entry when asked (``processed_logprobs``: after
penalties and temperature, before truncation), and the next logits (``engine.feed``). The
caller holds ``engine.lock`` and decides when to stop; no token is evaluated that nobody asked
for.

With a grammar (JSON-schema output) the sample comes from the logits with the forbidden tokens
masked out. Checking the whole vocabulary costs a few ms a token, so when the settings make that
shortcut exact (temperature only: no truncation, no dynamic temperature) the token is first
drawn from the unmasked distribution and kept if the grammar allows it; otherwise the draw is
made again from the masked one. For such settings that is the masked distribution exactly:
``p(t) + (1 - Z) · p(t) / Z = p(t) / Z`` for an allowed ``t`` (``Z``: the allowed mass).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from venice_jupyter.offline.models import (
    GrammarMask,
    LlamaEngine,
    SamplingSettings,
    choose,
    processed_logprobs,
)
from venice_jupyter.offline.replies._generate import LogprobEntry

__all__ = ["DEAD_END", "llama_tokens", "pick"]

DEAD_END = -1  # the grammar allows no token at all


def _exact_shortcut(settings: SamplingSettings) -> bool:
    return not settings.truncates and settings.min_temp is None and settings.max_temp is None


def pick(
    logits: NDArray[np.float64],
    settings: SamplingSettings,
    rng: random.Random,
    counts: NDArray[np.int32] | None,
    grammar: GrammarMask | None,
) -> int:
    """One token id; with a grammar, one it allows (or ``DEAD_END``)."""
    if grammar is None:
        return choose(logits, settings, rng, counts)
    if _exact_shortcut(settings):
        token = choose(logits, settings, rng, counts)
        if grammar.allows(token):
            return token
    mask = grammar.mask()
    if not mask.any():
        return DEAD_END
    return choose(logits, settings, rng, counts, mask)


def logprob_entry(
    engine: LlamaEngine,
    logits: NDArray[np.float64],
    settings: SamplingSettings,
    counts: NDArray[np.int32] | None,
    token: int,
    top: int,
) -> LogprobEntry:
    """The chosen token and the ``top`` most likely ones, as the server reports them."""
    processed = processed_logprobs(logits, settings, counts)
    best = np.argpartition(-processed, top - 1)[:top] if 0 < top < len(processed) else None
    if best is None:
        best = np.arange(len(processed)) if top else np.arange(0)
    best = best[np.argsort(-processed[best], kind="stable")]
    texts, labels = engine.texts, engine.labels
    return {
        "token": texts[token],
        "logprob": float(processed[token]),
        "bytes": list(labels[token]),
        "top_logprobs": [
            {"token": texts[i], "logprob": float(processed[i]), "bytes": list(labels[i])}
            for i in best.tolist()
        ],
    }


def llama_tokens(
    engine: LlamaEngine,
    prompt: Sequence[int],
    settings: SamplingSettings,
    rng: random.Random,
    top_logprobs: int | None = None,
    grammar: GrammarMask | None = None,
) -> Iterator[tuple[int, LogprobEntry | None]]:
    """(token id, logprob entry or None) until the context is full; hold ``engine.lock``."""
    counts = np.zeros(engine.n_vocab, dtype=np.int32) if settings.has_penalties else None
    logits = engine.start(prompt).astype(np.float64)
    while True:
        token = pick(logits, settings, rng, counts, grammar)
        entry = None
        if top_logprobs is not None and token != DEAD_END:
            entry = logprob_entry(engine, logits, settings, counts, token, top_logprobs)
        if counts is not None and token != DEAD_END:
            counts[token] += 1
        yield token, entry
        if token == DEAD_END or engine.position >= engine.n_ctx:
            return
        logits = engine.feed(token).astype(np.float64)
