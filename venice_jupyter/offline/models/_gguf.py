"""Read a GGUF file's header without llama.cpp: is it a GGUF file, and is it a chat model?

llama.cpp answers every bad file with the same "Failed to load model from file" (and accepts a
model without a chat template, which then writes nonsense), so the offline server checks the
header first and says what is wrong. The layout (GGUF v2/v3, little-endian): ``b"GGUF"``,
``uint32`` version, ``uint64`` tensor count, ``uint64`` key count, then the keys, each a string
(``uint64`` length + UTF-8), a ``uint32`` value type and the value. Only the string values are
kept; arrays (the tokenizer's 49,152 tokens) are skipped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

__all__ = ["GGUFError", "GGUFHeader", "read_header"]

_MAGIC: Final = b"GGUF"
_SCALAR_SIZES: Final = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_MAX_STRING: Final = 64 * 1024 * 1024  # a length beyond this means a corrupt header


class GGUFError(ValueError):
    """The file is not a GGUF model we can serve; the message says why and what to do."""


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensors: int
    strings: dict[str, str]  # every string-valued key

    @property
    def name(self) -> str:
        return self.strings.get("general.name", "")

    @property
    def chat_template(self) -> str | None:
        return self.strings.get("tokenizer.chat_template") or None


class _Reader:
    def __init__(self, file: BinaryIO, path: Path) -> None:
        self.file, self.path = file, path

    def take(self, size: int) -> bytes:
        data = self.file.read(size)
        if len(data) != size:
            raise GGUFError(f"{self.path} is truncated: its GGUF header ends early")
        return data

    def number(self, fmt: str) -> int:
        (value,) = struct.unpack(fmt, self.take(struct.calcsize(fmt)))
        return int(value)

    def string(self) -> str:
        size = self.number("<Q")
        if size > _MAX_STRING:
            raise GGUFError(f"{self.path} is corrupt: a header string claims {size:,} bytes")
        return self.take(size).decode("utf-8", errors="replace")

    def skip(self, kind: int) -> None:
        if kind in _SCALAR_SIZES:
            self.take(_SCALAR_SIZES[kind])
        elif kind == _STRING:
            self.file.seek(self.number("<Q"), 1)
        elif kind == _ARRAY:
            inner, count = self.number("<I"), self.number("<Q")
            if inner in _SCALAR_SIZES:
                self.file.seek(_SCALAR_SIZES[inner] * count, 1)
            else:
                for _ in range(count):
                    self.skip(inner)
        else:
            raise GGUFError(f"{self.path} is corrupt: unknown GGUF value type {kind}")


def read_header(path: Path) -> GGUFHeader:
    """The header of ``path``; ``GGUFError`` for a missing, unreadable or non-GGUF file."""
    if not path.exists():
        raise GGUFError(f"{path} does not exist")
    if not path.is_file():
        raise GGUFError(f"{path} is not a file")
    try:
        with path.open("rb") as file:
            reader = _Reader(file, path)
            magic = file.read(4)
            if magic != _MAGIC:
                raise GGUFError(
                    f"{path} is not a GGUF file (it starts with {magic!r}, a GGUF file with "
                    "b'GGUF'); give the path of a .gguf model"
                )
            version = reader.number("<I")
            if version not in (2, 3):
                raise GGUFError(f"{path} is GGUF version {version}; llama.cpp reads 2 and 3")
            tensors, keys = reader.number("<Q"), reader.number("<Q")
            strings: dict[str, str] = {}
            for _ in range(keys):
                key, kind = reader.string(), reader.number("<I")
                if kind == _STRING:
                    strings[key] = reader.string()
                else:
                    reader.skip(kind)
    except OSError as error:
        raise GGUFError(f"{path} cannot be read: {error.strerror or error}") from None
    return GGUFHeader(version, tensors, strings)
