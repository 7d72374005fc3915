"""How a token reads on screen: whitespace made visible, control characters escaped.

Tokens are untrusted text a model wrote; a bare space, a line break or a bidi control would be
invisible or rearrange what is shown around it in a chart or a table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from html import escape

__all__ = ["escaped", "printable", "visible"]

_SHOWN = {"\n": "↵", "\t": "⇥", " ": "␣", "\r": "␍"}
_UNPRINTABLE = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})


def _printable(text: str, shown: Mapping[str, str]) -> str:
    out = []
    for ch in text:
        if ch in shown:
            out.append(shown[ch])
        elif ch not in "\n\t" and unicodedata.category(ch) in _UNPRINTABLE:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def visible(token: str, limit: int = 0) -> str:
    """``token`` with whitespace shown (``␣``, ``↵``) and control characters as ``\\xNN``."""
    text = _printable(token, _SHOWN) or "∅"
    return text if not limit or len(text) <= limit else text[: limit - 1] + "…"


def printable(text: str) -> str:
    """``text`` as it reads (spaces, line breaks kept) with control characters escaped."""
    return _printable(text, {})


def escaped(token: str, limit: int = 0) -> str:
    """``visible(token)`` escaped for a text node or an attribute."""
    return escape(visible(token, limit), quote=True)
