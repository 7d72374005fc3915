"""The panel's Attach control: an ``ipywidgets.FileUpload`` whose files go with the next message.

Each upload becomes the part its name says (``request.attach``): an image, audio, video or a
document. They are converted when the message is prepared, so a file Venice cannot take is
refused there with the same message as ``--file``, and nothing is sent. After a send the
uploads are cleared; Retry sends the same ones again.
"""

from __future__ import annotations

import os
from html import escape
from typing import Any, Final

import ipywidgets as w

from venice_jupyter.request import Attachment, attach

__all__ = ["AttachBox", "kind_of"]

_IMAGES: Final = frozenset({"png", "jpg", "jpeg", "gif", "webp"})
_AUDIO: Final = frozenset({"wav", "wave", "mp3", "aiff", "aif", "aac", "ogg", "oga", "opus",
                           "flac", "m4a"})  # fmt: skip
_VIDEO: Final = frozenset({"mp4", "m4v", "mpeg", "mpg", "mov", "webm"})


def kind_of(name: str) -> str:
    """``images``, ``audio``, ``video`` or ``files``: the ``attach`` keyword for a file name."""
    ext = os.path.basename(name).rpartition(".")[2].lower()
    if ext in _IMAGES:
        return "images"
    if ext in _AUDIO:
        return "audio"
    if ext in _VIDEO:
        return "video"
    return "files"


class AttachBox:
    """``upload`` (the FileUpload), ``names`` (what is attached) and ``clear_button``."""

    def __init__(self) -> None:
        self.upload = w.FileUpload(description="Attach", multiple=True, icon="paperclip")
        self.names = w.HTML()
        self.clear_button = w.Button(description="Remove", icon="times", layout=w.Layout(
            width="100px", display="none"))  # fmt: skip
        self.widget = w.HBox([self.upload, self.names, self.clear_button])
        self.upload.observe(lambda _c: self._show(), names="value")
        self.clear_button.on_click(lambda _b: self.clear())
        self.last: list[Attachment] = []  # what the last send carried, for Retry

    def _show(self) -> None:
        items = self.items()
        shown = ", ".join(item["name"] for item in items)
        self.names.value = f"<small>{escape(shown)}</small>" if items else ""
        self.clear_button.layout.display = None if items else "none"

    def items(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.upload.value]

    def attachments(self) -> list[Attachment]:
        """The uploads as content parts (raises ParameterError for one Venice cannot take)."""
        groups: dict[str, list[Any]] = {"images": [], "audio": [], "video": [], "files": []}
        for item in self.items():
            # (name, bytes): the name tells the format; an image is sniffed from its bytes.
            kind, data = kind_of(item["name"]), bytes(item["content"])
            groups[kind].append(data if kind == "images" else (item["name"], data))
        return attach(images=groups["images"], audio=groups["audio"], video=groups["video"],
                      files=groups["files"])  # fmt: skip

    def clear(self) -> None:
        self.upload.value = ()
        self._show()
