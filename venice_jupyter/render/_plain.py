"""``--format text``: an answer shown as it is written, escaped, with the streaming interface of
:class:`~venice_jupyter.render.StreamingMarkdown` (finished lines once, then the tail)."""

from __future__ import annotations

from html import escape

__all__ = ["PRE", "PlainStream", "render_plain"]

PRE = '<pre class="venice-text" style="white-space:pre-wrap">'


def render_plain(text: str) -> str:
    return f"{PRE}{escape(text)}</pre>"


class PlainStream:
    def __init__(self) -> None:
        self._pieces: list[str] = []  # joined only when a finished line is handed out
        self._open = ""  # text after the last line break handed out
        self.text_length = 0

    def feed(self, delta: str) -> None:
        self._pieces.append(delta)
        self.text_length += len(delta)

    def take_finished(self) -> list[str]:
        if not self._pieces:
            return []
        text = self._open + "".join(self._pieces)
        self._pieces = []
        end = text.rfind("\n") + 1
        self._open = text[end:]
        return [render_plain(text[:end])] if end else []

    def tail_html(self) -> str:
        tail = self._open + "".join(self._pieces)
        return render_plain(tail) if tail else ""
