"""Where the sampling lab's distributions come from: a text under the offline model, or a reply.

Sources give one ``Point`` (a next-token distribution) per position:

- ``TextSource``: the offline n-gram model's *exact* distribution after each prefix of a text
  (``<|begin|>`` + the text's tokens so far, ``topic=None``: the plain model);
- ``ReplySource``: the ``top_logprobs`` a server returned for each token of a reply. Only the
  top-K alternatives are known, so the lab renormalises over them (plus the chosen token when
  it fell outside the top K);
- ``_local_sources``: a real model's exact distribution over its whole vocabulary, along a text
  or along an answer the offline server just generated.

``exact`` says whether a source knows the whole distribution (then the lab also shows what a
``top_logprobs`` view of it would have lost).

A source has ``tokens`` (the text, token by token), ``length`` (number of positions) and
``point(position)``. Positions index the *next* token: at position ``i`` the context is
``tokens[:i]`` and what really came next is ``tokens[i]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from venice_jupyter.errors import ParameterError
from venice_jupyter.offline.models import BOS, MODELS, get_model, resolve, tokenize
from venice_jupyter.reply import Reply

__all__ = ["Point", "ReplySource", "Snapshot", "Source", "TextSource"]


@dataclass(frozen=True)
class Point:
    """One next-token distribution: candidates, their logprobs, and what really came next."""

    tokens: Sequence[str]
    logprobs: Sequence[float]  # or an array: a real model's whole vocabulary
    history: tuple[str, ...]  # the tokens before this position: what the penalties count
    actual: str | None  # the token that came next in the text / was chosen in the reply
    note: str  # one line for the UI: where the distribution comes from
    actual_at: int | None = None  # its index among the candidates, when known by id
    counts: NDArray[np.int64] | None = None  # penalty counts per candidate (else from history)

    @property
    def actual_index(self) -> int | None:
        if self.actual_at is not None:
            return self.actual_at
        return self.tokens.index(self.actual) if self.actual in self.tokens else None


@dataclass(frozen=True)
class Snapshot:
    """A static copy of the lab's output (for notebooks read without a running kernel)."""

    html: str
    text: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


class Source(Protocol):
    kind: str
    exact: bool
    tokens: list[str]

    @property
    def length(self) -> int: ...

    def point(self, position: int) -> Point: ...


def _check(position: int, length: int) -> None:
    if not 0 <= position < length:
        raise ParameterError("position", position, f"0 to {length - 1}")


class TextSource:
    """The offline model's exact distribution at every point of ``text``."""

    kind = "text"
    exact = True

    def __init__(self, text: str, model: str = "venice-offline") -> None:
        found = resolve(model)
        if found is None or found[0].engine != "ngram":
            ids = ", ".join(m.id for m in MODELS)
            raise ParameterError("model", model, f"an offline n-gram model ({ids})")
        self.model = found[0]
        self.text = text
        self.tokens = tokenize(text)
        vocab = get_model().index
        self.unknown = sum(t not in vocab for t in self.tokens)

    @property
    def length(self) -> int:
        return len(self.tokens) + 1  # the last position predicts what follows the whole text

    def point(self, position: int) -> Point:
        _check(position, self.length)
        history = tuple(self.tokens[:position])
        tokens, logprobs = get_model().distribution([BOS, *history], self.model.order)
        actual = self.tokens[position] if position < len(self.tokens) else None
        note = (
            f"{self.model.id} (order {self.model.order}): the exact distribution over all "
            f"{len(tokens)} candidates after token {position} of {len(self.tokens)}"
        )
        if actual is not None and actual not in tokens:
            note += "; the text's next token has probability 0 here"
        if self.unknown:
            note += f"; {self.unknown} token(s) of the text are not in the model's vocabulary"
        return Point(tuple(tokens), tuple(logprobs), history, actual, note)

    def with_text(self, text: str) -> TextSource:
        return TextSource(text, self.model.id)


class ReplySource:
    """The alternatives a server reported for each token of ``reply.choices[choice]``."""

    kind = "reply"
    exact = False

    def __init__(self, reply: Reply, choice: int = 0) -> None:
        entries = reply.choices[choice].logprobs if choice < len(reply.choices) else []
        if not entries:
            raise ParameterError(
                "reply",
                reply.text[:40],
                "a reply requested with logprobs=True and top_logprobs=K (a model that "
                "supports logprobs)",
            )
        self.reply = reply
        self.entries = entries
        self.tokens = [e.token for e in entries]

    @property
    def length(self) -> int:
        return len(self.entries)

    def point(self, position: int) -> Point:
        _check(position, self.length)
        entry = self.entries[position]
        alternatives: dict[str, float] = {}
        for token, logprob in entry.top:
            alternatives.setdefault(token, logprob)
        k = len(alternatives)
        outside = entry.token not in alternatives
        if outside:
            alternatives[entry.token] = entry.logprob
        ranked = sorted(alternatives.items(), key=lambda item: -item[1])
        note = (
            f"reply token {position + 1} of {self.length}: only the top-{k} alternatives the "
            "server returned are known, renormalised over them (as reported: the offline "
            "server's are after the request's own penalties and temperature)"
        )
        if outside:
            note += "; the chosen token was not among them and is added"
        return Point(
            tuple(t for t, _ in ranked),
            tuple(lp for _, lp in ranked),
            tuple(self.tokens[:position]),
            entry.token,
            note,
        )
