"""numpy arrays as the bytes Venice takes: an image array as PNG, a sound array as WAV.

    is_array(obj)                   recognised by shape (``shape``, ``dtype``, ``__array__``)
    png_from_array(arr, field)      (h, w), (h, w, 1), (h, w, 3) or (h, w, 4); uint8, bool or
                                    floats in 0..1 (values 0..255 of any number type also do)
    wav_from_array(arr, rate, field)  (samples,), (samples, channels) or (channels, samples);
                                    16-bit PCM, scaled down only when it would clip

numpy is imported only once an array was given (so it is installed); PNG and WAV are written
with the standard library (zlib, wave): no Pillow, no soundfile.
"""

from __future__ import annotations

import io
import struct
import wave
import zlib
from typing import Any

from venice_jupyter.errors import ParameterError

__all__ = ["MAX_CHANNELS", "is_array", "png_from_array", "wav_from_array"]

MAX_CHANNELS = 16  # the smaller axis of a 2-D sound array is its channels, up to this many
_PNG_COLOUR = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type: grey, RGB, RGBA
IMAGE_SHAPES = "an image array of shape (height, width), (height, width, 3) or (height, width, 4)"


def is_array(obj: Any) -> bool:
    """A numpy array (or anything that converts like one), not the class itself."""
    return (
        not isinstance(obj, type)
        and hasattr(obj, "__array__")
        and hasattr(obj, "shape")
        and hasattr(obj, "dtype")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _as_bytes(np: Any, a: Any, field: str) -> Any:
    """Pixel values as uint8: bools are 0/255, floats in 0..1 are scaled, 0..255 kept."""
    kind = a.dtype.kind
    if kind == "b":
        return a.astype(np.uint8) * 255
    if kind not in "uif":
        raise ParameterError(field, f"an array of dtype {a.dtype}", "numbers or booleans")
    if kind == "f" and not np.isfinite(a).all():
        raise ParameterError(field, "an array with NaN or infinity", "finite pixel values")
    low, high = (a.min(), a.max()) if a.size else (0, 0)
    if kind == "f" and low >= 0 and high <= 1:
        return np.rint(a * 255).astype(np.uint8)
    if low < 0 or high > 255:
        raise ParameterError(
            field,
            f"an array with values from {low:g} to {high:g}",
            "pixel values from 0 to 1 (floats) or 0 to 255",
            hint="Rescale it first, e.g. (a - a.min()) / (a.max() - a.min()).",
        )
    return np.rint(a).astype(np.uint8) if kind == "f" else a.astype(np.uint8)


def png_from_array(arr: Any, field: str = "--image") -> bytes:
    import numpy as np

    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    channels = 1 if a.ndim == 2 else a.shape[2] if a.ndim == 3 else 0
    if channels not in _PNG_COLOUR:
        raise ParameterError(field, f"an array of shape {a.shape}", IMAGE_SHAPES)
    height, width = a.shape[:2]
    if not height or not width:
        raise ParameterError(field, f"an array of shape {a.shape}", "a non-empty image array")
    pixels = np.ascontiguousarray(_as_bytes(np, a, field)).reshape(height, width * channels)
    # Each PNG row starts with its filter type; 0 (none) leaves the work to zlib.
    raw = np.hstack([np.zeros((height, 1), np.uint8), pixels]).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOUR[channels], 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, 6)),
            _chunk(b"IEND", b""),
        ]
    )


def _frames(np: Any, a: Any, field: str) -> Any:
    """(samples, channels), whichever way round the array holds them."""
    if a.ndim == 1:
        return a[:, None]
    if a.ndim == 2 and a.shape[1] <= MAX_CHANNELS:
        return a
    if a.ndim == 2 and a.shape[0] <= MAX_CHANNELS:
        return a.T  # (channels, samples), as IPython.display.Audio takes it
    raise ParameterError(
        field,
        f"an array of shape {a.shape}",
        f"a sound array of shape (samples,) or (samples, channels) with at most "
        f"{MAX_CHANNELS} channels",
    )


def wav_from_array(arr: Any, rate: Any, field: str = "--audio") -> bytes:
    import numpy as np

    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or not 0 < rate <= 768_000:
        raise ParameterError(field, rate, "a sample rate in Hz: a whole number from 1 to 768000")
    a = _frames(np, np.asarray(arr), field)
    if not a.size:
        raise ParameterError(field, "an empty array", "at least one sample")
    kind = a.dtype.kind
    if kind == "u" or kind == "i":
        info = np.iinfo(a.dtype)
        # Integers are full scale of their type (uint8 PCM is centred on 128).
        middle = (int(info.max) + int(info.min) + 1) / 2
        a = (a.astype(np.float64) - middle) / (info.max - middle)
    elif kind != "f":
        raise ParameterError(field, f"an array of dtype {a.dtype}", "numbers (samples)")
    if not np.isfinite(a).all():
        raise ParameterError(field, "an array with NaN or infinity", "finite samples")
    peak = float(np.abs(a).max())
    if peak > 1:
        a = a / peak  # as IPython.display.Audio does: louder than full scale would clip
    pcm = np.rint(a * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    return buf.getvalue()
