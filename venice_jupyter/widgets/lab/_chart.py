"""The sampling lab's drawings: one small SVG bar chart per ``Panel`` (``_panels``).

Pure functions from tokens and panels to markup, no widgets. Tokens are untrusted text (a model
wrote them): they only ever land in text nodes, escaped, after ``token_text.visible()`` has
made whitespace and control characters printable. No attribute carries token text, and nothing
here emits a script, a style sheet or an event handler, so the markup is safe inside an
``ipywidgets.HTML``. Below the rows, a panel says what it does with the candidates not drawn
(the tail) and what its stage removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from venice_jupyter.offline.models import SamplingSettings, Stage
from venice_jupyter.widgets.lab._panels import Panel, display_rows, panels, with_tails
from venice_jupyter.widgets.lab._token_text import escaped

__all__ = ["Panel", "display_rows", "panels", "stage_charts"]

KEPT, REMOVED, GHOST, CUT, MASS, MARK, DEAD = (
    "#2563eb", "#cbd5e1", "#64748b", "#dc2626", "#d97706", "#c2410c", "#94a3b8"
)  # fmt: skip
WIDTH, LABEL_W, VALUE_W, ROW_H, TOP_Y, LINE_H = 250, 80, 34, 13, 32, 11
BAR_X = LABEL_W + 4
BAR_W = WIDTH - BAR_X - VALUE_W - 4


def _el(tag: str, text: str = "", **attrs: object) -> str:
    """An SVG element: ``font_size`` becomes ``font-size``; ``text`` must be escaped already."""
    pairs = (
        (k.replace("_", "-"), f"{v:.1f}" if isinstance(v, float) else str(v))
        for k, v in attrs.items()
    )
    rendered = "".join(f' {k}="{escape(v, quote=True)}"' for k, v in pairs)
    return f"<{tag}{rendered}>{text}</{tag}>" if text else f"<{tag}{rendered}/>"


def _panel_svg(
    panel: Panel, rows: Sequence[int], labels: Sequence[str], marked: int | None, scale: float
) -> str:
    bottom = TOP_Y + ROW_H * len(rows)
    height = bottom + (17 if panel.threshold or panel.mass or panel.rank_cut else 6)
    notes = _notes(panel)
    height += LINE_H * len(notes)

    def x(p: float, unit: float = scale) -> float:
        return BAR_X + BAR_W * min(1.0, max(0.0, p / unit))

    parts = [
        _el("text", escape(panel.title), x=2, y=12, font_weight="bold", font_size=11),
        _el("text", escape(panel.subtitle), x=2, y=25, fill=GHOST),
    ]
    for r, i in enumerate(rows):
        y, p = TOP_Y + r * ROW_H, panel.bars[i]
        fill = MARK if i == marked else (DEAD if p <= 0 else "#111827")
        label = f"<title>{escaped(labels[i])}: {p:.4f}</title>" + escaped(
            ("▶" if i == marked else "") + labels[i], 13
        )
        weight = "bold" if i == marked else "normal"
        parts.append(
            _el(
                "text", label, x=LABEL_W, y=y + 10, text_anchor="end", fill=fill, font_weight=weight
            )
        )
        if p > 0:
            colour = KEPT if panel.kept[i] else REMOVED
            parts.append(
                _el("rect", x=BAR_X, y=y + 2, width=x(p) - BAR_X, height=ROW_H - 3, fill=colour)
            )
            parts.append(
                _el(
                    "text",
                    f"{p:.3f}",
                    x=WIDTH - 2,
                    y=y + 10,
                    text_anchor="end",
                    fill=GHOST,
                    font_size=9,
                )
            )
        if panel.ghost is not None and panel.ghost[i]:
            parts.append(
                _el(
                    "rect",
                    x=BAR_X,
                    y=y + 2,
                    width=x(panel.ghost[i]) - BAR_X,
                    height=ROW_H - 3,
                    fill="none",
                    stroke=GHOST,
                    stroke_width=0.8,
                )
            )
    if panel.threshold is not None:
        at, name = panel.threshold
        parts.append(_vline(x(at), bottom, CUT, f"{name} = {at:.3f}"))
    if panel.mass is not None:
        cumulative, top_p = panel.mass
        points = " ".join(
            f"{x(cumulative[i], 1.0):.1f},{TOP_Y + r * ROW_H + ROW_H / 2:.1f}"
            for r, i in enumerate(rows)
            if panel.bars[i] > 0
        )
        parts.append(_el("polyline", points=points, fill="none", stroke=MASS, stroke_width=1.5))
        parts.append(_vline(x(top_p, 1.0), bottom, MASS, f"cumulative mass {top_p:g}"))
    if panel.rank_cut is not None:
        k, lowest = panel.rank_cut
        flags = [bool(panel.kept[i]) for i in rows]
        prefix = sum(flags)
        if flags == [True] * prefix + [False] * (len(flags) - prefix):
            y = TOP_Y + prefix * ROW_H
            parts.append(
                _el(
                    "line",
                    x1=2,
                    y1=y,
                    x2=WIDTH - 2,
                    y2=y,
                    stroke=CUT,
                    stroke_width=1.2,
                    stroke_dasharray="3,2",
                )
            )
            parts.append(_el("text", f"k = {k}", x=2, y=y - 2, fill=CUT, font_size=9))
        else:  # penalties reordered the ranks: the k-th probability as a threshold
            parts.append(_vline(x(lowest), bottom, CUT, f"k-th p = {lowest:.3f}"))
    for n, (note, colour) in enumerate(notes):
        y = height - LINE_H * (len(notes) - n) + 8
        parts.append(_el("text", escape(note), x=2, y=y, fill=colour, font_size=9))
    return _el(
        "svg",
        "".join(parts),
        xmlns="http://www.w3.org/2000/svg",
        width=WIDTH,
        height=height,
        viewBox=f"0 0 {WIDTH} {height}",
        font_family="sans-serif",
        font_size=10,
    )


def _vline(at: float, bottom: float, colour: str, label: str) -> str:
    """A dashed cut-off line over the rows, labelled below them."""
    anchor = "end" if at > BAR_X + BAR_W / 2 else "start"
    return _el(
        "line",
        x1=at,
        y1=TOP_Y - 2,
        x2=at,
        y2=bottom + 3,
        stroke=colour,
        stroke_width=1.2,
        stroke_dasharray="3,2",
    ) + _el(
        "text", escape(label), x=at, y=bottom + 11, fill=colour, font_size=9, text_anchor=anchor
    )


def _notes(panel: Panel) -> list[tuple[str, str]]:
    """The lines under a chart: the tail below the rows, and what the stage removed."""
    notes = []
    if panel.tail is not None:
        tail = panel.tail
        line = f"+ {tail.tokens:,} more tokens: {tail.mass:.1%} of the mass"
        if tail.kept != tail.tokens:
            line += f", {tail.kept:,} kept"
        notes.append((line, GHOST))
    if panel.cut is not None:
        tokens, mass = panel.cut
        notes.append((f"cut: {tokens:,} tokens, {mass:.2%} of the mass", CUT))
    return notes


def stage_charts(
    tokens: Sequence[str],
    stages: Sequence[Stage],
    settings: SamplingSettings,
    *,
    top: int = 20,
    marked: int | None = None,
    source_note: str = "",
) -> str:
    """Every stage's chart, left to right in pipeline order, in one wrapping ``<div>``."""
    rows = display_rows(stages, top, marked)
    drawn = with_tails(panels(stages, settings, source_note), rows)
    scale = max(
        [1e-9]
        + [
            max(float(p.bars[i]), float((p.ghost if p.ghost is not None else p.bars)[i]))
            for p in drawn
            for i in rows
        ]
    )
    hidden = len(tokens) - len(rows)
    more = (
        f'<div style="color:{GHOST};font-size:11px">+ {hidden:,} less probable candidates '
        "not drawn</div>"
        if hidden > 0
        else ""
    )
    charts = "".join(
        f'<div style="margin:0 8px 8px 0">{_panel_svg(p, rows, tokens, marked, scale)}</div>'
        for p in drawn
    )
    return (
        '<div class="venice-lab-charts"><div style="display:flex;flex-wrap:wrap">'
        f"{charts}</div>{more}</div>"
    )
