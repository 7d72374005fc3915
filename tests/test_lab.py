"""The sampling lab: charts per stage, safe SVG, sliders, draws, sources, and the server's sampling.

Pure tests drive ``SamplingLab`` in-process (ipywidgets work without a kernel); the statistical
test talks to the offline server over loopback HTTP; the last test uses a real IPython kernel.
"""

from __future__ import annotations

import asyncio
import math
import random
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit.kernel import running_kernel
from tests.stats import chi2_sf
from venice_jupyter import sampling_lab as lazy_sampling_lab
from venice_jupyter.errors import ParameterError
from venice_jupyter.offline import OfflineServer
from venice_jupyter.offline.models._ngram import BOS, EOS, get_model
from venice_jupyter.offline.models._sampling import SamplingSettings, pipeline, processed_logprobs
from venice_jupyter.offline.models._tokenizer import tokenize
from venice_jupyter.offline.models._topic import TopicIndex
from venice_jupyter.reply import Choice, Reply, TokenLogprob
from venice_jupyter.widgets.lab._open import (
    SamplingLab,
    lab_from_prompt,
    lab_from_prompt_sync,
    sampling_lab,
)
from venice_jupyter.widgets.lab._sources import Point
from venice_jupyter.widgets.lab._token_text import visible
from venice_jupyter.workspace import VeniceSettings, Workspace

SVG = "{http://www.w3.org/2000/svg}"
TOKENS = ["a", "b", "c", "d", "e"]
PROBS = [0.5, 0.3, 0.15, 0.04, 0.01]


class HandSource:
    """A fixed, hand-made distribution (one position)."""

    kind = "text"
    length = 1

    def __init__(self, tokens: list[str], probs: list[float], history: tuple[str, ...] = ()):
        self.tokens: list[str] = []
        logprobs = tuple(math.log(p) for p in probs)
        self._point = Point(tuple(tokens), logprobs, history, None, "hand-made")

    def point(self, position: int) -> Point:
        return self._point


def hand_lab(tokens: list[str] = TOKENS, probs: list[float] = PROBS, **kwargs: Any) -> SamplingLab:
    return SamplingLab(HandSource(tokens, probs, kwargs.pop("history", ())), **kwargs)


def charts(lab: SamplingLab) -> list[ET.Element]:
    return list(ET.fromstring(lab.svg()).iter(f"{SVG}svg"))


def titles(lab: SamplingLab) -> list[str]:
    return [next(svg.iter(f"{SVG}text")).text or "" for svg in charts(lab)]


def texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


# -- the chart: stages in order, survivors, cut-offs ---------------------------------------------
def test_charts_follow_the_pipeline_in_order() -> None:
    lab = hand_lab()
    assert titles(lab) == [
        "model",
        "temperature: T = 1.00",
        "top_k: off",
        "top_p: off",
        "min_p: off",
        "final: sampled from",
    ]
    lab.set(presence_penalty=0.5, top_k=3, top_p=0.9, min_p=0.1, min_temp=0.5, max_temp=1.5)
    names = [t.split(":")[0].split(" =")[0] for t in titles(lab)]
    assert names == ["model", "penalties", "temperature", "top_k", "top_p", "min_p", "final"]
    assert "(dynamic 0.5–1.5)" in titles(lab)[2]
    assert [s.name for s in lab.stages] == [
        "input",
        "penalties",
        "temperature",
        "top_k",
        "top_p",
        "min_p",
        "final",
    ]


def test_top_k_keeps_exactly_k_and_draws_the_rank_line() -> None:
    lab = hand_lab()
    lab.set(top_k=2)
    assert [t for t, _ in lab.survivors()] == ["a", "b"]
    assert [p for _, p in lab.survivors()] == pytest.approx([0.5 / 0.8, 0.3 / 0.8])
    top_k = charts(lab)[2]
    assert "removes 3, keeps 2" in texts(top_k)
    line = next(top_k.iter(f"{SVG}line"))
    assert line.get("y1") == line.get("y2") == str(32 + 2 * 13)  # under the 2nd row
    greys = [r for r in top_k.iter(f"{SVG}rect") if r.get("fill") == "#cbd5e1"]
    assert len(greys) == 3  # c, d, e greyed


@pytest.mark.parametrize(("top_p", "kept"), [(0.8, ["a", "b"]), (0.81, ["a", "b", "c"])])
def test_top_p_cuts_at_the_right_token(top_p: float, kept: list[str]) -> None:
    lab = hand_lab()
    lab.set(top_p=top_p)
    assert [t for t, _ in lab.survivors()] == kept
    chart = charts(lab)[3]
    assert f"cumulative mass {top_p:g}" in texts(chart)
    assert next(chart.iter(f"{SVG}polyline")).get("points")


def test_min_p_threshold_line() -> None:
    lab = hand_lab()
    lab.set(min_p=0.1)  # floor 0.1 * 0.5 = 0.05: d (0.04) and e go
    assert [t for t, _ in lab.survivors()] == ["a", "b", "c"]
    chart = charts(lab)[4]
    assert "0.1·p_max = 0.050" in texts(chart)
    line, top_bar = next(chart.iter(f"{SVG}line")), next(chart.iter(f"{SVG}rect"))
    # the line sits at a tenth of the top bar (p_max = 0.5): both start at x = 84
    assert float(top_bar.get("x") or 0) == 84
    assert float(line.get("x1") or 0) == pytest.approx(
        84 + 0.1 * float(top_bar.get("width") or 0), abs=0.1
    )


def test_penalties_use_the_history_and_greedy_keeps_one() -> None:
    lab = hand_lab(history=("a", "a"))
    lab.set(frequency_penalty=2.0)  # a's logit drops by 4
    first, penalised = lab.stages[0].probabilities, lab.stages[1].probabilities
    assert penalised[0] < first[0] and lab.survivors()[0][0] == "b"
    lab.set(frequency_penalty=0.0, temperature=0.0)
    assert lab.survivors() == [("a", 1.0)]
    assert "temperature: greedy (T = 0)" in titles(lab)


# -- safety: tokens are untrusted -----------------------------------------------------------------
HOSTILE = [
    "<script>alert(1)</script>",
    '" onload="alert(2)',
    "' onclick='x'",
    "a&b<c>",
    "]]><x/>",
    "<!-- -->",
    "\x00\x0b\x1b",
    "\ud800",
    "\u2028",
    " javascript:alert(3)",
]


def assert_safe(markup: str) -> None:
    root = ET.fromstring(f"<root>{markup}</root>")
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        assert tag not in {"script", "foreignobject", "iframe", "object", "embed", "style"}
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "javascript:" not in value.lower()
    assert "<script" not in markup.lower()


def test_svg_is_well_formed_and_escapes_hostile_tokens() -> None:
    probs = [1 / len(HOSTILE)] * len(HOSTILE)
    lab = hand_lab(HOSTILE, probs)
    lab.set(top_k=4, min_p=0.5, top_p=0.9)
    markup = lab.svg()
    assert_safe(markup)
    labels = [t for svg in charts(lab) for t in texts(svg)]
    assert any("<script>alert(1)</script>"[:12] in t for t in labels)  # shown as text
    lab.draw(50)
    snapshot = lab.snapshot()
    assert_safe(snapshot.html)  # survivors table, tally, note and context too
    assert snapshot._repr_html_() == snapshot.html and repr(snapshot).startswith("sampled from:")


def test_visible_makes_whitespace_and_controls_printable() -> None:
    assert visible(" the") == "␣the"
    assert visible("\n\n") == "↵↵"
    assert visible("\x00\u2028") == "\\x00\\u2028"
    assert visible("") == "∅"
    assert visible("abcdefghijklmnop", 6) == "abcde…"


# -- sliders, set(), draw() ---------------------------------------------------------------------
def test_set_moves_sliders_and_redraws_once() -> None:
    lab = hand_lab()
    before = lab.chart_html.value
    redraws: list[int] = []
    original = lab.redraw
    lab.redraw = lambda: (redraws.append(1), original())[1]  # type: ignore[method-assign]
    lab.set(temperature=0.5, top_k=3, top_p=0.7)
    assert len(redraws) == 1
    assert lab.controls["temperature"].value == 0.5 and lab.controls["top_k"].value == 3
    assert lab.settings == SamplingSettings(temperature=0.5, top_k=3, top_p=0.7)
    assert lab.stages[2].param == 0.5
    assert lab.chart_html.value != before and "T = 0.50" in lab.chart_html.value
    lab.controls["min_p"].value = 0.2  # a slider moved in the browser
    assert lab.settings.min_p == 0.2 and "min_p = 0.2" in lab.chart_html.value


def test_set_rejects_unknown_names_and_out_of_range_values_without_changing_anything() -> None:
    lab = hand_lab()
    with pytest.raises(ParameterError, match=r"lab\.set"):
        lab.set(temprature=0.5)
    with pytest.raises(ParameterError, match="top_p"):
        lab.set(temperature=0.5, top_p=1.5)
    with pytest.raises(ParameterError, match="whole number"):
        lab.set(top_k=2.5)
    assert lab.settings == SamplingSettings()


def test_dynamic_temperature_toggle() -> None:
    lab = hand_lab()
    lab.set(min_temp=0.2, max_temp=1.8)
    assert lab.dynamic.value and lab.controls["temperature"].disabled
    assert (lab.settings.min_temp, lab.settings.max_temp) == (0.2, 1.8)
    lab.dynamic.value = False  # the checkbox in the UI
    assert lab.settings.min_temp is None and not lab.controls["temperature"].disabled
    lab.set(dynamic=True)
    assert lab.settings.max_temp == 1.8
    lab.set(min_temp=None)
    assert not lab.dynamic.value
    lab.set(min_temp=0.2, top_k=2, presence_penalty=1.0)
    lab.reset()
    assert lab.settings == SamplingSettings() and not lab.dynamic.value


def test_draw_is_seeded_and_tallied_against_the_final_distribution() -> None:
    first, second = hand_lab(seed=7), hand_lab(seed=7)
    for lab in (first, second):
        lab.set(top_k=3, temperature=0.8)
    counts = first.draw(1000)
    assert counts == second.draw(1000)
    assert sum(counts.values()) == 1000 and set(counts) <= {"a", "b", "c"}
    final = dict(first.survivors())
    for token, p in final.items():
        assert abs(counts[token] / 1000 - p) <= 4 * math.sqrt(p * (1 - p) / 1000)
    assert "1000 draws" in first.tally_html.value and first.last_draw == counts
    first.draws.value = 10
    first.draw_button.click()
    assert "10 draws" in first.tally_html.value
    first.set(top_k=2)
    assert first.tally_html.value == "" and first.last_draw is None  # stale tally cleared
    with pytest.raises(ParameterError):
        first.draw(0)


# -- sources ------------------------------------------------------------------------------------
def test_text_source_is_the_models_exact_distribution() -> None:
    text = "The cat sat on the mat. The temperature of the"
    lab = sampling_lab(text)
    model = get_model()
    tokens, logprobs = model.distribution([BOS, *tokenize(text)], order=4)
    assert lab.position == len(tokenize(text))
    assert lab.point.tokens == tuple(tokens) and lab.point.logprobs == tuple(logprobs)
    assert lab.stages[0].probabilities == pytest.approx([math.exp(x) for x in logprobs])
    lab.position = 5  # "The cat sat on the" | " mat"
    assert lab.point.actual == " mat" and lab.point.history == tuple(tokenize(text)[:5])
    assert lab.point.tokens == tuple(model.distribution([BOS, *tokenize(text)[:5]])[0])
    assert "▶␣mat" in lab.svg() and "◀ next" in lab.table_html.value
    assert "<mark" in lab.context_html.value
    small = sampling_lab("The cat sat on the", model="venice-offline-small")
    assert small.point.tokens == tuple(model.distribution([BOS, *tokenize(" the")], order=2)[0])
    with pytest.raises(ParameterError, match="model"):
        sampling_lab("x", model="gpt-unknown")


def test_text_box_retokenises() -> None:
    lab = lazy_sampling_lab("The cat")
    lab.text_box.value = "Bread dough needs time to"
    assert lab.text == "Bread dough needs time to"
    assert lab.position_slider.max == len(tokenize(lab.text)) == lab.position
    assert " rise" in lab.point.tokens or len(lab.point.tokens) > 3


def hand_reply() -> Reply:
    entries = [
        TokenLogprob("Hello", -0.1, top=[("Hello", -0.1), ("Hi", -2.5), ("Hey", -3.0)]),
        TokenLogprob(" there", -4.0, top=[(" world", -0.2), ("!", -1.9)]),  # chosen not in top
        TokenLogprob("!", -0.05, top=[("!", -0.05), (".", -3.1)]),
    ]
    return Reply(choices=[Choice(index=0, content="Hello there!", logprobs=entries)])


def test_stepping_through_a_replys_logprobs() -> None:
    lab = sampling_lab(reply=hand_reply())
    assert lab.position == 0 and lab.position_slider.max == 2
    assert lab.point.tokens == ("Hello", "Hi", "Hey") and lab.point.actual == "Hello"
    assert sum(lab.stages[0].probabilities) == pytest.approx(1.0)
    assert "top-3 alternatives" in lab.note_html.value
    assert lab.text_box.layout.display == "none"
    lab.position = 1
    point = lab.point
    assert point.tokens == (" world", "!", " there") and point.actual_index == 2
    assert point.history == ("Hello",)
    assert "was not among them" in point.note
    weights = [math.exp(x) for x in (-0.2, -1.9, -4.0)]
    assert lab.stages[0].probabilities == pytest.approx([x / sum(weights) for x in weights])
    assert "▶␣there" in lab.svg()
    with pytest.raises(ParameterError):
        lab.position = 3
    with pytest.raises(ParameterError):
        lab.text = "no text for a reply lab"
    with pytest.raises(ParameterError, match="logprobs"):
        sampling_lab(reply=Reply(choices=[Choice(index=0, content="no logprobs")]))


def test_lab_from_prompt_fetches_logprobs_through_the_session(server: OfflineServer) -> None:
    state = Workspace(VeniceSettings(base_url=server.base_url))
    try:
        lab = lab_from_prompt_sync(
            "Tell me about bread.",
            top_logprobs=4,
            workspace=state,
            seed=3,
            max_completion_tokens=12,
        )
        body = server.requests[-1]
        assert body["logprobs"] is True and body["top_logprobs"] == 4 and body["stream"] is True
        reply = lab.source.reply  # type: ignore[attr-defined]
        assert lab.source.length == len(reply.choices[0].logprobs) >= 1
        assert "".join(lab.source.tokens) == reply.text
        for position in range(lab.source.length):
            lab.position = position
            assert lab.point.actual == reply.choices[0].logprobs[position].token
            assert len(lab.point.tokens) <= 5
        again = asyncio.run(
            lab_from_prompt(
                "Tell me about bread.",
                top_logprobs=4,
                workspace=state,
                seed=3,
                max_completion_tokens=12,
            )
        )
        assert again.source.tokens == lab.source.tokens  # same seed, same reply
        assert state.conversations.get(None).messages() == []  # one-off: nothing recorded
    finally:
        state.close()


# -- the offline server samples exactly what pipeline() says -----------------------------------
PROMPT = "How does an n-gram language model work?"
ISSUE = SamplingSettings(temperature=0.8, top_k=8, top_p=0.9, min_p=0.05)
WIDE = SamplingSettings(temperature=1.8, top_k=7, top_p=0.95, min_p=0.1)
ROUNDS, PER_REQUEST = 250, 16  # 4,000 one-token draws per setting


def chi2(counts: Counter[str], tokens: list[str], probs: tuple[float, ...], n: int) -> float:
    pairs = zip(tokens, probs, strict=True)
    return sum((counts[t] - n * p) ** 2 / (n * p) for t, p in pairs if p > 0)


def test_chi2_sf_matches_known_critical_values() -> None:
    assert chi2_sf(3.841, 1) == pytest.approx(0.05, abs=1e-4)
    assert chi2_sf(5.991, 2) == pytest.approx(0.05, abs=1e-4)
    assert chi2_sf(11.070, 5) == pytest.approx(0.05, abs=1e-4)
    assert chi2_sf(20.515, 5) == pytest.approx(0.001, abs=1e-5)


@pytest.mark.parametrize("settings", [ISSUE, WIDE], ids=["issue-settings", "wide"])
def test_server_frequencies_agree_with_pipeline(
    server: OfflineServer, settings: SamplingSettings
) -> None:
    """Over HTTP, 4,000 first tokens (250 requests x n=16, seeds 1..250, max_completion_tokens 1)
    for one prompt agree with ``pipeline()``'s final distribution at the context the server uses.

    The context: ``replies.ChoiceRun`` starts the answer from ``TopicIndex.choose(prompt)``:
    the matched corpus answer's heading (``answer_context``) with ``topic=answer`` boosting.

    Tolerance: Pearson's chi-square over the surviving tokens must have a p-value above 1e-4
    (df = survivors - 1; the critical value comes from the closed-form ``chi2_sf``), every
    token must satisfy |p̂ - p| <= 4·sqrt(p(1-p)/N), and a token with p = 0 must never appear.
    Power: the same counts must reject (p < 1e-6) the distribution the server would produce if
    it ignored the temperature. Seeds are fixed, so the result is reproducible.
    """
    model = get_model()
    topic = TopicIndex(model).choose(PROMPT, random.Random(0))
    assert topic.answer is not None, "the prompt must match a corpus answer"
    dist = model.distribution_ids(topic.answer_context, order=4, topic=topic.answer)
    tokens = [model.vocab[i] for i in dist.ids]
    final = pipeline(tokens, dist.logprobs, settings)[-1]
    survivors = sum(final.kept)
    assert survivors >= 2
    body = {
        "model": "venice-offline",
        "messages": [{"role": "user", "content": PROMPT}],
        "temperature": settings.temperature,
        "top_k": settings.top_k,
        "top_p": settings.top_p,
        "min_p": settings.min_p,
        "max_completion_tokens": 1,
    }
    counts: Counter[str] = Counter()
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        # The context is the right one: the reported alternatives are this distribution's.
        probe_body = {**body, "seed": 1, "logprobs": True, "top_logprobs": 20}
        probe = client.post("/chat/completions", json=probe_body)
        reported = probe.json()["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        processed = processed_logprobs(dist.logprobs, settings)
        expected = sorted(zip(tokens, processed, strict=True), key=lambda item: -item[1])[:20]
        assert [e["token"] for e in reported] == [t for t, _ in expected]
        assert [e["logprob"] for e in reported] == pytest.approx([lp for _, lp in expected])
        for seed in range(1, ROUNDS + 1):
            reply = client.post("/chat/completions", json={**body, "n": PER_REQUEST, "seed": seed})
            assert reply.status_code == 200, reply.text
            for choice in reply.json()["choices"]:
                counts[choice["message"]["content"] or EOS] += 1
    n = ROUNDS * PER_REQUEST
    assert sum(counts.values()) == n
    for token, p in zip(tokens, final.probabilities, strict=True):
        if p == 0.0:
            assert counts[token] == 0, token
        else:
            assert abs(counts[token] / n - p) <= 4 * math.sqrt(p * (1 - p) / n), (token, p)
    assert set(counts) <= {t for t, k in zip(tokens, final.kept, strict=True) if k}
    statistic = chi2(counts, tokens, final.probabilities, n)
    assert chi2_sf(statistic, survivors - 1) > 1e-4, statistic
    untempered = SamplingSettings(top_k=settings.top_k, top_p=settings.top_p, min_p=settings.min_p)
    wrong = pipeline(tokens, dist.logprobs, untempered)[-1]
    impossible = any(counts[t] for t, p in zip(tokens, wrong.probabilities, strict=True) if p == 0)
    wrong_statistic = chi2(counts, tokens, wrong.probabilities, n)
    assert impossible or chi2_sf(wrong_statistic, sum(wrong.kept) - 1) < 1e-6


# -- a real kernel ------------------------------------------------------------------------------
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.kernel
def test_lab_in_a_real_kernel(tmp_path: Path) -> None:
    with running_kernel(tmp_path) as k:
        ex = k.execute(
            "from venice_jupyter import sampling_lab\nlab = sampling_lab('The cat sat on the')\nlab"
        )
        assert ex.status == "ok", ex.error
        opens = ex.of_type("comm_open")
        assert opens and {m["content"]["target_name"] for m in opens} == {"jupyter.widget"}
        views = [
            m
            for m in ex.of_type("display_data", "execute_result")
            if WIDGET_VIEW in m["content"]["data"]
        ]
        assert len(views) == 1
        ids = k.value("[lab.model_id, lab.chart_html.model_id, lab.controls['top_k'].model_id]")
        widget_id, chart_id, top_k_id = ids
        assert views[0]["content"]["data"][WIDGET_VIEW]["model_id"] == widget_id
        assert {widget_id, chart_id, top_k_id} <= {m["content"]["comm_id"] for m in opens}

        ex = k.execute("lab.set(temperature=0.3)")
        assert ex.status == "ok", ex.error
        updates = [
            m["content"]["data"]["state"]
            for m in ex.of_type("comm_msg")
            if m["content"]["comm_id"] == chart_id and m["content"]["data"]["method"] == "update"
        ]
        assert len(updates) == 1 and "value" in updates[0]
        assert "<svg" in updates[0]["value"] and "T = 0.30" in updates[0]["value"]

        # A front end drags the top_k slider: a comm_msg to the kernel redraws the chart.
        data = {"method": "update", "state": {"value": 2}, "buffer_paths": []}
        msg = k.client.session.msg("comm_msg", {"comm_id": top_k_id, "data": data})
        k.client.shell_channel.send(msg)
        chart = wait_for_update(k, msg["header"]["msg_id"], chart_id)
        assert "top_k = 2" in chart and "removes" in chart
        assert k.value("[t for t, _ in lab.survivors()]") == [" mat", '"']


def wait_for_update(k: Any, parent: str, comm_id: str, timeout: float = 20) -> str:
    """The chart's new value, from the iopub messages caused by message ``parent``."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = k.client.get_iopub_msg(timeout=1)
        except Exception:
            continue
        content = msg["content"]
        if (
            msg["parent_header"].get("msg_id") == parent
            and msg["msg_type"] == "comm_msg"
            and content["comm_id"] == comm_id
            and "value" in content["data"].get("state", {})
        ):
            return str(content["data"]["state"]["value"])
    raise AssertionError("no chart update reached iopub")
