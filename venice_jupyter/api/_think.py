"""Text appends for a choice, and moving a leading ``<think>...</think>`` block into reasoning.

Some models put their reasoning inside ``content`` as ``<think>...</think>`` before the answer;
``ThinkSplitter`` routes it to ``reasoning`` however the tags are split across deltas.
"""

from __future__ import annotations

from typing import Final

from venice_jupyter.reply import Choice, Delta

__all__ = ["ThinkSplitter", "append_content", "append_reasoning"]

_OPEN: Final = "<think>"
_CLOSE: Final = "</think>"


class ThinkSplitter:
    """Moves a leading ``<think>...</think>`` in content into reasoning, across any deltas.

    Until the content seen so far stops being a possible prefix of ``<think>`` (leading
    whitespace allowed), it is held back; then it is content, and the splitter is dropped. Inside
    the block, only a tail that could begin ``</think>`` is held back. Text after ``<think>``
    anywhere but the start is ordinary content.
    """

    __slots__ = ("held", "state")

    def __init__(self) -> None:
        self.state = "start"  # "start" -> ("think" -> "after") -> done
        self.held = ""

    def feed(self, choice: Choice, piece: str, deltas: list[Delta]) -> bool:
        """Route ``piece``; True once the rest of this choice's content is plain."""
        text = self.held + piece
        self.held = ""
        if self.state == "start":
            stripped = text.lstrip()
            if not stripped.startswith(_OPEN):
                if _OPEN.startswith(stripped):
                    self.held = text
                    return False
                append_content(choice, text, deltas)
                return True
            self.state = "think"
            text = stripped[len(_OPEN) :]
        if self.state == "think":
            end = text.find(_CLOSE)
            if end < 0:
                keep = _prefix_overlap(text, _CLOSE)
                if len(text) > keep:
                    append_reasoning(choice, text[: len(text) - keep], deltas)
                self.held = text[len(text) - keep :]
                return False
            if end:
                append_reasoning(choice, text[:end], deltas)
            self.state = "after"
            text = text[end + len(_CLOSE) :]
        # "after": the blank lines between the block and the answer are a separator, not text.
        text = text.lstrip()
        if not text:
            return False
        append_content(choice, text, deltas)
        return True

    def flush(self, choice: Choice, deltas: list[Delta]) -> None:
        if self.held:
            # A "</thi" tail of an unclosed block is reasoning; a "<thi" start is content.
            if self.state == "think":
                append_reasoning(choice, self.held, deltas)
            else:
                append_content(choice, self.held, deltas)
            self.held = ""


def _prefix_overlap(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper prefix of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


# The three appends below swap the string out of the attribute before ``+=``: a str held only by
# a local can be grown in place by CPython, while ``obj.attr += piece`` copies the whole text on
# every delta, which is quadratic (a 1 MB reply in 5-byte deltas took 20 s instead of 10 ms).


def append_content(choice: Choice, piece: str, deltas: list[Delta]) -> None:
    text, choice.content = choice.content, ""
    text += piece
    choice.content = text
    deltas.append(Delta(choice.index, "content", piece))


def append_reasoning(choice: Choice, piece: str, deltas: list[Delta]) -> None:
    if type(piece) is not str:
        raise TypeError(f"reasoning must be a string, not {type(piece).__name__}")
    text, choice.reasoning = choice.reasoning, ""
    text += piece
    choice.reasoning = text
    deltas.append(Delta(choice.index, "reasoning", piece))
