"""The control panel's widgets and layout (``PanelView``), and the small helpers it shows with.

``panel.Panel`` adds the behaviour; keeping the widget tree here keeps each module short.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as w

from venice_jupyter.conversation import Conversation, ConversationStore
from venice_jupyter.errors import ConfigError
from venice_jupyter.footer import _fmt_cost, summary
from venice_jupyter.models import ModelCatalog, summary_row
from venice_jupyter.reply import Reply
from venice_jupyter.widgets.controls import ParamControls

if TYPE_CHECKING:
    from venice_jupyter.state import VeniceState

__all__ = [
    "ConversationPicker",
    "PanelView",
    "model_options",
    "resolve_state",
    "stats_text",
    "status_html",
]

_COLOURS = {"info": "inherit", "ok": "#15803d", "warn": "#b45309", "error": "#b91c1c"}


def model_options(catalog: ModelCatalog) -> list[tuple[str, str]]:
    """(label, id) per text model: ``venice-offline · F S L W · $0.10/$0.40``."""
    options = []
    for model in catalog.text_models():
        row = summary_row(model)
        letters = " ".join(c for c in row["capabilities"].split() if c != "·") or "–"
        label = f"{model.id} · {letters} · {row['input']}/{row['output']}"
        if row["status"]:
            label += f" ({row['status']})"
        options.append((label, model.id))
    return options


def stats_text(reply: Reply) -> str:
    """``TTFT 120 ms · 45.0 tok/s · 12→80 tokens · ≈$0.00004``; absent numbers are left out."""
    s = summary(reply)
    parts = []
    if s["ttft_s"] is not None:
        parts.append(f"TTFT {s['ttft_s'] * 1000:.0f} ms")
    if s["tokens_per_s"]:
        parts.append(f"{s['tokens_per_s']:.1f} tok/s")
    if s["completion_tokens"] is not None:
        parts.append(f"{s['prompt_tokens']}→{s['completion_tokens']} tokens")
    if s["cost_usd"] is not None:
        parts.append(("≈" if s["cost_estimated"] else "") + _fmt_cost(s["cost_usd"]))
    return " · ".join(parts)


def status_html(text: str, kind: str = "info") -> str:
    if not text:
        return ""
    colour = _COLOURS.get(kind, "inherit")
    return f'<div class="venice-status venice-{kind}" style="color:{colour}">{escape(text)}</div>'


def resolve_state(state: VeniceState | None) -> VeniceState:
    """The given state, else the extension's (loaded on demand in IPython)."""
    if state is not None:
        return state
    import venice_jupyter

    if venice_jupyter._STATE is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise ConfigError(
                "The panel needs IPython (a Jupyter kernel), or pass state=VeniceState(...)."
            )
        shell.run_line_magic("load_ext", "venice_jupyter")
    found: VeniceState = venice_jupyter._STATE
    return found


def _box(width: str, **kwargs: object) -> w.Layout:
    return w.Layout(width=width, **kwargs)


class ConversationPicker:
    """The kernel's conversations in a Dropdown, and a Text that picks or starts one by name.

    The store is the magic's; the selection is the panel's own (the magic's ``current`` stays).
    """

    def __init__(self, store: ConversationStore, select: str | None = None) -> None:
        self.store = store
        self.on_pick: Callable[[Conversation], None] | None = None
        self.dropdown = w.Dropdown(description="Conversation", layout=_box("300px"),
                                   style={"description_width": "90px"})  # fmt: skip
        self.new = w.Text(placeholder="new conversation…", continuous_update=False,
                          layout=_box("180px"))  # fmt: skip
        self._refreshing = False
        self.refresh(select or store.current)
        self.dropdown.observe(lambda _c: self._picked(), names="value")
        self.new.observe(lambda _c: self._typed(), names="value")

    def get(self) -> Conversation:
        return self.store.get(self.dropdown.value)

    def refresh(self, select: str | None = None) -> None:
        """Refill the list from the store (the magic may have made new ones)."""
        before = self.dropdown.value
        select = select or before or self.store.current
        self.store.get(select)
        self._refreshing = True  # setting options moves the value through the first one
        try:
            self.dropdown.options = [c.name for c in self.store]
            self.dropdown.value = select
        finally:
            self._refreshing = False
        if select != before:
            self._picked()

    def _picked(self) -> None:
        if self.dropdown.value and not self._refreshing and self.on_pick is not None:
            self.on_pick(self.get())

    def _typed(self) -> None:
        name = self.new.value.strip()
        if name:
            self.new.value = ""
            self.refresh(name)


class PanelView:
    """Every widget of the panel, laid out in ``widget`` (a VBox); no behaviour."""

    def __init__(
        self, options: list[tuple[str, str]], model: str, picker: ConversationPicker, prompt: str
    ) -> None:
        wide = {"description_width": "90px"}
        self.model = w.Dropdown(options=options, value=model, description="Model", style=wide,
                                layout=_box("460px"))  # fmt: skip
        self.picker = picker
        self.conversation = picker.dropdown
        self.controls = ParamControls()
        self.system = w.Textarea(value=picker.get().system or "", placeholder="System prompt",
                                 layout=_box("100%", height="4em"))  # fmt: skip
        self.prompt = w.Textarea(value=prompt, placeholder="Your message",
                                 layout=_box("100%", height="6em"))  # fmt: skip
        self.send_button = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop",
                                    disabled=True)  # fmt: skip
        self.retry_button = w.Button(description="Retry", icon="redo")
        self.clear_button = w.Button(description="Clear", icon="eraser")
        self.forget = w.Checkbox(value=False, indent=False, description="and the conversation",
                                 layout=_box("180px"))  # fmt: skip
        self.copy_button = w.Button(description="Copy as cell", icon="copy")
        self.status = w.HTML()
        self.output = w.HTML(layout=w.Layout(min_height="3em"))
        self.stats = w.HTML()
        # Not disabled: a browser will not select text in a disabled textarea. Edits are
        # harmless; each "Copy as cell" writes it afresh.
        self.cell = w.Textarea(layout=_box("100%", height="5em", display="none"))
        grid = w.GridBox(
            list(self.controls.widget.children),
            layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(460px, 1fr))"),
        )
        buttons = w.HBox([self.send_button, self.stop_button, self.retry_button,
                          self.clear_button, self.forget, self.copy_button])  # fmt: skip
        top = w.HBox([self.model, picker.dropdown, picker.new])
        settings = w.Accordion(children=[grid], titles=("Parameters",), selected_index=0)
        self.widget = w.VBox([top, settings, self.system, self.prompt, buttons,
                              self.status, self.output, self.stats, self.cell])  # fmt: skip

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _say(self, text: str, kind: str = "info") -> None:
        self.status.value = status_html(text, kind)

    def _set_busy(self, busy: bool) -> None:
        """While a reply streams only Stop works (other cells still run)."""
        self.send_button.disabled = self.retry_button.disabled = busy
        self.clear_button.disabled = busy
        self.stop_button.disabled = not busy

    def _show_cell(self, text: str) -> None:
        self.cell.value = text
        self.cell.layout.display = None if text else "none"
