"""``--image PATH_OR_VAR``: turn whatever the user points at into an image URL for a message.

Accepted, in this order:

    a str naming a variable in the namespace   its value (resolved once, never again)
    "http(s)://…" or "data:image/…"            passed through unchanged (Venice fetches URLs)
    a str or PathLike naming a file            its bytes
    bytes, bytearray, memoryview               the bytes
    an object with _repr_png_ / _repr_jpeg_    IPython.display.Image and many libraries
    a numpy array (h, w[, 1|3|4])              PNG (``_arrays``): uint8, bool, or floats in 0..1
    a PIL image (has .save and .mode)          PNG; converted to RGB if PNG cannot hold its mode
    a matplotlib Figure (has .savefig)         PNG, tight bounding box; an Axes uses .figure

Bytes must be PNG, JPEG, GIF or WEBP (sniffed by ``messages.image_data_url``) and at most
``MAX_IMAGE_BYTES``. Pillow, numpy and matplotlib are never imported for this: objects are
recognised by shape.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._arrays import is_array, png_from_array
from venice_jupyter.request._messages import image_data_url

__all__ = ["MAX_IMAGE_BYTES", "to_data_url"]

MAX_IMAGE_BYTES = 20 * 1024 * 1024
FIELD = "--image"
FORMATS = "a PNG, JPEG, GIF or WEBP image"
ACCEPTED = (
    "a variable name, a file path, an http(s) URL, image bytes, or an image object "
    "(IPython Image, numpy array, PIL image, matplotlib figure)"
)


def to_data_url(obj: Any, namespace: Mapping[str, Any] | None = None) -> str:
    """A ``data:image/…;base64,…`` URL for ``obj`` (or the URL itself when ``obj`` is one)."""
    if isinstance(obj, str) and namespace is not None and obj.isidentifier() and obj in namespace:
        # Resolved once only: a variable holding a path or URL is used as one, never as a name.
        return _convert(namespace[obj], source=obj)
    source = str(obj) if isinstance(obj, (str, os.PathLike)) else type(obj).__name__
    return _convert(obj, source=source)


def _convert(obj: Any, source: str) -> str:
    if isinstance(obj, str):
        if obj.startswith(("http://", "https://", "data:image/")):
            return obj
        return _from_bytes(_read_file(obj), source)
    if isinstance(obj, os.PathLike):
        return _from_bytes(_read_file(os.fspath(obj)), source)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(obj), source)
    if is_array(obj):
        return _from_bytes(png_from_array(obj, FIELD), source)
    for method in ("_repr_png_", "_repr_jpeg_"):
        data = _from_repr(obj, method)
        if data is not None:
            return _from_bytes(data, source)
    if hasattr(obj, "save") and hasattr(obj, "mode"):
        return _from_bytes(_pil_png(obj), source)
    figure = obj if hasattr(obj, "savefig") else getattr(obj, "figure", None)
    if figure is not None and hasattr(figure, "savefig"):
        saved = _render(figure.savefig, format="png", bbox_inches="tight")
        return _from_bytes(saved, source)
    raise ParameterError(FIELD, obj, ACCEPTED)


def _read_file(name: str) -> bytes:
    path = Path(name).expanduser()
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ParameterError(FIELD, name, f"{FORMATS} file", hint=f"{path} is not a file.")
        _check_size(size, name)
        return path.read_bytes()
    except FileNotFoundError:
        nor_variable = (
            "No variable by that name exists in the notebook, and " if name.isidentifier() else ""
        )
        raise ParameterError(
            FIELD,
            name,
            "a variable in the notebook, an existing image file, or an http(s) URL",
            hint=f"{nor_variable}there is no file {path.absolute()} "
            f"(the current directory is {Path.cwd()}).",
        ) from None
    except OSError as exc:
        raise ParameterError(FIELD, name, f"a readable {FORMATS} file", hint=str(exc)) from None


def _from_repr(obj: Any, method: str) -> bytes | None:
    """What an IPython ``_repr_*_`` method returns: bytes, base64 text, or (data, metadata)."""
    fn = getattr(obj, method, None)
    if not callable(fn) or isinstance(obj, type):
        return None
    data = _call(fn, f"{method}()")
    if isinstance(data, tuple) and data:
        data = data[0]
    if isinstance(data, str):
        try:
            return base64.b64decode(data)
        except ValueError:  # not base64 after all: no usable image from this method
            return None
    return bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else None


def _pil_png(image: Any) -> bytes:
    try:
        return _render(image.save, format="PNG")
    except ParameterError:
        if not callable(getattr(image, "convert", None)):
            raise
    # PNG cannot hold CMYK, YCbCr, HSV and a few other modes; Pillow converts those to RGB.
    converted = _call(lambda: image.convert("RGB"), "convert('RGB')")
    return _render(converted.save, format="PNG")


def _render(save: Any, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    _call(lambda: save(buf, **kwargs), f"{getattr(save, '__name__', 'save')}(…)")
    return buf.getvalue()


def _call(fn: Any, what: str) -> Any:
    try:
        return fn()
    except Exception as exc:  # the library's own error, shown whole: it knows what went wrong
        raise ParameterError(
            FIELD,
            what,
            "an image object that can render itself as PNG",
            hint=f"{what} failed with {type(exc).__name__}: {exc}.",
        ) from None


def _check_size(size: int, source: str) -> None:
    if size > MAX_IMAGE_BYTES:
        raise ParameterError(
            FIELD,
            source,
            f"an image of at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB",
            hint=f"It is {size / (1024 * 1024):.1f} MB; resize or recompress it first.",
        )


def _from_bytes(data: bytes, source: str) -> str:
    _check_size(len(data), source)
    try:
        return image_data_url(data)
    except ParameterError:
        seen = (
            f"Its first bytes are {data[:12]!r}, which is none of these."
            if data
            else "It is empty."
        )
        raise ParameterError(FIELD, source, FORMATS, hint=seen) from None
