"""The sampling lab's sources on a real model: the exact distribution over its whole vocabulary.

- ``LocalTextSource``: after each prefix of a text (the text follows the model's document-start
  token, no chat template);
- ``LocalReplySource``: before each token of an answer the offline server of this process just
  generated, recomputed from what it evaluated (``replies.generation``): the prompt in one
  batch, then token by token, as generation does, so the distributions are the server's bit for
  bit and ``choose`` with the request's seed redraws the very answer.

The model runs once, when the source is made (``rows``: one float32 row of ``n_vocab`` logits
per position); moving a slider only reruns the sampler's math on a row.

``text_source(text, model)`` picks the n-gram ``TextSource`` or ``LocalTextSource`` for a model
id; ``reply_source(reply)`` the exact local source when the reply is one, else ``ReplySource``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from venice_jupyter.errors import ParameterError
from venice_jupyter.offline.models import (
    LlamaEngine,
    OfflineModel,
    SamplingSettings,
    engine_for,
    resolve,
    served,
)
from venice_jupyter.offline.replies import generation
from venice_jupyter.reply import Reply
from venice_jupyter.widgets.lab._sources import Point, ReplySource, Source, TextSource

__all__ = [
    "LocalReplySource",
    "LocalTextSource",
    "reply_source",
    "request_settings",
    "text_source",
]


class _Rows:
    """Positions over precomputed logit rows: row ``i`` predicts ``ids[i]``."""

    kind = "text"
    exact = True
    model: OfflineModel
    engine: LlamaEngine
    ids: list[int]
    rows: NDArray[np.float32]

    def _setup(self, model: OfflineModel, ids: list[int], rows: NDArray[np.float32]) -> None:
        self.model, self.engine, self.ids, self.rows = model, engine_for(model), ids, rows
        self.tokens = [self.engine.texts[i] for i in ids]
        self._counts: dict[int, NDArray[np.int64]] = {}

    @property
    def length(self) -> int:
        return len(self.rows)

    def counts(self, position: int) -> NDArray[np.int64]:
        """How often each vocabulary token occurs before ``position`` (what penalties count)."""
        counts = self._counts.get(position)
        if counts is None:
            seen = np.asarray(self.ids[:position], dtype=np.int64)
            counts = self._counts[position] = np.bincount(seen, minlength=self.engine.n_vocab)
        return counts

    def _point(self, position: int, where: str) -> Point:
        if not 0 <= position < self.length:
            raise ParameterError("position", position, f"0 to {self.length - 1}")
        actual_at = self.ids[position] if position < len(self.ids) else None
        n = self.engine.n_vocab
        note = f"{self.model.id}: the exact distribution over all {n:,} tokens {where}"
        return Point(
            self.engine.texts,
            self.rows[position],
            tuple(self.tokens[:position]),
            self.engine.texts[actual_at] if actual_at is not None else None,
            note,
            actual_at,
            self.counts(position),
        )


class LocalTextSource(_Rows):
    """A real model's exact distribution at every point of ``text``."""

    def __init__(self, text: str, model: OfflineModel) -> None:
        engine = engine_for(model)
        self.text = text
        start = engine.document_start()
        ids = engine.encode(text)
        if len(start) + len(ids) >= engine.n_ctx:
            raise ParameterError("text", text[:40], f"a text under {engine.n_ctx} tokens")
        self._setup(model, ids, engine.trace(start, ids))

    def point(self, position: int) -> Point:
        return self._point(position, f"after token {position} of {len(self.ids)}")

    def with_text(self, text: str) -> LocalTextSource:
        return LocalTextSource(text, self.model)


class LocalReplySource(_Rows):
    """Before each token of an answer this process's offline server generated (choice
    ``choice``), exactly as the server computed it; the request's settings in ``settings``."""

    kind = "reply"

    def __init__(self, reply: Reply, choice: int = 0) -> None:
        made = generation(reply.id or "")
        found = resolve(made.model) if made is not None else None
        if made is None or found is None or choice >= len(made.tokens):
            raise ParameterError(
                "reply", reply.text[:40], "a reply from this process's offline server"
            )
        self.reply, self.settings, self.seed = reply, made.settings, made.seed
        self.prompt = made.prompt
        ids = list(made.tokens[choice])
        self._setup(found[0], ids, engine_for(found[0]).trace(made.prompt, ids))

    def point(self, position: int) -> Point:
        where = f"before reply token {position + 1} of {len(self.ids)}"
        if position == len(self.ids):
            where = "after the reply's last token"
        return self._point(position, where + " (as the server computed it)")


def text_source(text: str, model: str | None) -> Source:
    """The lab's source for ``text`` under ``model`` (None: the offline default)."""
    found = resolve(model or "default")
    if found is None:
        ids = ", ".join(m.id for m in served())
        raise ParameterError("model", model, f"an offline model ({ids})")
    if found[0].engine == "llama":
        return LocalTextSource(text, found[0])
    return TextSource(text, found[0].id)


def reply_source(reply: Reply) -> Source:
    """The exact source when this process's server generated ``reply``, else its top_logprobs."""
    made = generation(reply.id or "")
    if made is not None:
        return LocalReplySource(reply)
    return ReplySource(reply)


def request_settings(source: Source) -> SamplingSettings | None:
    """The sampling settings the server used for a local reply (to start the sliders there)."""
    return source.settings if isinstance(source, LocalReplySource) else None
