"""``--file PATH_OR_VAR``: a document as a ``file`` content part, which Venice extracts to text.

Accepted (a name of a notebook variable is first replaced by its value):

    "https://…"                          passed as the URL (Venice fetches it; it must be public)
    "data:…;base64,…"                    passed through
    a str or PathLike naming a file      its bytes, the type from its extension
    a pandas DataFrame or Series         CSV (``to_csv``; the index only when it is not 0..n-1)
    (name, bytes), a FileUpload item,    the bytes, the type from the name
    or an open binary file
    bytes alone                          a PDF or UTF-8 text is recognised; others need a name

The types are the spec's: PDF, EPUB, DOCX, PPTX, XLSX, XLS, plain text, Markdown, CSV, JSON
and source code. pandas is never imported: a frame is recognised by its ``to_csv``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._sources import (
    Attachment,
    check_size,
    data_url,
    read_path,
    resolve,
    upload_item,
)

__all__ = ["FILE_TYPES", "file_attachment"]

FIELD: Final = "--file"
_DOCUMENTS: Final = {
    "pdf": "application/pdf",
    "epub": "application/epub+zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "txt": "text/plain",
    "text": "text/plain",
    "md": "text/markdown",
    "markdown": "text/markdown",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/json",
}
# Source code goes as text/plain: the file name keeps the language, and plain text is what
# every extractor reads (the spec lists .py, .js, .ts, .c, .cpp, .java, .go, .rs, .ps1, .sh,
# .yaml, .sql "and most source-code files").
_CODE: Final = (  # noqa: SIM905 (a word list reads better than 90 quoted strings)
    "py pyi ipynb js mjs cjs ts tsx jsx c h cc cpp cxx hpp hh java kt kts scala go rs swift m "
    "mm cs fs vb rb php pl pm r jl lua dart ex exs erl hs ml clj sh bash zsh fish ps1 bat cmd "
    "sql yaml yml toml ini cfg conf xml html htm css scss less vue svelte tex bib rst org "
    "dockerfile makefile cmake gradle proto graphql gql tf hcl nix zig v sv vhd asm s log env"
).split()
FILE_TYPES: Final = {**_DOCUMENTS, **{ext: "text/plain" for ext in _CODE}}
KINDS_TEXT: Final = (
    "a PDF, EPUB, DOCX, PPTX, XLSX, XLS, text, Markdown, CSV, JSON or source-code file"
)


def _mime_for(name: str) -> str:
    base = os.path.basename(name)
    ext = base.rpartition(".")[2].lower() if "." in base else base.lower()
    mime = FILE_TYPES.get(ext)
    if mime is None:
        shown = f"the extension .{ext}" if "." in base else "a name without an extension"
        raise ParameterError(
            FIELD,
            name,
            KINDS_TEXT,
            hint=f"It has {shown}, which is none of the types Venice reads.",
        )
    return mime


def _frame_csv(obj: Any) -> bytes | None:
    """A DataFrame or Series as CSV bytes; the index is kept only when it says something."""
    if not (callable(getattr(obj, "to_csv", None)) and hasattr(obj, "index")):
        return None
    default_index = type(obj.index).__name__ == "RangeIndex" and obj.index.start == 0
    try:
        text = obj.to_csv(index=not default_index)
    except Exception as exc:  # pandas' own message says what failed
        raise ParameterError(
            FIELD,
            type(obj).__name__,
            "a table that converts to CSV",
            hint=f"to_csv() failed: {exc}",
        ) from None
    return str(text).encode("utf-8")


def _sniffed_name(data: bytes, label: str) -> str:
    if data.startswith(b"%PDF-"):
        return "document.pdf"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        hint = (
            "Office files and EPUBs are zip archives that only their name tells apart: pass "
            "(name, bytes), e.g. ('report.docx', data)."
            if data.startswith(b"PK\x03\x04")
            else "Pass (name, bytes) so the name says what it is."
        )
        raise ParameterError(FIELD, label, f"{KINDS_TEXT}, with a name", hint=hint) from None
    return "text.txt"


def _from_bytes(name: str, data: bytes, label: str) -> Attachment:
    check_size(FIELD, len(data), label)
    mime = _mime_for(name)
    part = {"type": "file", "file": {"file_data": data_url(mime, data), "filename": name}}
    return Attachment(part, label, len(data))


def file_attachment(
    obj: Any, namespace: Mapping[str, Any] | None = None, *, name: str | None = None
) -> Attachment:
    """A ``file`` part for ``obj``; ``name`` overrides the file name Venice is told."""
    value, label = resolve(obj, namespace)
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        if value.startswith("http://"):
            raise ParameterError(
                FIELD, value, "an https:// URL", hint="Venice fetches files only over https."
            )
        path = urlsplit(value).path
        filename = name or os.path.basename(path) or "document"
        return Attachment({"type": "file", "file": {"file_data": value, "filename": filename}},
                          label)  # fmt: skip
    if isinstance(value, str) and value.startswith("data:"):
        if ";base64," not in value:
            raise ParameterError(FIELD, label, "a data:<type>;base64,… URL")
        filename = name or "document"
        size = len(value) * 3 // 4
        return Attachment({"type": "file", "file": {"file_data": value, "filename": filename}},
                          label, size)  # fmt: skip
    if isinstance(value, (str, os.PathLike)):
        path_text = os.fspath(value)
        data = read_path(FIELD, path_text, KINDS_TEXT)
        return _from_bytes(name or os.path.basename(path_text), data, label)
    csv = _frame_csv(value)
    if csv is not None:
        stem = label if label.isidentifier() and label not in ("DataFrame", "Series") else "table"
        return _from_bytes(name or f"{stem}.csv", csv, label)
    item = upload_item(value)
    if item is not None:
        return _from_bytes(name or item[0], item[1], label)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        check_size(FIELD, len(data), label)
        return _from_bytes(name or _sniffed_name(data, label), data, label)
    raise ParameterError(
        FIELD,
        value,
        "a variable name, a file path, an https URL, a DataFrame, (name, bytes) or bytes",
    )
