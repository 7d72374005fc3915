"""The sampling lab's widget: sliders, position, charts per stage and seeded draws.

Opened through ``_open``, which documents what a user can do with it. A slider move reruns only
the sampler's math on the current distribution (``pipeline()``, cached per position and
settings): a source computes its model's distributions once, so even a 49,152-token one
re-renders in milliseconds.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from typing import Any

import ipywidgets as w
import numpy as np
from numpy.typing import ArrayLike

from venice_jupyter.errors import ParameterError
from venice_jupyter.offline.models import SamplingSettings, Stage, choose_many, pipeline
from venice_jupyter.widgets._controls import ParamControls
from venice_jupyter.widgets.lab._chart import stage_charts
from venice_jupyter.widgets.lab._sources import Point, Snapshot, Source
from venice_jupyter.widgets.lab._tables import context_html, survivors_table, tally_table
from venice_jupyter.widgets.lab._token_text import visible
from venice_jupyter.widgets.lab._topview import TOP_LOGPROBS, top_logprobs_view

__all__ = ["DRAWS", "SAMPLERS", "SamplingLab"]

SAMPLERS = ("temperature", "min_temp", "max_temp", "top_k", "top_p", "min_p",
            "repetition_penalty", "frequency_penalty", "presence_penalty")  # fmt: skip
DRAWS = (1, 10, 100, 1000)


class SamplingLab(w.VBox):  # type: ignore[misc]
    """Samplers' sliders over one ``Source`` and what they do to it, stage by stage."""

    def __init__(
        self,
        source: Source,
        *,
        top: int = 20,
        seed: int = 0,
        settings: SamplingSettings | None = None,
    ) -> None:
        self.source = source
        self.top = top
        self.rng = random.Random(seed)
        self.last_draw: Counter[str] | None = None
        self._holding = self._dirty = False
        self._cached: tuple[object, list[Stage]] | None = None
        neutral = settings or SamplingSettings()
        self.controls: dict[str, Any] = ParamControls(names=list(SAMPLERS)).controls
        for name in SAMPLERS:
            control = self.controls[name]
            if getattr(neutral, name) is not None:
                control.value = getattr(neutral, name)
            control.continuous_update = True
            control.style.description_width = "135px"
            control.layout.width = "325px"
            control.observe(self._changed, names="value")
        dynamic = neutral.min_temp is not None or neutral.max_temp is not None
        self.dynamic = w.Checkbox(value=dynamic, description="dynamic temperature", indent=False)
        self.position_slider = w.IntSlider(
            value=source.length - 1 if source.kind == "text" else 0,
            min=0,
            max=source.length - 1,
            description="position",
            layout=w.Layout(width="660px"),
        )
        for control in (self.dynamic, self.position_slider):
            control.observe(self._changed, names="value")
        self.text_box = w.Textarea(
            value=getattr(source, "text", ""),
            continuous_update=False,
            layout=w.Layout(
                width="660px", height="60px", display=None if source.kind == "text" else "none"
            ),
        )
        self.text_box.observe(lambda change: setattr(self, "text", change["new"]), names="value")
        self.draws = w.Dropdown(
            options=DRAWS, value=100, description="draws", layout=w.Layout(width="180px")
        )
        self.draw_button = w.Button(
            description="Draw", tooltip="sample from the final distribution"
        )
        self.draw_button.on_click(lambda _button: self.draw(self.draws.value))
        self.note_html, self.context_html, self.chart_html, self.table_html, self.tally_html = (
            w.HTML() for _ in range(5)
        )
        self.top_view_html = w.HTML()  # the side-by-side with a top_logprobs view
        self.table_html.layout.margin = "0 32px 0 0"
        c = self.controls
        sliders = w.HBox(
            [
                w.VBox([c["temperature"], self.dynamic, c["min_temp"], c["max_temp"]]),
                w.VBox([c["top_k"], c["top_p"], c["min_p"]]),
                w.VBox([c["repetition_penalty"], c["frequency_penalty"], c["presence_penalty"]]),
            ]
        )
        draws = w.VBox([w.HBox([self.draws, self.draw_button]), self.tally_html])
        super().__init__(
            [
                self.note_html,
                self.context_html,
                self.text_box,
                self.position_slider,
                sliders,
                self.chart_html,
                w.HBox([self.table_html, draws]),
                self.top_view_html,
            ]
        )
        self.redraw()

    # -- what the lab shows ----------------------------------------------------------------
    @property
    def settings(self) -> SamplingSettings:
        values = {name: self.controls[name].value for name in SAMPLERS}
        if not self.dynamic.value:
            values["min_temp"] = values["max_temp"] = None
        values["top_k"] = int(values["top_k"])
        return SamplingSettings(**values)

    @property
    def position(self) -> int:
        return int(self.position_slider.value)

    @position.setter
    def position(self, value: int) -> None:
        if not 0 <= value < self.source.length:
            raise ParameterError("position", value, f"0 to {self.source.length - 1}")
        self.position_slider.value = value

    @property
    def text(self) -> str:
        return "".join(self.source.tokens)

    @text.setter
    def text(self, text: str) -> None:
        retext = getattr(self.source, "with_text", None)
        if self.source.kind != "text" or retext is None:
            raise ParameterError("text", text, "a lab made from a text (this one shows a reply)")
        self.source = retext(text)
        self._cached = None
        with self._hold():
            self.text_box.value = text
            self.position_slider.max = self.source.length - 1
            self.position_slider.value = self.source.length - 1
            self._dirty = True

    @property
    def point(self) -> Point:
        return self.source.point(self.position)

    @property
    def stages(self) -> list[Stage]:
        """``pipeline()`` at the current position and settings (computed once for both)."""
        key = (self.source, self.position, self.settings)
        if self._cached is None or self._cached[0] != key:
            point = self.point
            stages = pipeline(
                point.tokens, point.logprobs, self.settings, point.history, point.counts
            )
            self._cached = (key, stages)
        return self._cached[1]

    def survivors(self, limit: int | None = None) -> list[tuple[str, float]]:
        """The tokens that can still be sampled, most probable first, renormalised."""
        tokens, final = self.point.tokens, self.stages[-1]
        alive = np.flatnonzero(final.keep)
        alive = alive[np.argsort(-final.p[alive], kind="stable")][:limit]
        return [(tokens[i], float(final.p[i])) for i in alive.tolist()]

    def svg(self) -> str:
        """The charts: one small SVG per stage, in pipeline order (escaped, no script)."""
        point, settings, n = self.point, self.settings, len(self.point.tokens)
        stages = self.stages
        exact = getattr(self.source, "exact", self.source.kind == "text")
        note = f"{n:,} candidates (exact)" if exact else f"top {n} only"
        mark = point.actual_index
        return stage_charts(
            point.tokens, stages, settings, top=self.top, marked=mark, source_note=note
        )

    def snapshot(self) -> Snapshot:
        """The lab's output now, as static HTML (its plain-text form lists the survivors)."""
        parts = (self.note_html, self.context_html, self.chart_html, self.table_html)
        top = ", ".join(f"{visible(t)} {p:.3f}" for t, p in self.survivors(8))
        html = "".join(p.value for p in parts) + self.tally_html.value + self.top_view_html.value
        return Snapshot(html, f"sampled from: {top}")

    # -- changing it -------------------------------------------------------------------------
    def set(self, **settings: Any) -> None:
        """Move sliders (names as in ``SAMPLERS``, plus ``dynamic``); one redraw at the end.

        Giving ``min_temp``/``max_temp`` turns dynamic temperature on (``None`` turns it off).
        """
        unknown = sorted(set(settings) - {*SAMPLERS, "dynamic"})
        if unknown:
            raise ParameterError("lab.set", unknown[0], f"one of {', '.join(SAMPLERS)}, dynamic")
        dynamic = settings.pop("dynamic", None)
        bounds = [settings[k] for k in ("min_temp", "max_temp") if k in settings]
        if dynamic is None and bounds:
            dynamic = any(b is not None for b in bounds)
        for name, value in settings.items():
            control = self.controls[name]
            if value is None and name in ("min_temp", "max_temp"):
                continue
            whole = not isinstance(control, w.IntSlider) or float(value).is_integer()
            if not isinstance(value, (int, float)) or not control.min <= value <= control.max:
                raise ParameterError(name, value, f"a number from {control.min} to {control.max}")
            if not whole:
                raise ParameterError(name, value, "a whole number")
        with self._hold():
            for name, value in settings.items():
                if value is not None:
                    self.controls[name].value = value
            if dynamic is not None:
                self.dynamic.value = bool(dynamic)

    def reset(self) -> None:
        """Every sampler back to the value that changes nothing; dynamic temperature off."""
        neutral = SamplingSettings()
        self.set(dynamic=False, **{n: getattr(neutral, n) for n in SAMPLERS if "_temp" not in n})

    def draw(self, n: int = 100) -> Counter[str]:
        """``n`` tokens drawn from the final distribution with the lab's seeded ``Random``."""
        if not isinstance(n, int) or n < 1:
            raise ParameterError("n", n, "a positive number of draws")
        point, settings = self.point, self.settings
        counts = self._counts(point)
        drawn = Counter(choose_many(point.logprobs, settings, self.rng, n, counts).tolist())
        tally = Counter({point.tokens[i]: c for i, c in drawn.items()})
        if len(tally) < len(drawn):  # different ids reading the same: add them up
            tally = Counter()
            for i, c in drawn.items():
                tally[point.tokens[i]] += c
        self.last_draw = tally
        self.tally_html.value = tally_table(point.tokens, self.stages[-1].p, drawn)
        return tally

    def _counts(self, point: Point) -> ArrayLike | None:
        """Penalty counts per candidate: the source's, else from the history's text."""
        if point.counts is not None or not self.settings.has_penalties:
            return point.counts
        seen = Counter(point.history)
        return [seen[t] for t in point.tokens]

    def redraw(self) -> None:
        point, stages = self.point, self.stages
        dynamic = self.dynamic.value
        self.controls["temperature"].disabled = dynamic
        self.controls["min_temp"].disabled = self.controls["max_temp"].disabled = not dynamic
        self.note_html.value = f'<div style="font-size:12px">{escape(point.note)}</div>'
        self.context_html.value = context_html(self.source.tokens, self.position)
        self.chart_html.value = self.svg()
        self.table_html.value = survivors_table(point.tokens, stages, point.actual_index, self.top)
        exact = getattr(self.source, "exact", False)
        self.top_view_html.value = (
            top_logprobs_view(
                point.tokens, point.logprobs, stages, self.settings, self._counts(point)
            )
            if exact and len(point.tokens) > TOP_LOGPROBS
            else ""
        )
        self.tally_html.value = ""  # a tally of other settings would mislead
        self.last_draw = None

    def _changed(self, _change: Any = None) -> None:
        if self._holding:
            self._dirty = True
        else:
            self.redraw()

    @contextmanager
    def _hold(self) -> Iterator[None]:
        outer = self._holding
        self._holding = True
        try:
            yield
        finally:
            self._holding = outer
            if not outer and self._dirty:
                self._dirty = False
                self.redraw()
