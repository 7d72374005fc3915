"""Escaping for untrusted text in HTML, and the one URL policy links and images share.

Bidi override/isolate controls (Trojan Source) show as U+FFFD everywhere, code included; in a
URL's visible text zero-width characters do too, so a URL can't pose as another.
"""

from __future__ import annotations

import re

__all__ = ["escape_text", "escape_url_text", "is_safe_url", "show_controls"]

_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLES = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_SHOWN = dict.fromkeys(_BIDI_CONTROLS, "\ufffd")
_SHOWN_TABLE = str.maketrans(_SHOWN)
_TEXT_TABLE = str.maketrans({**_ESCAPES, **_SHOWN})
_URL_TEXT_TABLE = str.maketrans({**_ESCAPES, **_SHOWN, **dict.fromkeys(_INVISIBLES, "\ufffd")})


def show_controls(text: str) -> str:
    """The text with bidi controls replaced by U+FFFD, so they can't reorder what is shown."""
    return text.translate(_SHOWN_TABLE)


def escape_text(text: str) -> str:
    """Escape text for HTML content or a quoted attribute; bidi controls become U+FFFD."""
    return text.translate(_TEXT_TABLE)


# Matched against markdown-it's normalised URL, where entities are decoded and controls,
# spaces and non-ASCII are percent-encoded; the control check is for hand-made tokens.
_SAFE_URL = re.compile(r"(?:https?://[^/?#\\]|mailto:)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def is_safe_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host, or a mailto: URL; nothing else."""
    return _SAFE_URL.match(url) is not None and _CONTROL.search(url) is None


def escape_url_text(text: str) -> str:
    """``escape_text`` that also shows zero-width characters, for a URL shown as link text."""
    return text.translate(_URL_TEXT_TABLE)
