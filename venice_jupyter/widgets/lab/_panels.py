"""What each of the sampling lab's charts shows: one ``Panel`` per ``sampling.pipeline`` stage.

Pure numbers from stages, no markup (``_chart`` draws them). Every chart lists the same rows
(the ``top`` most probable tokens of the input, in that order):

- ``model`` / ``penalties`` / ``temperature``: bars are the stage's output, outlines its input;
- ``top_k`` / ``top_p`` / ``min_p``: bars are the distribution the sampler *sees*; the tokens it
  removes are grey, and its cut-off is drawn (a rank line, the cumulative mass, a threshold);
- ``final``: what is sampled from, renormalised.

A real vocabulary has tens of thousands of tokens below the rows: each panel summarises that
tail (``tail``: how many tokens, how much mass, how many survive) and what its stage removed
(``cut``: tokens and mass), so the long tail top_p and min_p exist for is visible too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from venice_jupyter.offline.models import SamplingSettings, Stage, ranked

__all__ = ["Panel", "Tail", "display_rows", "panels", "with_tails"]

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class Tail:
    """The candidates below the drawn rows: how many have probability > 0, their mass, and how
    many of them the stage keeps."""

    tokens: int
    mass: float
    kept: int


@dataclass(frozen=True)
class Panel:
    """One chart: bar lengths per candidate and what to draw on top of them."""

    title: str
    subtitle: str
    bars: Floats
    kept: Bools
    ghost: Floats | None = None
    threshold: tuple[float, str] | None = None  # a probability on the bar scale, and a label
    rank_cut: tuple[int, float] | None = None  # k and the k-th probability: top_k's cut
    mass: tuple[Floats, float] | None = None  # cumulative mass per token, top_p
    cut: tuple[int, float] | None = None  # tokens and mass this stage removed
    tail: Tail | None = None


def _cumulative(probs: Floats) -> Floats:
    """Per token, the mass of it and every token ranked above it."""
    order = np.argsort(-probs, kind="stable")
    out = np.empty(len(probs))
    out[order] = np.cumsum(probs[order])
    return out


def panels(
    stages: Sequence[Stage], settings: SamplingSettings, source_note: str = ""
) -> list[Panel]:
    """The charts for ``pipeline(…, settings)``: input, penalties (when set), temperature, …"""
    by = {s.name: s for s in stages}
    first = by["input"].p
    everyone = np.ones(len(first), dtype=bool)
    out = [Panel("model", source_note or f"{len(first)} candidates", first, everyone)]
    if settings.has_penalties:
        s = settings
        sub = (
            f"rep {s.repetition_penalty:g} · freq {s.frequency_penalty:g} · "
            f"pres {s.presence_penalty:g} · outline: before"
        )
        out.append(Panel("penalties", sub, by["penalties"].p, everyone, ghost=first))
    temp = by["temperature"]
    title = f"temperature: {_temperature(temp.param, settings)}"
    out.append(Panel(title, "outline: before", temp.p, temp.keep, ghost=by["penalties"].p))
    seen = temp.p
    for stage in (by["top_k"], by["top_p"], by["min_p"]):
        out.append(_truncation(stage, seen))
        seen = stage.p
    final = by["final"]
    kept = int(final.keep.sum())
    out.append(Panel("final: sampled from", f"{kept:,} tokens", seen, final.keep))
    return out


def _temperature(t: float | None, settings: SamplingSettings) -> str:
    t = 1.0 if t is None else t
    label = "greedy (T = 0)" if t < 1e-5 else f"T = {t:.2f}"
    if settings.min_temp is None and settings.max_temp is None:
        return label
    low = settings.temperature if settings.min_temp is None else settings.min_temp
    high = settings.temperature if settings.max_temp is None else settings.max_temp
    return f"{label} (dynamic {low:g}–{high:g})"


def _truncation(stage: Stage, seen: Floats) -> Panel:
    """top_k / top_p / min_p: the distribution the sampler sees, what it removes, its cut."""
    param = stage.param
    if param is None or (stage.name == "top_p" and param >= 1.0):
        return Panel(f"{stage.name}: off", "keeps all", seen, stage.keep)
    removed = stage.dropped
    kept = int(stage.keep.sum())
    sub = f"removes {removed}, keeps {kept}" if removed else "keeps all"
    cut = (removed, stage.dropped_mass) if removed else None
    panel = Panel(f"{stage.name} = {param:g}", sub, seen, stage.keep, cut=cut)
    if stage.name == "top_k" and removed:
        return replace(panel, rank_cut=(int(param), stage.cutoff or 0.0))
    if stage.name == "top_p":
        return replace(
            panel, subtitle=f"{sub} · orange: cumulative mass", mass=(_cumulative(seen), param)
        )
    if stage.name == "min_p" and stage.cutoff is not None:
        return replace(panel, threshold=(stage.cutoff, f"{param:g}·p_max"))
    return panel


def display_rows(stages: Sequence[Stage], top: int, marked: int | None = None) -> list[int]:
    """The ``top`` most probable inputs (stable order), plus ``marked`` if it is further down."""
    order = [int(i) for i in ranked(stages[0].p, max(1, top))]
    if marked is not None and marked not in order:
        order.append(marked)
    return order


def with_tails(drawn: Sequence[Panel], rows: Sequence[int]) -> list[Panel]:
    """Each panel with the summary of the candidates below ``rows``."""
    shown = np.zeros(len(drawn[0].bars), dtype=bool)
    shown[list(rows)] = True
    out = []
    for panel in drawn:
        hidden = (panel.bars > 0.0) & ~shown
        tail = Tail(
            int(np.count_nonzero(hidden)),
            float(panel.bars[hidden].sum()),
            int(np.count_nonzero(hidden & panel.kept)),
        )
        out.append(replace(panel, tail=tail) if tail.tokens else panel)
    return out
