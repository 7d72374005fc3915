"""Word-level tokens that concatenate back to the exact text (``"".join(tokens) == text``).

A word carries its leading space (``" word"``), so detokenising is plain concatenation. Markdown
structure survives because its markers are tokens of their own: line breaks (``"\\n"``, and
``"\\n\\n"`` for a paragraph break), heading markers (``"##"``), ``"**"``, ordered-list
markers (``"1."``), runs of dashes (table rules, ``---``), code fences with their language
(```` ```python ````) and indentation runs.
Anything else is one punctuation/symbol character with its optional leading space, so every
input character lands in some token.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["detokenize", "tokenize"]

_TOKEN: Final = re.compile(
    r"\n\n|\n"  # a paragraph break is one token, so a 3-token context still sees words
    r"|```[\w+#.-]*"  # a code fence with its language
    r"|[ \t]{2,}"  # indentation inside code and nested lists
    r"| ?#{1,6}(?= )"  # heading marker
    r"| ?\*\*"  # bold
    r"| ?-{2,}"  # table rules and horizontal rules
    r"| ?\d+\.(?= )"  # ordered-list marker
    r"| ?\w+(?:['’]\w+)*"  # a word (with contractions) and its leading space
    r"| ?[^\s\w]"  # one punctuation or symbol character
    r"|\s"  # any other lone whitespace character (space, \r, U+2028, ...)
)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens; ``detokenize(tokenize(t)) == t`` for every string."""
    return _TOKEN.findall(text)


def detokenize(tokens: list[str]) -> str:
    return "".join(tokens)
