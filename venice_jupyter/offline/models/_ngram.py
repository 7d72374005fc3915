"""A word-level n-gram language model with an exact, inspectable next-token distribution.

Training: every corpus answer becomes ``<|begin|> tokens… <|end|>`` (``tokenizer.tokenize``) and
we count, for each context ``h`` of 0 to ``MAX_ORDER - 1`` tokens, the tokens that followed it.
One table serves every order: a model of order ``N`` looks only at the last ``N - 1`` tokens.

The distribution after a context (``distribution_ids``) is one-level absolute-discount backoff:

1. ``h`` = the longest suffix of the context (at most ``N - 1`` tokens) seen in training.
2. ``S`` = the ``PRIMARY`` most frequent continuations of ``h`` (ties: lower id first), with
   counts ``c(w)`` and total ``T = Σ_S c``.
3. ``B`` = the ``BACKOFF`` most frequent continuations of ``h[1:]`` that are not in ``S``, with
   counts ``c'(w)`` and total ``T'``. (``B`` is empty when ``h`` is empty.)
4. If ``B`` is empty: ``P(w) = c(w) / T`` on ``S``. Otherwise, with discount ``D``::

       P(w ∈ S) = (c(w) − D) / T          P(w ∈ B) = β · c'(w) / T'      β = D · |S| / T

   which sums to 1 over ``S ∪ B`` (up to float rounding). Every other token has probability 0.

With a ``topic`` (the index of a corpus answer; the server picks the one closest to the prompt)
step 2 ranks and counts with ``c(w) + TOPIC_BOOST · c_d(w)``, where ``c_d`` counts ``w`` after
``h`` inside that answer only: the reply keeps to its subject for longer than a 3-token context
alone would allow. ``topic=None`` is the plain model (what the sampling lab shows by default).

Candidates come back sorted by probability (descending, ties by id) and never exceed
``PRIMARY + BACKOFF``, which keeps each sampling step small. ``D`` decides how often the model
wanders from the text it has seen: singleton contexts give ``β = D``.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from venice_jupyter.offline.models._corpus import load_answers
from venice_jupyter.offline.models._tokenizer import tokenize

__all__ = [
    "BOS",
    "EOS",
    "MAX_ORDER",
    "TOPIC_BOOST",
    "Distribution",
    "NGramModel",
    "get_model",
]

BOS: Final = "<|begin|>"
EOS: Final = "<|end|>"
"""The end-of-answer token: sampling it ends a reply with finish_reason "stop"."""
MAX_ORDER: Final = 4
PRIMARY: Final = 24
BACKOFF: Final = 12
DISCOUNT: Final = 0.1
TOPIC_BOOST: Final = 20


@dataclass(frozen=True, slots=True)
class Distribution:
    """Candidates after ``context`` (the matched suffix ``h``), most probable first."""

    context: tuple[int, ...]
    ids: tuple[int, ...]
    logprobs: tuple[float, ...]


def _rank_key(item: tuple[int, int]) -> tuple[int, int]:
    return -item[1], item[0]


def _top(counts: dict[int, int], limit: int) -> list[tuple[int, int]]:
    """The ``limit`` most frequent (id, count) pairs; ties go to the lower id."""
    return heapq.nsmallest(limit, counts.items(), key=_rank_key)


class NGramModel:
    """Counts for orders 1..MAX_ORDER over a list of answers; thread-safe to read."""

    def __init__(self, answers: Sequence[str]) -> None:
        self.vocab: list[str] = [BOS, EOS]
        self.index: dict[str, int] = {BOS: 0, EOS: 1}
        self.answers: list[list[int]] = []
        grams: list[Counter[tuple[int, ...]]] = [Counter() for _ in range(MAX_ORDER)]
        for answer in answers:
            ids = [0, *(self._intern(tok) for tok in tokenize(answer)), 1]
            self.answers.append(ids)
            for k, counter in enumerate(grams):
                # zip over shifted views counts every (k+1)-gram at C speed; <|begin|> is
                # never a continuation, so unigrams start after it.
                counter.update(zip(*(ids[j + (k == 0) :] for j in range(k + 1)), strict=False))
        self._counts: dict[tuple[int, ...], dict[int, int]] = {}
        for counter in grams:
            for gram, count in counter.items():
                self._counts.setdefault(gram[:-1], {})[gram[-1]] = count
        self.cache: dict[tuple[tuple[int, ...], int | None], Distribution] = {}
        self._topic_counts: dict[int, dict[tuple[int, ...], dict[int, int]]] = {}
        self._ranks: dict[tuple[int, ...], list[tuple[int, int]]] = {}
        self.token_count = sum(len(ids) for ids in self.answers)

    def _intern(self, token: str) -> int:
        tid = self.index.get(token)
        if tid is None:
            tid = self.index[token] = len(self.vocab)
            self.vocab.append(token)
        return tid

    def encode(self, text: str) -> list[int]:
        """Ids of the tokens of ``text`` that are in the vocabulary (others are skipped)."""
        index = self.index
        return [index[t] for t in tokenize(text) if t in index]

    def distribution_ids(
        self, context: Sequence[int], order: int = MAX_ORDER, topic: int | None = None
    ) -> Distribution:
        """The next-token distribution after ``context`` for a model of ``order`` (1..4)."""
        width = max(0, min(order, MAX_ORDER) - 1)
        key = (tuple(context[-width:]) if width else (), topic)
        dist = self.cache.get(key)
        if dist is None:
            dist = self.cache[key] = self._compute(*key)
        return dist

    def distribution(
        self, context_tokens: Sequence[str], order: int = MAX_ORDER, topic: int | None = None
    ) -> tuple[list[str], list[float]]:
        """``distribution_ids`` by token strings: (tokens, logprobs), most probable first."""
        ids = [self.index[t] for t in context_tokens if t in self.index]
        dist = self.distribution_ids(ids, order, topic)
        return [self.vocab[i] for i in dist.ids], list(dist.logprobs)

    def _counts_in(self, topic: int) -> dict[tuple[int, ...], dict[int, int]]:
        """Continuation counts inside one answer (built on first use; a few ms)."""
        table = self._topic_counts.get(topic)
        if table is None:
            table = {}
            ids = self.answers[topic]
            for i in range(1, len(ids)):
                for k in range(min(i, MAX_ORDER - 1) + 1):
                    after = table.setdefault(tuple(ids[i - k : i]), {})
                    after[ids[i]] = after.get(ids[i], 0) + 1
            self._topic_counts[topic] = table
        return table

    def _ranked(self, h: tuple[int, ...]) -> list[tuple[int, int]]:
        """The ``PRIMARY + BACKOFF`` most frequent continuations of ``h``: all any step needs."""
        ranked = self._ranks.get(h)
        if ranked is None:
            ranked = self._ranks[h] = _top(self._counts[h], PRIMARY + BACKOFF)
        return ranked

    def _compute(self, key: tuple[int, ...], topic: int | None) -> Distribution:
        h = key
        while h and h not in self._counts:
            h = h[1:]
        local = self._counts_in(topic).get(h) if topic is not None else None
        if local:
            # Boosting only raises tokens seen in the topic answer, so the boosted top-PRIMARY
            # lies within the global top-PRIMARY plus those tokens: no full scan needed.
            counts = self._counts[h]
            pool = {t for t, _ in self._ranked(h)[:PRIMARY]} | local.keys()
            primary = _top({t: counts[t] + TOPIC_BOOST * local.get(t, 0) for t in pool}, PRIMARY)
        elif topic is not None:
            return self.distribution_ids(h, MAX_ORDER)
        else:
            primary = self._ranked(h)[:PRIMARY]
        total = sum(c for _, c in primary)
        chosen = {t for t, _ in primary}
        backoff = [item for item in self._ranked(h[1:]) if item[0] not in chosen] if h else []
        backoff = backoff[:BACKOFF]
        if backoff:
            beta = DISCOUNT * len(primary) / total
            back_total = sum(c for _, c in backoff)
            probs = [(t, (c - DISCOUNT) / total) for t, c in primary]
            probs += [(t, beta * c / back_total) for t, c in backoff]
        else:
            probs = [(t, c / total) for t, c in primary]
        probs.sort(key=lambda item: (-item[1], item[0]))
        return Distribution(h, tuple(t for t, _ in probs), tuple(math.log(p) for _, p in probs))


_lock = threading.Lock()
_model: NGramModel | None = None


def get_model() -> NGramModel:
    """The model trained on the packaged corpus, built once per process on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = NGramModel(load_answers())
    return _model
