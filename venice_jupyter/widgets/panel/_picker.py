"""What the panel picks from: the models (with their capability letters and prices) and the
workspace's conversations."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from venice_jupyter.api import CAPABILITY_LETTERS, CAPABILITY_WORDS, ModelCatalog, summary_row
from venice_jupyter.conversation import Conversation, ConversationStore

__all__ = ["NEEDS", "ConversationPicker", "model_options"]

# The model picker's filter: (label, capability flag); "" lists every text model.
NEEDS: list[tuple[str, str]] = [("any", "")] + [
    (CAPABILITY_WORDS[flag], flag) for flag in CAPABILITY_LETTERS.values()
]


def model_options(catalog: ModelCatalog, needs: str = "") -> list[tuple[str, str]]:
    """(label, id) per text model (with capability ``needs``, if given):
    ``venice-offline · F S L W · $0.10/$0.40``."""
    options = []
    for model in catalog.text_models():
        if needs and not model.supports(needs):
            continue
        row = summary_row(model)
        letters = " ".join(c for c in row["capabilities"].split() if c != "·") or "–"
        label = f"{model.id} · {letters} · {row['input']}/{row['output']}"
        if row["status"]:
            label += f" ({row['status']})"
        options.append((label, model.id))
    return options


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
