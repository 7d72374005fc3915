"""The sampling lab on the real model: the whole 49,152-token distribution, each sampler's cut
with the tail summarised, the side-by-side with a top_logprobs view, draws that are the
server's, and slider moves that never run the model again.

Skipped, with the reason, when the ``local`` extra is not installed; CI installs it.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tests.local_support import MODEL, engine, needs_local
from venice_jupyter.offline import OfflineServer
from venice_jupyter.offline.models import DEFAULT_ENV, SamplingSettings, choose
from venice_jupyter.widgets.lab._local_sources import LocalReplySource, LocalTextSource
from venice_jupyter.widgets.lab._open import lab_from_prompt_sync, sampling_lab
from venice_jupyter.workspace import VeniceSettings, Workspace

pytestmark = needs_local
SVG = "{http://www.w3.org/2000/svg}"
TEXT = "The cat sat on the mat. The temperature of the"


def svg_texts(markup: str) -> list[str]:
    root = ET.fromstring(markup)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def plain(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))


def test_a_text_opens_on_the_whole_vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    lab = sampling_lab(TEXT, model=MODEL, top=10)
    ids = engine().encode(TEXT)
    assert isinstance(lab.source, LocalTextSource) and lab.source.ids == ids
    assert lab.source.length == len(ids) + 1 and lab.position == len(ids)
    point = lab.point
    assert len(point.tokens) == len(point.logprobs) == engine().n_vocab == 49_152
    first = lab.stages[0]
    assert first.p.sum() == pytest.approx(1.0) and np.count_nonzero(first.p) > 40_000
    assert "49,152 candidates (exact)" in lab.chart_html.value
    lab.position = 3
    assert lab.point.actual_at == ids[3] and lab.point.actual == engine().texts[ids[3]]
    assert lab.point.history == tuple(engine().texts[i] for i in ids[:3])
    # with the suite's setting off, the lab's default is the real model too
    monkeypatch.delenv(DEFAULT_ENV)
    assert isinstance(sampling_lab("Hello").source, LocalTextSource)


def test_each_cut_is_drawn_with_its_tail_summarised() -> None:
    lab = sampling_lab(TEXT, model=MODEL, top=10)
    lab.set(temperature=1.0, top_k=200, top_p=0.9, min_p=0.01)
    stages = {s.name: s for s in lab.stages}
    texts = svg_texts(f"<root>{lab.svg()}</root>")
    for name in ("top_k", "top_p", "min_p"):
        stage = stages[name]
        if stage.dropped:
            assert f"cut: {stage.dropped:,} tokens, {stage.dropped_mass:.2%} of the mass" in texts
    assert stages["top_k"].dropped == 49_152 - 200
    hidden = 49_152 - 10
    assert any(t.startswith(f"+ {hidden:,} more tokens: ") for t in texts)
    final = stages["final"]
    assert f"{int(final.keep.sum()):,} tokens" in texts
    # the survivors really are what the stages say
    assert len(lab.survivors()) == int(final.keep.sum())
    assert [p for _, p in lab.survivors(5)] == pytest.approx(sorted(final.p, reverse=True)[:5])


def test_the_side_by_side_shows_what_top_logprobs_would_have_kept() -> None:
    lab = sampling_lab(TEXT, model=MODEL)
    lab.set(temperature=1.0, top_p=0.9)
    table = plain(lab.top_view_html.value)
    final = lab.stages[-1]
    full = int(final.keep.sum())
    assert f"survivors of top_k, top_p, min_p {full:,} " in table
    mass = float(np.sort(final.p)[::-1][:20].sum())  # T=1: the reported head is the input's
    head = float(np.sort(lab.stages[0].p)[::-1][:20].sum())
    assert f"probability mass they hold 100% {head:.1%}" in table
    assert full > 20 > 0 and mass < 1.0
    assert table.count("␣") >= 10  # the 20 reported tokens, whitespace made visible
    assert "<script" not in lab.top_view_html.value.lower()


def test_moving_sliders_never_runs_the_model_again() -> None:
    lab = sampling_lab(TEXT, model=MODEL)
    before, charts = engine().evaluations, lab.chart_html.value
    for value in (0.5, 0.8, 0.95):
        lab.controls["top_p"].value = value
    lab.controls["temperature"].value = 1.4
    lab.set(min_temp=0.4, max_temp=1.6, presence_penalty=0.5)
    for position in range(lab.source.length):
        lab.position = position
    lab.draw(500)
    assert engine().evaluations == before
    assert lab.chart_html.value != charts
    lab.text = "Once upon a time"  # a new text does need the model
    assert engine().evaluations > before and lab.source.ids == engine().encode("Once upon a time")


def test_a_reply_opens_on_the_servers_exact_distributions(server: OfflineServer) -> None:
    settings = SamplingSettings(
        temperature=0.9, top_k=50, top_p=0.95, min_p=0.02, frequency_penalty=0.2,
        presence_penalty=0.3, repetition_penalty=1.1,
    )  # fmt: skip
    state = Workspace(VeniceSettings(base_url=server.base_url))
    try:
        lab = lab_from_prompt_sync(
            "Why is the sky blue?", model=MODEL, top_logprobs=5, workspace=state, seed=5,
            max_completion_tokens=25, temperature=0.9, top_k=50, top_p=0.95, min_p=0.02,
            frequency_penalty=0.2, presence_penalty=0.3, repetition_penalty=1.1,
        )  # fmt: skip
    finally:
        state.close()
    source = lab.source
    assert isinstance(source, LocalReplySource)
    assert lab.settings == settings  # the sliders start at the request's settings
    assert len(source.ids) == 25 and lab.position == 0
    text = b"".join(engine().pieces[i] for i in source.ids).decode("utf-8", "replace")
    assert text == source.reply.text
    # draws that match the server's: the request's seed redraws its very answer from the lab
    rng = random.Random(5)
    again = [
        choose(source.point(i).logprobs, settings, rng, source.point(i).counts)
        for i in range(len(source.ids))
    ]
    assert again == source.ids
    # and the lab's own draws come from the same final distribution
    counts = lab.draw(1000)
    alive = dict(lab.survivors())
    assert set(counts) <= set(alive)
