"""A tiny built-in "web search" for offline requests with ``enable_web_search``.

The documents are made up and live at example.com, so a citation can never be mistaken for a real
source. A search ranks them by word overlap with the user's last message; ``on`` always returns at
least one citation, ``auto`` only when something overlaps.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["DOCUMENTS", "search"]

DOCUMENTS: Final = (
    {
        "title": "Why bread needs time to rise | Example Kitchen Notes",
        "url": "https://example.com/kitchen/bread-rising",
        "content": "Yeast eats the sugars in flour and releases carbon dioxide; a slow, cool "
        "rise gives the gluten time to relax and the flavour time to develop.",
        "date": "2026-03-14T09:30:00",
    },
    {
        "title": "Reading the night sky without a telescope | Example Astronomy",
        "url": "https://example.com/astronomy/naked-eye",
        "content": "Planets move against the stars from night to night; give your eyes twenty "
        "minutes to adapt to the dark before looking for faint objects.",
        "date": "2025-11-02T21:15:00",
    },
    {
        "title": "Watering a vegetable garden | Example Gardening",
        "url": "https://example.com/garden/watering",
        "content": "Water deeply and less often, early in the morning, so roots grow down and "
        "leaves dry before evening.",
        "date": "2026-05-20T07:00:00",
    },
    {
        "title": "Python lists, tuples and dictionaries | Example Code School",
        "url": "https://example.com/code/python-collections",
        "content": "Use a list for an ordered collection that changes, a tuple for a fixed "
        "group of values, and a dictionary to look values up by key.",
        "date": "2026-01-09T12:00:00",
    },
    {
        "title": "How temperature and top-p change a language model's output | Example AI",
        "url": "https://example.com/ai/sampling",
        "content": "Temperature rescales the next-token distribution; top-k, top-p and min-p "
        "cut its tail before a token is drawn.",
        "date": "2026-08-01T16:45:00",
    },
    {
        "title": "What happens when you type a web address | Example Networks",
        "url": "https://example.com/networks/dns-http",
        "content": "The browser resolves the name with DNS, opens a TCP or QUIC connection, "
        "negotiates TLS and then sends an HTTP request.",
        "date": "2025-09-18T10:10:00",
    },
)
_WORD: Final = re.compile(r"[^\W\d_]{3,}")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def search(query: str, mode: str, limit: int = 3) -> list[dict[str, Any]]:
    """Citations for ``query`` (``mode`` is enable_web_search: on, auto or off)."""
    if mode not in ("on", "auto"):
        return []
    wanted = _words(query)
    scored = [
        (len(wanted & _words(f"{d['title']} {d['content']}")), i) for i, d in enumerate(DOCUMENTS)
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    hits = [dict(DOCUMENTS[i]) for score, i in scored[:limit] if score > 0]
    if not hits and mode == "on":
        hits = [dict(DOCUMENTS[scored[0][1]])]
    return hits
