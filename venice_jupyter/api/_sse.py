"""Sans-IO Server-Sent Events decoding: bytes in, events out.

``SSEDecoder.feed`` takes whatever bytes the network delivered and returns the events those bytes
completed; ``finish`` flushes at end of stream. No I/O happens here, so the sync and async clients
(and the tests) drive the same object.

Parsing follows the WHATWG EventSource rules. The points that matter in practice:

- a line ends with CRLF, LF or CR, and nothing else: never ``str.splitlines``, which also splits on
  U+2028, U+2029, U+0085 and friends that JSON strings may carry unescaped;
- a CR that ends one read and an LF that starts the next are one line ending;
- UTF-8 is decoded incrementally, so a character split across reads survives; bad bytes become
  U+FFFD rather than an exception, because one mangled character should not lose a whole reply.

``parse_data`` turns an event's ``data`` into a chat-completion chunk, or ``None`` for the
``[DONE]`` terminator.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import Any, Final

from venice_jupyter.errors import ProtocolError

__all__ = ["DONE_DATA", "SSEDecoder", "SSEEvent", "parse_data"]

DONE_DATA: Final = "[DONE]"
"""The ``data`` of the event that ends an OpenAI-style stream; ``parse_data`` maps it to None."""

_BOM: Final = "\ufeff"
_EXCERPT_CHARS: Final = 200


@dataclass(frozen=True)
class SSEEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None  # the last event id seen so far in the stream, as the spec defines it
    retry: int | None = None  # a ``retry:`` field given inside this event's block


class SSEDecoder:
    """Incremental decoder for one ``text/event-stream`` body."""

    def __init__(self) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        self._started = False  # the BOM may only be stripped from the very first character
        self._skip_lf = False  # the last read ended in CR: an LF opening the next one pairs with it
        self._partial: list[str] = []  # text of the unfinished last line, in pieces
        self._data: list[str] = []
        self._event = ""
        self._retry: int | None = None
        self.last_event_id: str | None = None
        """Persists across events, for a ``Last-Event-ID`` header on reconnection."""
        self.retry: int | None = None
        """The latest ``retry:`` value, even one sent in a block that had no data."""

    def feed(self, data: bytes) -> list[SSEEvent]:
        text = self._decode(data)
        return self._consume(text) if text else []

    def finish(self) -> list[SSEEvent]:
        """Flush the end of the stream.

        The WHATWG spec drops an event whose closing blank line never came. We dispatch it
        instead, as the OpenAI-compatible clients do: servers and proxies do end bodies with
        ``data: [DONE]`` or a last usage chunk and no blank line, and dropping that chunk would
        lose the usage or make a finished reply look cut off.
        """
        text = self._decode(b"", True)
        events = self._consume(text) if text else []
        # A pending CR was already a line ending; the LFs below must not be eaten as its pair.
        self._skip_lf = False
        # The first LF ends an unfinished line (if any); the second dispatches what is pending.
        events.extend(self._consume("\n\n"))
        return events

    def _consume(self, text: str) -> list[SSEEvent]:
        if not self._started:
            self._started = True
            if text[0] == _BOM:
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text[:1] == "\n":
                text = text[1:]
        if "\n" not in text and "\r" not in text:
            # No line ends yet: keep pieces rather than re-joining a growing string on every read.
            if text:
                self._partial.append(text)
            return []
        if self._partial:
            self._partial.append(text)
            text = "".join(self._partial)
            self._partial = []
        if "\r" in text:
            # Visible CRLF pairs collapse here; a trailing CR is a line end whose LF may follow.
            self._skip_lf = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        last = lines.pop()
        if last:
            self._partial.append(last)
        return self._lines(lines)

    def _lines(self, lines: list[str]) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:
            if line:
                # The hot path: nearly every line of a chat stream is ``data: {...}``.
                if line.startswith("data:"):
                    data.append(line[6:] if line.startswith(" ", 5) else line[5:])
                else:
                    self._field(line)
                continue
            if data:
                events.append(
                    SSEEvent(
                        self._event or "message", "\n".join(data), self.last_event_id, self._retry
                    )
                )
                data = self._data = []
            self._event = ""
            self._retry = None
        return events

    def _field(self, line: str) -> None:
        colon = line.find(":")
        if colon == 0:
            return  # a comment, e.g. a keep-alive ": ping"
        if colon < 0:
            name, value = line, ""
        else:
            name, value = line[:colon], line[colon + 1 :]
            if value.startswith(" "):
                value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        # isdigit alone accepts "²" and other non-ASCII digits; the spec wants ASCII only.
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = self.retry = int(value)


def parse_data(event: SSEEvent) -> dict[str, Any] | None:
    """The JSON object an event carries, or None for the ``[DONE]`` terminator."""
    data = event.data
    if data.strip() == DONE_DATA:
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise ProtocolError(
            f"Venice sent a stream event that is not valid JSON ({exc}): {_excerpt(data)}"
        ) from exc
    if not isinstance(value, dict):
        raise ProtocolError(
            f"Venice sent a stream event that is not a JSON object: {_excerpt(data)}"
        )
    return value


def _excerpt(text: str) -> str:
    if len(text) > _EXCERPT_CHARS:
        text = text[: _EXCERPT_CHARS - 3] + "..."
    return repr(text)
