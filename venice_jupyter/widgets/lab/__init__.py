"""The sampling lab: ``sampling_lab()`` opens one on a text or a reply; ``SamplingLab`` is the
widget (an ``ipywidgets.VBox``)."""

from venice_jupyter.widgets.lab._lab import SamplingLab
from venice_jupyter.widgets.lab._open import lab_from_prompt, lab_from_prompt_sync, sampling_lab
from venice_jupyter.widgets.lab._sources import ReplySource, Snapshot, TextSource

__all__ = [
    "ReplySource",
    "SamplingLab",
    "Snapshot",
    "TextSource",
    "lab_from_prompt",
    "lab_from_prompt_sync",
    "sampling_lab",
]
