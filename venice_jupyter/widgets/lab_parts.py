"""The sampling lab's parts that are not widgets: where distributions come from, fetching a
reply with logprobs through the shared session path, and the HTML beside the charts.

Sources give one ``Point`` (a next-token distribution) per position:

- ``TextSource``: the offline n-gram model's *exact* distribution after each prefix of a text
  (``<|begin|>`` + the text's tokens so far, ``topic=None``: the plain model);
- ``ReplySource``: the ``top_logprobs`` a server returned for each token of a reply. Only the
  top-K alternatives are known, so the lab renormalises over them (plus the chosen token when
  it fell outside the top K).

A source has ``tokens`` (the text, token by token), ``length`` (number of positions) and
``point(position)``. Positions index the *next* token: at position ``i`` the context is
``tokens[:i]`` and what really came next is ``tokens[i]``.

``fetch_reply`` / ``afetch_reply`` ask a prompt one-off (no conversation) with ``logprobs=True``
through ``Session.run`` / ``Session.arun``, the path ``%%venice`` and the panel use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol

from venice_jupyter.errors import ParameterError, VeniceError
from venice_jupyter.offline.catalog import MODELS, resolve
from venice_jupyter.offline.ngram import BOS, get_model
from venice_jupyter.offline.tokenizer import tokenize
from venice_jupyter.params import ChatParams
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.sampling import Stage
from venice_jupyter.session import Prepared, Session
from venice_jupyter.state import VeniceState
from venice_jupyter.widgets.chart import KEPT
from venice_jupyter.widgets.panel_parts import resolve_state
from venice_jupyter.widgets.token_text import escaped, printable

__all__ = [
    "Point",
    "ReplySource",
    "Snapshot",
    "Source",
    "TextSource",
    "afetch_reply",
    "context_html",
    "fetch_reply",
    "survivors_table",
    "tally_table",
]

NUM = ' style="text-align:right"'


@dataclass(frozen=True)
class Point:
    """One next-token distribution: candidates, their logprobs, and what really came next."""

    tokens: tuple[str, ...]
    logprobs: tuple[float, ...]
    history: tuple[str, ...]  # the tokens before this position: what the penalties count
    actual: str | None  # the token that came next in the text / was chosen in the reply
    note: str  # one line for the UI: where the distribution comes from

    @property
    def actual_index(self) -> int | None:
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

    def __init__(self, text: str, model: str = "venice-offline") -> None:
        found = resolve(model)
        if found is None:
            ids = ", ".join(m.id for m in MODELS)
            raise ParameterError("model", model, f"an offline model ({ids})")
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


class ReplySource:
    """The alternatives a server reported for each token of ``reply.choices[choice]``."""

    kind = "reply"

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


# -- fetching a reply with logprobs ---------------------------------------------------------------
class _Quiet:
    """A sink that shows nothing: the lab displays the reply itself."""

    def on_start(self, prepared: Prepared) -> None: ...

    def on_delta(self, delta: Delta, reply: Reply) -> None: ...

    def on_finish(self, reply: Reply) -> None: ...

    def on_error(self, error: VeniceError) -> None: ...


def _prepare(
    prompt: str, model: str | None, top_logprobs: int, state: VeniceState | None, params: Any
) -> tuple[Session, Prepared]:
    session = resolve_state(state).session()
    wanted = ChatParams(logprobs=True, top_logprobs=top_logprobs, **params)
    return session, session.prepare(prompt, params=wanted, model=model)


def fetch_reply(
    prompt: str,
    model: str | None = None,
    top_logprobs: int = 10,
    state: VeniceState | None = None,
    **params: Any,
) -> Reply:
    session, prepared = _prepare(prompt, model, top_logprobs, state, params)
    return session.run(prepared, _Quiet())


async def afetch_reply(
    prompt: str,
    model: str | None = None,
    top_logprobs: int = 10,
    state: VeniceState | None = None,
    **params: Any,
) -> Reply:
    session, prepared = _prepare(prompt, model, top_logprobs, state, params)
    return await session.arun(prepared, _Quiet())


# -- the HTML beside the charts ---------------------------------------------------------------
def _code(token: str, marked: bool = False) -> str:
    return f"<code>{escaped(token)}</code>" + (" ◀ next" if marked else "")


def _table(kind: str, caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A small table; cells after the first are numbers, right-aligned."""
    cells = "".join(
        "<tr>"
        + "".join(f"<td{'' if j == 0 else NUM}>{c}</td>" for j, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    titles = "".join(f"<th>{h}</th>" for h in head)
    return (
        f'<table class="venice-lab-{kind}"><caption>{caption}</caption>'
        f"<thead><tr>{titles}</tr></thead><tbody>{cells}</tbody></table>"
    )


def survivors_table(
    tokens: Sequence[str], stages: Sequence[Stage], marked: int | None = None, limit: int = 20
) -> str:
    """The tokens that survive every sampler (the ``limit`` most probable), with their model and
    renormalised probabilities."""
    first, final = stages[0].probabilities, stages[-1].probabilities
    alive = sorted((i for i, k in enumerate(stages[-1].kept) if k), key=lambda i: -final[i])
    head = ["token", "model p", "sampled p"]
    shown = alive[: max(1, limit)]
    rows = [[_code(tokens[i], i == marked), f"{first[i]:.4f}", f"{final[i]:.4f}"] for i in shown]
    more = f" ({len(shown)} shown)" if len(shown) < len(alive) else ""
    return _table("survivors", f"{len(alive)} survivors{more}", head, rows)


def tally_table(tokens: Sequence[str], expected: Sequence[float], counts: Mapping[str, int]) -> str:
    """Observed draws next to what the final distribution predicts."""
    n = max(1, sum(counts.values()))
    order = sorted(range(len(tokens)), key=lambda i: -expected[i])
    got = [counts.get(t, 0) for t in tokens]
    rows = [
        [
            _code(tokens[i]),
            str(got[i]),
            f"{expected[i] * n:.1f}",
            f"{got[i] / n:.3f}",
            f"{expected[i]:.3f}",
        ]
        for i in order
        if expected[i] > 0 or got[i]
    ]
    head = ["token", "observed", "expected", "observed share", "p"]
    return _table("tally", f"{sum(counts.values())} draws", head, rows)


def context_html(tokens: Sequence[str], position: int) -> str:
    """The text around ``position``: what came before, the next token marked, a faded rest."""
    start = max(0, position - 80)
    before = ("…" if start else "") + "".join(tokens[start:position])
    upcoming = tokens[position] if position < len(tokens) else ""
    after = "".join(tokens[position + 1 : position + 40])
    mark = (
        f'<mark style="background:#fed7aa">{escaped(upcoming)}</mark>'
        if upcoming
        else f'<span style="color:{KEPT}">▌</span>'
    )
    return (
        '<div style="font-family:monospace;white-space:pre-wrap;border-left:3px solid #cbd5e1;'
        f'padding-left:6px;margin:4px 0">{escape(printable(before))}{mark}'
        f'<span style="opacity:0.4">{escape(printable(after))}</span></div>'
    )
