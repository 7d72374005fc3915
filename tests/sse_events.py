"""Server-sent events read the plain way, independent of the package's own decoder."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["parse_sse"]


def parse_sse(raw: bytes, *, strict: bool = True) -> list[Any]:
    """Each event's data as JSON or "[DONE]"; not-JSON data is kept as text unless ``strict``.

    Splits on LF only (never ``str.splitlines``, which would also split at U+2028).
    """
    events: list[Any] = []
    for block in raw.decode("utf-8").split("\n\n"):
        lines = [line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")]
        if not lines:
            continue
        data = "\n".join(lines)
        try:
            events.append(data if data == "[DONE]" else json.loads(data))
        except ValueError:
            if strict:
                raise
            events.append(data)
    return events
