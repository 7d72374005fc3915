"""The widgets in a real JupyterLab: the panel, the sampling lab and the compare view.

Sliders are moved with the mouse (a focused slider ignores arrow keys), streams are slowed with a
delay fault so their intermediate states can be seen, and the request the offline server received
is read back over its HTTP hook. The ``page`` fixture fails a test on unexpected console errors.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.jupyter import JupyterServer
from tests.browser.notebook import NotebookPage, open_notebook
from venice_jupyter.offline import Fault, OfflineServer

pytestmark = pytest.mark.browser

LOAD = "%load_ext venice_jupyter"
# %load_ext does not bind the module name in the user's namespace.
PANEL = "import venice_jupyter\np = venice_jupyter.panel(); p"
LAB = (
    'import venice_jupyter\nlab = venice_jupyter.sampling_lab("The best way to bake bread is"); lab'
)
MODELS = ["venice-offline", "venice-offline-small", "venice-offline-reasoning"]
COMPARE = (
    f"%%venice --compare {','.join(MODELS)} --max-completion-tokens 60\nExplain how bread rises."
)
# "(N cached)" after the tokens once a conversation's prefix is in the prompt cache.
STATS = re.compile(r"\d+→\d+ tokens( \(\d+ cached[^)]*\))? · TTFT \d+ ms · [\d.]+ tok/s")

# Records the text length of an element each time its DOM changes (no polling, no sleeps).
RECORD_LENGTHS = """
(el) => {
  window.__lengths = [];
  new MutationObserver(() => window.__lengths.push({
    length: el.innerText.trim().length,
    waiting: el.querySelector('.venice-waiting') !== null,
    footer: el.querySelector('.venice-footer') !== null,
  })).observe(el, {subtree: true, childList: true, characterData: true});
}
"""


# -- helpers ------------------------------------------------------------------------------
def _sessions(jupyter: JupyterServer) -> set[str]:
    response = httpx.get(f"{jupyter.url}/api/sessions", params={"token": jupyter.token})
    response.raise_for_status()
    return {s["id"] for s in response.json()}


@pytest.fixture(autouse=True)
def _stop_kernels(jupyter: JupyterServer) -> Iterator[None]:
    """Stops the kernels this test started (the server, and its kernels, outlive a test).

    Set up before ``page``, so torn down after it: after its screenshot and error check.
    """
    jupyter.wait_ready()
    before = _sessions(jupyter)
    yield
    for session in _sessions(jupyter) - before:
        httpx.delete(
            f"{jupyter.url}/api/sessions/{session}", params={"token": jupyter.token}, timeout=30
        )


def slider(area: Locator, name: str) -> Locator:
    """The ipywidgets slider whose description is exactly ``name``."""
    exact = re.compile(rf"^{re.escape(name)}$")
    label = area.page.locator("label.widget-label", has_text=exact)  # relative to each slider
    return area.locator(".widget-slider").filter(has=label)


def drag(page: Page, control: Locator, fraction: float) -> None:
    """Drags the slider's handle with the mouse to ``fraction`` of its track."""
    handle, track = control.locator(".noUi-handle"), control.locator(".noUi-target")
    handle.scroll_into_view_if_needed()
    start, bar = handle.bounding_box(), track.bounding_box()
    assert start is not None and bar is not None
    y = start["y"] + start["height"] / 2
    page.mouse.move(start["x"] + start["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(bar["x"] + bar["width"] * fraction, y, steps=10)
    page.mouse.up()


def readout(control: Locator) -> str:
    return control.locator(".widget-readout").inner_text().strip()


def move_slider(page: Page, control: Locator, fraction: float) -> float:
    """Drags it and waits until handle and readout both show a new value; returns that value."""
    handle = control.locator(".noUi-handle")
    before_aria, before_text = handle.get_attribute("aria-valuenow"), readout(control)
    drag(page, control, fraction)
    expect(handle).not_to_have_attribute("aria-valuenow", before_aria or "")
    expect(control.locator(".widget-readout")).not_to_have_text(before_text)
    return float(readout(control))


def hide_sidebar(page: Page) -> None:
    """Closes the file browser so screenshots show the notebook, wide."""
    page.get_by_role("tab", name=re.compile(r"^File Browser")).click()
    expect(page.locator("#jp-left-stack")).to_be_hidden()


def screenshot(nb: NotebookPage, name: str, *, until: Locator | None = None) -> Path:
    """The notebook area (no menus or sidebars) as ``artifacts/screenshots/<name>``,
    cut a little below ``until`` when given."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    area = nb.page.locator(".jp-NotebookPanel:visible")
    box, end = area.bounding_box(), until.bounding_box() if until is not None else None
    assert box is not None
    if end is not None:
        box["height"] = min(box["height"], end["y"] + end["height"] + 2 - box["y"])
    nb.page.screenshot(path=str(path), clip=box)
    return path


def recorded_requests(offline: OfflineServer) -> list[dict[str, Any]]:
    """The chat bodies the offline server received, through its HTTP test hook."""
    response = httpx.get(f"{offline.base_url}/_offline/requests")
    response.raise_for_status()
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def open_widget_notebook(
    page: Page, jupyter: JupyterServer, cells: list[str], *, height: int = 900
) -> NotebookPage:
    """Opens the notebook, kernel ready, sidebar closed; tall widgets get a taller window."""
    page.set_viewport_size({"width": 1280, "height": height})
    nb = open_notebook(page, jupyter, cells)
    hide_sidebar(page)
    return nb


# -- the panel ----------------------------------------------------------------------------
@dataclass
class PanelParts:
    root: Locator
    status: Locator
    output: Locator
    stats: Locator
    send: Locator
    stop: Locator
    prompt: Locator


def show_panel(nb: NotebookPage, index: int) -> PanelParts:
    """Waits for the panel in cell ``index``'s output; its parts by their place in the panel."""
    area = nb.output(index)
    expect(area.locator(".widget-slider").first).to_be_visible()
    root = area.locator(".widget-vbox").first
    # The panel's VBox holds three HTML widgets, in this order: status, answer, stats line.
    status, output, stats = (root.locator(":scope > .widget-html").nth(i) for i in range(3))
    parts = PanelParts(
        root,
        status,
        output,
        stats,
        root.locator('button[title="Send"]'),
        root.locator('button[title="Stop"]'),
        root.get_by_placeholder("Your message"),
    )
    expect(parts.send).to_be_enabled()
    expect(parts.stop).to_be_disabled()
    return parts


def test_panel_slider_then_send_streams_the_answer(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    nb = open_widget_notebook(page, jupyter, [LOAD, PANEL], height=1400)
    nb.run(0)
    nb.run(1)
    panel = show_panel(nb, 1)
    assert panel.root.locator(".widget-slider").count() >= 5

    # The mouse moves temperature; the kernel hears it (touching a control ticks "send it").
    temperature = slider(panel.root, "temperature")
    expect(temperature).to_have_count(1)
    sent_box = panel.root.locator('input[type="checkbox"][title="send temperature"]')
    expect(sent_box).not_to_be_checked()
    chosen = move_slider(page, temperature, 0.2)
    assert chosen != 0.8 and 0.0 <= chosen <= 1.0, chosen
    expect(sent_box).to_be_checked()
    # A shorter answer too (the track runs to 4096 tokens).
    cap = int(move_slider(page, slider(panel.root, "max_completion_tokens"), 0.03))
    assert 16 <= cap <= 300, cap

    # Type a prompt, send it slowly, and watch the answer grow.
    panel.prompt.click()
    page.keyboard.type("How do I bake sourdough bread?")
    offline.inject(Fault("delay", seconds=0.02))
    before = len(recorded_requests(offline))
    panel.output.evaluate(RECORD_LENGTHS)
    panel.send.click()
    expect(panel.stop).to_be_enabled()
    expect(panel.send).to_be_disabled()
    expect(panel.output.locator(".venice-footer")).to_be_visible(timeout=60_000)
    expect(panel.stats).to_have_text(STATS)
    expect(panel.send).to_be_enabled()
    expect(panel.stop).to_be_disabled()
    expect(panel.status).not_to_contain_text("error", ignore_case=True)
    states: list[dict[str, Any]] = page.evaluate("window.__lengths")
    streaming = [s["length"] for s in states if s["length"] and not (s["waiting"] or s["footer"])]
    # It grows (a closing "**" can shorten the text a little as the tail renders).
    grew = sum(b > a for a, b in itertools.pairwise(streaming))
    assert len(set(streaming)) >= 5 and grew >= 4 and streaming[0] < streaming[-1], states
    assert max(streaming) <= len(panel.output.inner_text()), states

    # The request carried the temperature the slider shows; untouched controls were not sent.
    bodies = recorded_requests(offline)
    assert len(bodies) == before + 1
    body = bodies[-1]
    assert body["temperature"] == pytest.approx(chosen, abs=1e-9)
    assert body["max_completion_tokens"] == cap
    assert "top_p" not in body and "top_k" not in body
    assert body["messages"][-1]["content"] == "How do I bake sourdough bread?"
    screenshot(nb, "panel.png")


def test_panel_stop_keeps_the_partial_answer(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    nb = open_widget_notebook(page, jupyter, [LOAD, PANEL])
    nb.run(0)
    nb.run(1)
    panel = show_panel(nb, 1)
    panel.prompt.fill("How long should rye dough rest?")
    offline.inject(Fault("delay", seconds=0.1))  # ~10 tokens a second: far from done when stopped
    panel.send.click()
    expect(panel.stop).to_be_enabled()
    expect(panel.send).to_be_disabled()
    expect(panel.output.locator(".venice-waiting")).to_have_count(0)  # the answer is streaming
    expect(panel.output).not_to_have_text(re.compile(r"^\s*$"))
    word = re.search(r"[A-Za-z]{3,}", panel.output.inner_text())
    assert word is not None

    panel.stop.click()
    expect(panel.output).to_contain_text("Stopped")
    expect(panel.output).to_contain_text(word.group())  # what streamed stays
    expect(panel.status).to_contain_text("Stopped")
    expect(panel.send).to_be_enabled()
    expect(panel.stop).to_be_disabled()


# A regression test: the second Send click is handled in a kernel subshell thread (JupyterLab
# 4.6 sends widget messages to a subshell by default, and ipykernel 7.4 routes a comm's messages
# to where its last update came from). The panel used to start its task on that thread's loop,
# while the session's httpx.AsyncClient holds a connection from the main loop. Fixed by running
# button actions on the main loop (widgets/loop.py).
OTHER_LOOP_BUG = "is bound to a different event loop"


def test_panel_sends_a_second_prompt(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    nb = open_widget_notebook(page, jupyter, [LOAD, PANEL])
    nb.run(0)
    nb.run(1)
    panel = show_panel(nb, 1)
    settled = panel.root.locator(".venice-status.venice-error").or_(
        panel.stats.locator(".venice-status").first  # the stats line (the account line follows)
    )

    panel.prompt.fill("What is a levain?")
    panel.send.click()
    expect(panel.stats).to_have_text(STATS)
    panel.root.locator('button[title="Clear"]').click()
    expect(settled).to_have_count(0)

    panel.prompt.fill("And how do I feed it?")
    panel.send.click()
    expect(settled).to_be_visible(timeout=30_000)
    status = panel.status.inner_text()  # settled: read once
    assert OTHER_LOOP_BUG not in status, status  # fixed: handlers hop to the main loop
    assert "error" not in status.lower(), status
    expect(panel.stats).to_have_text(STATS)


# -- the sampling lab ---------------------------------------------------------------------
FINAL_BARS = """
(charts) => {
  const svgs = charts.querySelectorAll('svg');
  const last = svgs[svgs.length - 1];
  return [...last.querySelectorAll('rect')].map(r => parseFloat(r.getAttribute('width')));
}
"""


def test_sampling_lab_chart_follows_the_temperature_slider(
    page: Page, jupyter: JupyterServer
) -> None:
    nb = open_widget_notebook(page, jupyter, [LAB], height=1300)
    nb.run(0)
    area = nb.output(0)
    charts = area.locator(".venice-lab-charts")
    expect(charts).to_be_visible()
    assert charts.locator("svg").count() >= 3
    expect(charts.locator("svg").first).to_be_visible()
    before_html = charts.evaluate("c => c.outerHTML")
    before_bars: list[float] = charts.evaluate(FINAL_BARS)
    assert before_bars and max(before_bars) > 0

    # Up from 1.0 (neutral): a flatter distribution, so the top token's final bar shrinks.
    temperature = slider(area, "temperature")
    expect(temperature.locator(".widget-readout")).to_have_text("1.00")
    chosen = move_slider(page, temperature, 0.8)
    assert 1.0 < chosen <= 2.0, chosen
    page.wait_for_function(
        "([el, old]) => el.outerHTML !== old", arg=[charts.element_handle(), before_html]
    )
    expect(charts).to_contain_text(f"T = {chosen:.2f}")
    after_bars: list[float] = charts.evaluate(FINAL_BARS)
    assert len(after_bars) == len(before_bars)
    assert max(after_bars) < max(before_bars), (before_bars, after_bars)
    screenshot(nb, "sampling_lab.png", until=charts)


# -- the compare view ---------------------------------------------------------------------
# Each time the output changes: per column, its answer's text length and whether it is done.
RECORD_COLUMNS = """
(area) => {
  window.__columns = [];
  new MutationObserver(() => {
    const columns = [...area.querySelectorAll('.venice-compare-label')]
      .map(label => label.closest('.widget-vbox'));
    window.__columns.push(columns.map(column => {
      const answer = column.querySelectorAll(':scope > .widget-html')[1];
      const stats = column.querySelector('.venice-compare-stats');
      return {
        length: answer.innerText.trim().length,
        placeholder: answer.querySelector('.venice-waiting') !== null
          || answer.innerText.includes('queued'),
        done: stats !== null && stats.innerText.includes('→'),
      };
    }));
  }).observe(area, {subtree: true, childList: true, characterData: true});
}
"""


def test_compare_three_columns_fill_side_by_side(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    nb = open_widget_notebook(page, jupyter, [LOAD, COMPARE])
    nb.run(0)
    offline.inject(Fault("delay", seconds=0.04, times=len(MODELS)))  # ~2.4 s a column
    before = len(recorded_requests(offline))
    nb.cell(1).locator(".jp-Cell-outputArea").evaluate(RECORD_COLUMNS)
    nb.run(1)
    area = nb.output(1)
    labels = area.locator(".venice-compare-label")
    expect(labels).to_have_count(3)
    expect(labels).to_have_text(MODELS)
    columns = area.locator(".widget-vbox:has(> .widget-html .venice-compare-label)")
    expect(columns).to_have_count(3)

    # Side by side: one row, left to right.
    boxes = [columns.nth(i).bounding_box() for i in range(3)]
    assert all(b is not None for b in boxes)
    tops = {round(b["y"]) for b in boxes if b}
    lefts = [b["x"] for b in boxes if b]
    assert len(tops) == 1 and lefts == sorted(lefts), boxes

    for i in range(3):
        column = columns.nth(i)
        answer = column.locator(":scope > .widget-html").nth(1)
        stats = column.locator(".venice-compare-stats")
        expect(stats).to_contain_text(re.compile(r"\d+→\d+ tok"), timeout=60_000)
        expect(answer).not_to_have_text(re.compile(r"^\s*$"))
        expect(answer).not_to_contain_text("queued")
    expect(area).to_contain_text("3 done")

    # Each column filled while streaming, and they streamed at the same time.
    states: list[list[dict[str, Any]]] = page.evaluate("window.__columns")
    states = [s for s in states if len(s) == 3]

    def streaming(c: dict[str, Any]) -> bool:
        return bool(c["length"]) and not (c["placeholder"] or c["done"])

    for i in range(3):
        # Not monotonic: the reasoning model's open "Reasoning" block folds up once its answer
        # starts, so the text shrinks once before it grows again.
        lengths = [s[i]["length"] for s in states if streaming(s[i])]
        grew = sum(b > a for a, b in itertools.pairwise(lengths))
        assert len(set(lengths)) >= 3 and grew >= 2, (MODELS[i], lengths)
    assert any(sum(map(streaming, s)) >= 2 for s in states), states
    bodies = recorded_requests(offline)[before:]
    assert sorted(b["model"] for b in bodies) == sorted(MODELS)
    assert all(b["max_completion_tokens"] == 60 for b in bodies)
    screenshot(nb, "compare.png", until=area)
