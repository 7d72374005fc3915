"""The labextension in a real JupyterLab and Notebook 7, against the offline Venice server."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.jupyter import JupyterServer
from tests.browser.notebook import open_notebook
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.reply import Choice, Reply
from venice_jupyter.sinks._notebook import final_bundle

pytestmark = pytest.mark.browser

LOAD = "%load_ext venice_jupyter"
CODE = 'def reverse(text):\n    return text[::-1]\n\nprint(reverse("venice"))'
REPLY_WITH_CODE = f"Here is one way:\n\n```python\n{CODE}\n```\n\nIt slices backwards."

# Records every state of an output area as the DOM changes (no polling, no sleeps).
RECORD_STATES = """
(area) => {
  window.__veniceStates = [];
  const record = () => window.__veniceStates.push({
    length: area.innerText.length,
    waiting: area.querySelector('.venice-waiting') !== null,
    footer: area.querySelector('.venice-footer') !== null,
  });
  new MutationObserver(record).observe(area, {subtree: true, childList: true, characterData: true});
}
"""


def test_venice_cell_is_highlighted_as_markdown(page: Page, jupyter: JupyterServer) -> None:
    nb = open_notebook(page, jupyter, ["%%venice\nWrite a *haiku*.", "x = 1"])
    expect(nb.editor(0)).to_have_attribute("data-language", "markdown")
    expect(nb.editor(1)).to_have_attribute("data-language", "python")

    # Remove the magic line: back to the kernel's language.
    nb.edit(0)
    page.keyboard.press("Control+Home")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Delete")
    assert nb.source(0) == "Write a *haiku*."
    expect(nb.editor(0)).to_have_attribute("data-language", "python")

    # Type it back: Markdown again; any other cell can become a prompt too.
    page.keyboard.insert_text("%%venice\n")
    expect(nb.editor(0)).to_have_attribute("data-language", "markdown")
    nb.edit(1)
    page.keyboard.press("Control+Home")
    page.keyboard.insert_text("%%venice\n")
    expect(nb.editor(1)).to_have_attribute("data-language", "markdown")

    # The highlighting is editor state only: the saved notebook is unchanged in kind.
    page.keyboard.press("Control+s")
    expect(page.locator(".jp-mod-dirty")).to_have_count(0)
    saved = jupyter.read_notebook(nb.path)
    assert ["".join(c["source"]) for c in saved["cells"]] == [
        "%%venice\nWrite a *haiku*.",
        "%%venice\nx = 1",
    ]
    assert "ipythongfm" not in str(saved)
    assert all(c["cell_type"] == "code" for c in saved["cells"])


def test_palette_inserts_a_focused_prompt_cell(page: Page, jupyter: JupyterServer) -> None:
    nb = open_notebook(page, jupyter, ["x = 1", "y = 2"])
    nb.edit(0)
    page.keyboard.press("Escape")  # command mode, cell 0 active
    nb.command("Insert Venice prompt cell")

    expect(nb.cells).to_have_count(3)
    assert nb.source(1) == "%%venice\n"
    expect(nb.editor(1)).to_be_focused()
    expect(nb.editor(1)).to_have_attribute("data-language", "markdown")
    # The cursor waits on the prompt line: typing goes under the magic.
    page.keyboard.insert_text("Say hello.")
    assert nb.source(1) == "%%venice\nSay hello."
    assert nb.source(2) == "y = 2"


def test_answer_streams_then_renders_with_footer(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    prompt = "%%venice --max-completion-tokens 200 --seed 1\nWrite Python code to reverse a string."
    nb = open_notebook(page, jupyter, [LOAD, prompt])
    nb.run(0)
    offline.inject(Fault("delay", seconds=0.02))  # ~200 events, 20 ms apart
    nb.cell(1).locator(".jp-Cell-outputArea").evaluate(RECORD_STATES)
    nb.run(1, wait=False)

    final = nb.output(1)
    expect(final.locator(".venice-footer")).to_be_visible(timeout=60_000)
    expect(nb.cell(1).locator(".jp-InputPrompt")).to_have_text("[2]:")
    states: list[dict[str, Any]] = page.evaluate("window.__veniceStates")
    streaming = [s["length"] for s in states if s["length"] and not (s["waiting"] or s["footer"])]
    final_length = len(nb.cell(1).locator(".jp-Cell-outputArea").inner_text())
    assert len(set(streaming)) >= 5, states
    assert max(streaming) <= final_length and streaming[0] < streaming[-1], states

    # The final output is ours: the reply renderer, rendered Markdown, one output only.
    expect(final).to_have_count(1)
    expect(final).to_have_class(re.compile(r"\bvenice-reply\b"))
    expect(final.locator(".venice-md-body p").first).to_be_visible()
    assert "tokens" in final.locator(".venice-footer").inner_text()


def test_code_block_buttons_copy_and_insert_a_cell(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    nb = open_notebook(page, jupyter, [LOAD, "%%venice\nShow me the code.", "z = 3"])
    nb.run(0)
    offline.inject(Fault("reply", text=REPLY_WITH_CODE))
    nb.run(1)
    output = nb.output(1)
    expect(output.locator(".venice-footer")).to_be_visible()
    expect(output.locator("pre")).to_have_count(1)

    output.get_by_role("button", name="Copy").click()
    expect(output.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == CODE

    output.get_by_role("button", name="Insert as cell below").click()
    expect(nb.cells).to_have_count(4)
    assert nb.source(2) == CODE  # right below the cell that owns the output
    assert nb.source(3) == "z = 3"
    expect(nb.editor(2)).to_have_attribute("data-language", "python")


def test_notebook7_renders_an_answer_and_has_the_toolbar(
    page: Page, jupyter: JupyterServer, offline: OfflineServer
) -> None:
    nb = open_notebook(
        page, jupyter, [LOAD, "%%venice --max-completion-tokens 60\nSay hi."], ui="notebook"
    )
    expect(nb.editor(1)).to_have_attribute("data-language", "markdown")
    nb.run(0)
    nb.run(1)
    output = nb.output(1)
    expect(output.locator(".venice-footer")).to_be_visible()
    expect(output).to_have_class(re.compile(r"\bvenice-reply\b"))
    expect(output.locator(".venice-md-body p").first).to_be_visible()

    # The toolbar button inserts a focused prompt cell below the active one.
    nb.edit(0)
    page.keyboard.press("Escape")
    count = nb.cells.count()
    page.locator('[data-command="venice:insert-prompt-cell"]').click()
    expect(nb.cells).to_have_count(count + 1)
    expect(nb.editor(1)).to_be_focused()
    assert nb.source(1) == "%%venice\n"
    assert nb.source(2).startswith("%%venice --max-completion-tokens 60")


def test_open_panel_command_inserts_and_runs_the_magic(page: Page, jupyter: JupyterServer) -> None:
    nb = open_notebook(page, jupyter, [LOAD, "x = 1"])
    nb.run(0)  # leaves cell 1 active
    page.keyboard.press("Escape")
    nb.command("Open Venice panel")
    expect(nb.cells).to_have_count(3)
    expect(nb.cell(2).locator(".jp-InputPrompt")).to_have_text("[2]:")
    assert nb.source(2) == "%venice panel"
    expect(nb.output(2).locator(".jupyter-widgets").first).to_be_visible()  # the ipywidgets panel


def test_saved_untrusted_answer_is_sanitized_and_keeps_its_buttons(
    page: Page, jupyter: JupyterServer
) -> None:
    reply = Reply(model="venice-offline", choices=[Choice(0, content=REPLY_WITH_CODE)])
    data, metadata = final_bundle(reply, None)
    # A tampered file: the renderer must sanitize what it did not just receive from a kernel.
    data["text/html"] += '<script>window.pwned = 1</script><b onclick="window.pwned = 2">b</b>'
    output = {"output_type": "display_data", "data": data, "metadata": metadata}
    nb = open_notebook(
        page, jupyter, ["%%venice\nShow me the code.", "z = 3"], outputs={0: [output]}
    )

    shown = nb.output(0)
    expect(shown.locator(".venice-footer")).to_be_visible()
    expect(shown).to_have_class(re.compile(r"\bvenice-reply\b"))
    expect(shown).not_to_have_class(re.compile(r"\bjp-mod-trusted\b"))
    expect(shown.locator("script, style, [onclick]")).to_have_count(0)
    shown.get_by_role("button", name="Insert as cell below").click()
    expect(nb.cells).to_have_count(3)
    assert nb.source(1) == CODE
    assert page.evaluate("window.pwned") is None
