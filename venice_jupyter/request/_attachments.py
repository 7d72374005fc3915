"""Everything a user message may carry besides its text, as ``Attachment`` parts.

    attach(images=, files=, audio=, video=, namespace=)   -> [Attachment], images first
    image_attachment / file_attachment / audio_attachment / video_attachment   one of each

``%%venice --image/--file/--audio/--video``, ``chat(images=, files=, audio=, video=)``, the
panel's Attach button and ``compare`` all build their parts here; ``Session.prepare`` puts
them in the user message and checks Venice's limits (``_limits``) and the model's
capabilities (``_capabilities``) before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from venice_jupyter.request._arrays import is_array
from venice_jupyter.request._files import file_attachment
from venice_jupyter.request._images import to_data_url
from venice_jupyter.request._media import audio_attachment, video_attachment
from venice_jupyter.request._messages import image_part
from venice_jupyter.request._sources import Attachment, resolve

__all__ = [
    "Attachment",
    "attach",
    "audio_attachment",
    "file_attachment",
    "image_attachment",
    "video_attachment",
]


def image_attachment(obj: Any, namespace: Mapping[str, Any] | None = None) -> Attachment:
    _, label = resolve(obj, namespace)
    url = to_data_url(obj, namespace)
    part = image_part(0, url)
    size = len(url) * 3 // 4 if url.startswith("data:") else 0
    return Attachment(part, label, size)


def _many(value: Any) -> list[Any]:
    """One thing or several: a list or tuple of them (a (name, bytes) pair or an (array, rate)
    pair is one thing), or None for none."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, tuple) and not _is_pair(value):
        return list(value)
    return [value]


def _is_pair(value: tuple[Any, ...]) -> bool:
    if len(value) != 2:
        return False
    named = isinstance(value[0], str) and isinstance(value[1], (bytes, bytearray, memoryview))
    # (samples, rate) or (rate, samples): one array and one whole number; two arrays are two.
    arrays = [is_array(v) for v in value]
    rates = [isinstance(v, int) and not isinstance(v, bool) for v in value]
    sound = sum(arrays) == 1 and any(r and not a for r, a in zip(rates, arrays, strict=True))
    return named or sound


def attach(
    *,
    images: Any = (),
    files: Any = (),
    audio: Any = (),
    video: Any = (),
    namespace: Mapping[str, Any] | None = None,
) -> list[Attachment]:
    """Every attachment, converted and size-checked (nothing is sent; counts and the model's
    capabilities are checked when the request is prepared)."""
    out: list[Attachment] = []
    makers: Iterable[tuple[Any, Any]] = (
        (images, image_attachment),
        (audio, audio_attachment),
        (video, video_attachment),
        (files, file_attachment),
    )
    for values, make in makers:
        for value in _many(values):
            out.append(value if isinstance(value, Attachment) else make(value, namespace))
    return out
