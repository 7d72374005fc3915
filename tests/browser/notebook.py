"""Driving a notebook in JupyterLab or Notebook 7 from playwright: open, type, run, read."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.jupyter import JupyterServer

__all__ = ["NotebookPage", "open_notebook"]

EXECUTED = re.compile(r"\[\d+\]")
# Idle is reported earlier, but a Shift+Enter before this button is enabled is dropped.
KERNEL_READY = '.jp-DebuggerBugButton[aria-disabled="false"]'


@dataclass
class NotebookPage:
    page: Page
    path: str
    ui: str  # "lab" or "notebook"

    @property
    def cells(self) -> Locator:
        return self.page.locator(".jp-Notebook .jp-Cell")

    def cell(self, index: int) -> Locator:
        return self.cells.nth(index)

    def editor(self, index: int) -> Locator:
        return self.cell(index).locator(".cm-content")

    def output(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-OutputArea-output")

    def source(self, index: int) -> str:
        """The cell's text as the editor shows it (one line per .cm-line)."""
        lines = self.editor(index).locator(".cm-line").all_text_contents()
        return "\n".join(lines)

    def wait_kernel_ready(self) -> None:
        expect(self.page.locator(KERNEL_READY).first).to_be_attached(timeout=30_000)

    def edit(self, index: int) -> Locator:
        """Clicks into the cell's editor (keys typed in command mode would be shortcuts)."""
        editor = self.editor(index)
        editor.click()
        expect(editor).to_be_focused()
        return editor

    def run(self, index: int, *, wait: bool = True, timeout: float = 30_000) -> None:
        self.edit(index)
        self.page.keyboard.press("Shift+Enter")
        if wait:
            prompt = self.cell(index).locator(".jp-InputPrompt")
            expect(prompt).to_have_text(EXECUTED, timeout=timeout)

    def command(self, label: str) -> None:
        """Runs a command by its label from the command palette."""
        self.page.keyboard.press("Control+Shift+C")
        palette = self.page.locator(".lm-CommandPalette-input")
        expect(palette).to_be_visible()
        palette.fill(label)
        item = self.page.locator(".lm-CommandPalette-item", has_text=label).first
        expect(item).to_be_visible()
        self.page.keyboard.press("Enter")


def open_notebook(
    page: Page,
    jupyter: JupyterServer,
    cells: list[str],
    *,
    ui: str = "lab",
    outputs: dict[int, list[dict[str, Any]]] | None = None,
) -> NotebookPage:
    """Writes a notebook with these code cells under a fresh name and opens it, kernel ready."""
    path = jupyter.write_notebook(f"t-{uuid.uuid4().hex[:10]}.ipynb", cells, outputs)
    if ui == "lab":
        page.goto(f"/lab/workspaces/{path[:-6]}/tree/{path}?token={jupyter.token}")
    else:
        page.goto(f"/notebooks/{path}?token={jupyter.token}")
    nb = NotebookPage(page, path, ui)
    expect(nb.cells).to_have_count(len(cells), timeout=30_000)
    # Before the kernel is connected, focus can move under a test's feet.
    nb.wait_kernel_ready()
    return nb
