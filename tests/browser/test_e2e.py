"""End to end in JupyterLab: stop a stream with the toolbar, reload a saved answer, a README shot.

Faults go to the offline server over its HTTP hook (``POST {base_url}/_offline/faults``), as any
client outside the test process could send them. The ``page`` fixture fails each test on an
unexpected page or console error, across reloads too (its listeners stay on the page).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.jupyter import JupyterServer
from tests.browser.notebook import open_notebook
from venice_jupyter.offline import OfflineServer
from venice_jupyter.sinks._notebook import MIME_REPLY

pytestmark = pytest.mark.browser

LOAD = "%load_ext venice_jupyter"
README_SHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "streaming.png"
# The notebook toolbar's stop button (a CommandToolbarButton, so it carries its command).
INTERRUPT = '.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"]'
# With this seed the offline model writes a paragraph, a heading, a bulleted list, more headings
# and paragraphs, then a code block about half-way through its 500 tokens.
MARKDOWN_PROMPT = (
    "%%venice --max-completion-tokens 500 --seed 7\n"
    "What is the difference between a list and a tuple in Python?"
)

# The answer's text as rendered: every Markdown body in the element, minus the code-block
# buttons the reply renderer adds, whitespace removed (block wrappers and line breaks differ
# between the streamed slots and the final output; the characters do not).
ANSWER_TEXT = """
(area) => Array.from(area.querySelectorAll('.venice-md-body')).map(body => {
  const copy = body.cloneNode(true);
  copy.querySelectorAll('.venice-code-tools').forEach(tools => tools.remove());
  return copy.textContent;
}).join('').replace(/\\s+/g, '')
"""


def inject(offline: OfflineServer, *faults: dict[str, Any]) -> None:
    """Queues faults for the next chat requests through the server's HTTP test hook."""
    response = httpx.post(f"{offline.base_url}/_offline/faults", json={"faults": list(faults)})
    response.raise_for_status()
    assert response.json() == {"queued": len(faults)}


def answer_text(area: Locator) -> str:
    text: str = area.evaluate(ANSWER_TEXT)
    return text


def wait_answer_longer_than(area: Locator, length: int, timeout: float = 60_000) -> None:
    """Waits until the (still streaming) answer in ``area`` has more than ``length`` characters."""
    script = f"([area, n]) => ({ANSWER_TEXT})(area).length > n"
    area.page.wait_for_function(script, arg=[area.element_handle(), length], timeout=timeout)


def hide_file_browser(page: Page) -> None:
    page.get_by_role("tab", name=re.compile(r"^File Browser")).click()
    expect(page.locator("#jp-left-stack")).to_be_hidden()


def test_stop_button_interrupts_and_keeps_the_partial_answer(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    prompt = "%%venice --max-completion-tokens 2000 --seed 3\nTell me about baking bread at home."
    nb = open_notebook(page, jupyter, [LOAD, prompt, "1+1"])
    nb.run(0)
    inject(offline, {"kind": "delay", "seconds": 0.05})  # 2000 tokens would take 100 s
    sent = len(offline.requests)
    nb.run(1, wait=False)
    area = nb.cell(1).locator(".jp-Cell-outputArea")
    wait_answer_longer_than(area, 300)
    expect(area.locator(".venice-footer")).to_have_count(0)  # still streaming

    seen = answer_text(area)
    started = time.monotonic()
    page.locator(INTERRUPT).click()
    # The cell ends: it gets its execution count, and the kernel goes idle.
    expect(nb.cell(1).locator(".jp-InputPrompt")).to_have_text("[2]:", timeout=20_000)
    stopped_in = time.monotonic() - started
    expect(
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first
    ).to_be_attached()
    # Left alone the answer would take 100 s, far past the wait above: it ended because of the
    # click. How long that took is shown, not asserted (timing goals live in bench/).
    print(f"interrupt: cell finished {stopped_in:.2f} s after the click")

    # The partial answer stays, as one final reply output with its footer and the stop note;
    # the magic adds the "Interrupted" usage note on stderr.
    reply = nb.output(1).filter(has=page.locator(".venice-footer"))
    expect(reply).to_have_count(1)
    expect(reply).to_have_class(re.compile(r"\bvenice-reply\b"))
    expect(reply.locator(".venice-error")).to_contain_text("Stopped")
    expect(area).to_contain_text("Interrupted. The partial answer stays visible")
    kept = answer_text(reply)
    assert len(kept) >= len(seen), (seen, kept)
    assert kept.startswith(seen[: len(seen) // 2]), (seen, kept)

    # The kernel is usable again.
    nb.run(2)
    expect(nb.output(2)).to_have_text("2")
    assert len(offline.requests) == sent + 1  # a stop is not retried


def test_reload_shows_the_saved_answer_without_running_it(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    nb = open_notebook(page, jupyter, [LOAD, "%%venice --max-completion-tokens 40\nSay hi."])
    nb.run(0)
    nb.run(1)
    reply = nb.output(1)
    expect(reply.locator(".venice-footer")).to_be_visible()
    text = answer_text(reply)
    footer = reply.locator(".venice-footer").inner_text()
    assert text

    cells = nb.cells.count()  # Shift+Enter on the last cell added an empty one
    expect(page.locator(".jp-mod-dirty").first).to_be_attached()
    nb.edit(1)
    page.keyboard.press("Control+s")
    expect(page.locator(".jp-mod-dirty")).to_have_count(0)
    saved = jupyter.read_notebook(nb.path)["cells"][1]
    assert saved["execution_count"] == 2
    assert [o["output_type"] for o in saved["outputs"]] == ["display_data"]
    assert MIME_REPLY in saved["outputs"][0]["data"]
    requests = len(offline.requests)

    page.reload()
    expect(nb.cells).to_have_count(cells, timeout=30_000)
    nb.wait_kernel_ready()
    shown = nb.output(1)
    expect(shown.locator(".venice-footer")).to_be_visible()
    expect(shown).to_have_class(re.compile(r"\bvenice-reply\b"))  # our renderer, not text/html
    expect(shown.locator(".venice-md-body p").first).to_be_visible()
    expect(shown).to_have_count(1)
    assert answer_text(shown) == text
    assert shown.locator(".venice-footer").inner_text() == footer
    expect(nb.cell(1).locator(".jp-InputPrompt")).to_have_text("[2]:")  # the saved count
    expect(page.locator(".jp-mod-dirty")).to_have_count(0)
    assert len(offline.requests) == requests  # nothing was sent again


def test_streaming_markdown_renders_block_by_block(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    """Headings, code and lists appear while the answer streams; the shot goes to the README."""
    page.set_viewport_size({"width": 1280, "height": 800})
    nb = open_notebook(page, jupyter, [LOAD, MARKDOWN_PROMPT])
    hide_file_browser(page)
    nb.run(0)
    inject(offline, {"kind": "delay", "seconds": 0.05})
    nb.run(1, wait=False)

    area = nb.cell(1).locator(".jp-Cell-outputArea")
    for selector in ("h2", "ul > li", "strong", "code", "pre"):
        expect(area.locator(f".venice-md-body {selector}").first).to_be_attached(timeout=60_000)
    page.wait_for_function(  # a few lines of the code block, for the picture
        # null-safe: output slots are replaced as blocks finish, so the pre can briefly vanish
        "(area) => (area.querySelector('.venice-md-body pre')?.textContent.length ?? 0) > 120",
        arg=area.element_handle(),
        timeout=60_000,
    )
    expect(area.locator(".venice-footer")).to_have_count(0)  # mid-way: still streaming
    nb.cell(1).evaluate("(cell) => cell.scrollIntoView({block: 'start'})")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "streaming.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size < 300_000
    if os.environ.get("UPDATE_README_IMAGES"):  # refresh the README's picture on request only
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOT)

    # The final output keeps every kind of block, now with the code buttons and the footer.
    final = nb.output(1)
    expect(final.locator(".venice-footer")).to_be_visible(timeout=120_000)
    expect(final).to_have_count(1)
    for selector in ("h2", "ul > li", "strong", "code", "pre"):
        expect(final.locator(f".venice-md-body {selector}").first).to_be_attached()
    expect(final.get_by_role("button", name="Copy").first).to_be_visible()
