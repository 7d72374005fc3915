"""Make a reply relate to the prompt: pick the corpus answer that best matches it.

The match is an idf-weighted word overlap between the user's last message and each answer (words
in the answer's heading count three times). Generation then starts from a *hidden* context — the
answer's opening heading — so the reply continues from that answer's first paragraph and drifts
from there as the n-gram model does. Nothing hidden is emitted, so every emitted token was sampled
and its logprob is honest. No overlap at all means the model starts from ``<|begin|>`` and writes
about whatever it picks.
"""

from __future__ import annotations

import math
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Final

from venice_jupyter.offline.models._ngram import NGramModel, get_model

__all__ = ["Topic", "TopicIndex", "get_topics"]

_WORD: Final = re.compile(r"[^\W\d_]{3,}")
_STOP_WORDS: Final = (
    "the and for are but not you your with this that from have has was were what when where "
    "which who why how can could would should will does did its it's into than then them "
    "they their there these those about also just like more most much some such very use "
    "used using one two get got make made want need tell explain please give write show"
)
_STOP: Final = frozenset(_STOP_WORDS.split())
_HEADING_WEIGHT: Final = 3.0
_PARAGRAPH_SCAN: Final = 60
_OPENING: Final = 3


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


@dataclass(frozen=True, slots=True)
class Topic:
    """Where a reply starts: hidden context for the answer and for the reasoning section."""

    answer: int | None
    answer_context: tuple[int, ...]
    reasoning_context: tuple[int, ...]  # ends with the first words of a paragraph (emitted)
    reasoning_prefix: int  # how many trailing tokens of reasoning_context are emitted
    heading: str


class TopicIndex:
    """Word statistics of every corpus answer, built once per model."""

    def __init__(self, model: NGramModel) -> None:
        self.model = model
        self._headings: list[str] = []
        self._docs: list[tuple[frozenset[str], frozenset[str]]] = []
        df: Counter[str] = Counter()
        for ids in model.answers:
            text = "".join(model.vocab[i] for i in ids[1:-1])
            first, _, _ = text.partition("\n")
            heading = first.lstrip("#").strip() if first.startswith("#") else ""
            words = frozenset(_words(text))
            self._headings.append(heading)
            self._docs.append((frozenset(_words(heading)), words))
            df.update(words)
        total = max(1, len(self._docs))
        self._idf = {w: math.log(1 + total / n) for w, n in df.items()}

    def score(self, prompt: str) -> list[float]:
        wanted = set(_words(prompt))
        return [
            sum(
                self._idf.get(w, 0.0) * (_HEADING_WEIGHT if w in head else 1.0)
                for w in wanted & body
            )
            for head, body in self._docs
        ]

    def choose(self, prompt: str, rng: random.Random) -> Topic:
        scores = self.score(prompt)
        best = max(range(len(scores)), key=scores.__getitem__) if scores else None
        if best is None or scores[best] <= 0.0:
            pick = rng.randrange(len(self._docs)) if self._docs else None
            reasoning, prefix = self._paragraph_start(pick, rng) if pick is not None else ((0,), 0)
            return Topic(None, (0,), reasoning, prefix, "")
        reasoning, prefix = self._paragraph_start(best, rng)
        return Topic(best, self._after_heading(best), reasoning, prefix, self._headings[best])

    def _after_heading(self, doc: int) -> tuple[int, ...]:
        """The answer's tokens up to its first blank line (its heading, usually)."""
        ids = self.model.answers[doc]
        blank = self.model.index.get("\n\n")
        for i in range(1, min(len(ids), _PARAGRAPH_SCAN)):
            if ids[i] == blank:
                return tuple(ids[: i + 1])
        return (0,)

    def _paragraph_start(self, doc: int, rng: random.Random) -> tuple[tuple[int, ...], int]:
        """A prose paragraph's opening words in the answer's second half, for the reasoning.

        Right after a blank line the model's 3-token context is mostly newlines and says
        nothing about the topic, so the paragraph's first ``_OPENING`` tokens come along.
        """
        ids = self.model.answers[doc]
        vocab = self.model.vocab
        blank = self.model.index.get("\n\n")
        starts = [
            i
            for i in range(max(1, len(ids) // 2), len(ids) - 1)
            if ids[i - 1] == blank and vocab[ids[i]][:1].isalpha()
        ]
        if not starts:
            return self._after_heading(doc), 0
        start = rng.choice(starts)
        opening = min(_OPENING, len(ids) - 1 - start)
        return tuple(ids[: start + opening]), opening


_lock = threading.Lock()
_index: TopicIndex | None = None


def get_topics() -> TopicIndex:
    """The index over ``get_model()``'s answers, built once per process."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = TopicIndex(get_model())
    return _index
