"""What ``--file``, ``--audio`` and ``--video`` share: the ``Attachment`` they make, how a
name finds a notebook variable, reading a file with a clear error, and the size cap.

An attachment's bytes travel base64-encoded inside the JSON body (a third larger), and Venice
refuses bodies over 35 MB, so one attachment may be at most ``MAX_ATTACHMENT_BYTES``.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from venice_jupyter.errors import ParameterError

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "Attachment",
    "check_size",
    "data_url",
    "read_path",
    "resolve",
    "upload_item",
]

MAX_ATTACHMENT_BYTES: Final = 25 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """One content part of a user message and what it was made from (for notes and errors).

    ``size`` is the bytes it carries in the request (0 for a URL Venice fetches itself).
    """

    part: dict[str, Any] = field(hash=False)
    label: str
    size: int = 0

    @property
    def kind(self) -> str:
        """The part's type: image_url, input_audio, video_url or file."""
        return str(self.part["type"])

    def __repr__(self) -> str:
        size = f" {self.size / 1024:.0f} KB" if self.size else ""
        return f"<Attachment {self.kind} {self.label!r}{size}>"


def resolve(obj: Any, namespace: Mapping[str, Any] | None) -> tuple[Any, str]:
    """(value, label): a name of a notebook variable is that variable's value, once only (a
    variable holding a path is used as a path, never as another name)."""
    if isinstance(obj, str) and namespace is not None and obj.isidentifier() and obj in namespace:
        return namespace[obj], obj
    if isinstance(obj, (str, os.PathLike)):
        return obj, os.fspath(obj)
    return obj, type(obj).__name__


def check_size(field_name: str, size: int, label: str, limit: int = MAX_ATTACHMENT_BYTES) -> None:
    if size > limit:
        raise ParameterError(
            field_name,
            label,
            f"at most {limit // 2**20} MB per attachment",
            hint=f"It is {size / 2**20:.1f} MB; Venice refuses request bodies over 35 MB and "
            "base64 makes attachments a third larger.",
        )
    if size == 0:
        raise ParameterError(field_name, label, "a non-empty attachment", hint="It is empty.")


def read_path(field_name: str, name: str, what: str) -> bytes:
    """The bytes of file ``name`` (``what`` describes the files the option takes)."""
    path = Path(name).expanduser()
    try:
        if not path.is_file():
            if path.exists():
                raise ParameterError(field_name, name, what, hint=f"{path} is not a file.")
            raise FileNotFoundError(name)
        check_size(field_name, path.stat().st_size, name)
        return path.read_bytes()
    except FileNotFoundError:
        nor_variable = (
            "No variable by that name exists in the notebook, and " if name.isidentifier() else ""
        )
        raise ParameterError(
            field_name,
            name,
            f"a variable in the notebook or an existing file ({what})",
            hint=f"{nor_variable}there is no file {path.absolute()} "
            f"(the current directory is {Path.cwd()}).",
        ) from None
    except OSError as exc:
        raise ParameterError(field_name, name, f"a readable file ({what})", hint=str(exc)) from None


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def upload_item(obj: Any) -> tuple[str, bytes] | None:
    """(name, bytes) from what carries both: an ``ipywidgets.FileUpload`` value item
    (``{"name", "content", …}``), a ``(name, bytes)`` pair, or an open binary file."""
    if isinstance(obj, Mapping) and isinstance(obj.get("name"), str) and "content" in obj:
        content = obj["content"]
        if isinstance(content, (bytes, bytearray, memoryview)):
            return obj["name"], bytes(content)
    if (
        isinstance(obj, tuple)
        and len(obj) == 2
        and isinstance(obj[0], str)
        and isinstance(obj[1], (bytes, bytearray, memoryview))
    ):
        return obj[0], bytes(obj[1])
    read, name = getattr(obj, "read", None), getattr(obj, "name", None)
    if callable(read) and isinstance(name, str):
        data = read()
        if isinstance(data, (bytes, bytearray)):
            return os.path.basename(name), bytes(data)
    return None
