"""The offline model's training text: ``corpus/*.md`` (README.md excluded).

Each file holds answers separated by lines of ``---``; an answer usually opens with a
``## Heading``. Files are read in name order so the corpus, its hash and the model are the same
on every machine.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Final

__all__ = ["CORPUS_DIR", "corpus_digest", "load_answers"]

CORPUS_DIR: Final = Path(__file__).with_name("corpus")
_SEPARATOR: Final = re.compile(r"^---[ \t]*$", re.MULTILINE)


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.md") if p.name.lower() != "readme.md")


def load_answers(directory: Path = CORPUS_DIR) -> list[str]:
    """Every non-empty answer, stripped, in file order."""
    answers: list[str] = []
    for path in _files(directory):
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        answers.extend(part.strip() for part in _SEPARATOR.split(text) if part.strip())
    return answers


def corpus_digest(directory: Path = CORPUS_DIR) -> str:
    """A hash of the file names and contents: the key for any cached trained model."""
    digest = hashlib.sha256()
    for path in _files(directory):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
