"""``--audio`` and ``--video``: sound and film as ``input_audio`` / ``video_url`` parts.

Audio (base64 data only: Venice does not fetch audio URLs):

    a str or PathLike naming a file      wav, mp3, aiff, aac, ogg, flac or m4a, by extension
                                         or, failing that, by its first bytes
    bytes, (name, bytes), FileUpload     the format from the name or the first bytes
    IPython.display.Audio                its encoded data (a WAV when made from an array)
    (array, rate) or (rate, array)       a numpy array and its sample rate, as 16-bit WAV

Video:

    "http(s)://…"                        passed as the URL (public, no redirects; YouTube works
                                         with some providers)
    "data:video/…;base64,…"              passed through
    a file, bytes, (name, bytes)         mp4, mpeg, mov or webm, as a data URL
    IPython.display.Video                its URL, file or data

A name of a notebook variable is first replaced by its value.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any, Final

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._arrays import is_array, wav_from_array
from venice_jupyter.request._sources import (
    Attachment,
    check_size,
    data_url,
    read_path,
    resolve,
    upload_item,
)

__all__ = ["AUDIO_FORMATS", "VIDEO_TYPES", "audio_attachment", "video_attachment"]

AUDIO_FORMATS: Final = {"wav": "wav", "wave": "wav", "mp3": "mp3", "aiff": "aiff",
                        "aif": "aiff", "aifc": "aiff", "aac": "aac", "ogg": "ogg", "oga": "ogg",
                        "opus": "ogg", "flac": "flac", "m4a": "m4a"}  # fmt: skip
VIDEO_TYPES: Final = {"mp4": "video/mp4", "m4v": "video/mp4", "mpeg": "video/mpeg",
                      "mpg": "video/mpeg", "mov": "video/quicktime",
                      "webm": "video/webm"}  # fmt: skip
AUDIO_TEXT: Final = "a wav, mp3, aiff, aac, ogg, flac or m4a recording"
VIDEO_TEXT: Final = "an mp4, mpeg, mov or webm video"


def _ext(name: str) -> str:
    base = os.path.basename(name)
    return base.rpartition(".")[2].lower() if "." in base else ""


def _sniff_audio(data: bytes) -> str | None:
    head = data[:12]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # An MPEG audio frame; layer bits 00 mean ADTS, the framing of raw AAC.
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    return None


def _audio_part(data: bytes, fmt: str | None, label: str) -> Attachment:
    check_size("--audio", len(data), label)
    fmt = fmt or _sniff_audio(data)
    if fmt is None:
        raise ParameterError(
            "--audio", label, AUDIO_TEXT, hint=f"Its first bytes are {data[:12]!r}, none of these."
        )
    encoded = base64.b64encode(data).decode("ascii")
    return Attachment({"type": "input_audio", "input_audio": {"data": encoded, "format": fmt}},
                      label, len(data))  # fmt: skip


def _array_and_rate(value: Any) -> tuple[Any, Any] | None:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        first, second = value
        if is_array(first) and not is_array(second):
            return first, second
        if is_array(second) and not is_array(first):
            return second, first  # scipy.io.wavfile.read gives (rate, data)
    return None


def audio_attachment(obj: Any, namespace: Mapping[str, Any] | None = None) -> Attachment:
    value, label = resolve(obj, namespace)
    if isinstance(value, str) and value.startswith(("http://", "https://", "data:")):
        if value.startswith("data:audio/") and ";base64," in value:
            head, _, encoded = value.partition(";base64,")
            return _audio_part(base64.b64decode(encoded), AUDIO_FORMATS.get(head[11:]), label)
        raise ParameterError(
            "--audio", value, f"a file, bytes or a variable ({AUDIO_TEXT})",
            hint="Venice takes audio only as base64 data, not as a URL: download it first.",
        )  # fmt: skip
    if isinstance(value, (str, os.PathLike)):
        name = os.fspath(value)
        return _audio_part(read_path("--audio", name, AUDIO_TEXT), AUDIO_FORMATS.get(_ext(name)),
                           label)  # fmt: skip
    pair = _array_and_rate(value)
    if pair is not None:
        return _audio_part(wav_from_array(pair[0], pair[1]), "wav", label)
    if is_array(value):
        raise ParameterError(
            "--audio", label, "a sound array with its sample rate",
            hint="Pass (array, rate), e.g. (samples, 16000), or IPython.display.Audio(samples, "
            "rate=16000).",
        )  # fmt: skip
    if type(value).__name__ == "Audio" and hasattr(value, "data"):  # IPython.display.Audio
        data = value.data
        if isinstance(data, (bytes, bytearray)):
            mime = str(getattr(value, "mimetype", "") or "")
            return _audio_part(bytes(data), AUDIO_FORMATS.get(mime.rpartition("/")[2]), label)
        raise ParameterError(
            "--audio", label, "an Audio object holding its data",
            hint="This one only points at a URL; make it with Audio(filename=…) or Audio(data).",
        )  # fmt: skip
    item = upload_item(value)
    if item is not None:
        return _audio_part(item[1], AUDIO_FORMATS.get(_ext(item[0])), label)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _audio_part(bytes(value), None, label)
    raise ParameterError(
        "--audio", value, f"a file path, bytes, (array, rate) or IPython Audio ({AUDIO_TEXT})"
    )


def _sniff_video(data: bytes) -> str | None:
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:12] == b"qt  " else "video/mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    if data[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "video/mpeg"
    return None


def _video_part(data: bytes, mime: str | None, label: str) -> Attachment:
    check_size("--video", len(data), label)
    mime = mime or _sniff_video(data)
    if mime is None:
        raise ParameterError(
            "--video", label, VIDEO_TEXT, hint=f"Its first bytes are {data[:12]!r}, none of these."
        )
    return Attachment({"type": "video_url", "video_url": {"url": data_url(mime, data)}},
                      label, len(data))  # fmt: skip


def _url_part(url: str, label: str) -> Attachment:
    size = len(url) * 3 // 4 if url.startswith("data:") else 0
    if size:
        check_size("--video", size, label)
    return Attachment({"type": "video_url", "video_url": {"url": url}}, label, size)


def video_attachment(obj: Any, namespace: Mapping[str, Any] | None = None) -> Attachment:
    value, label = resolve(obj, namespace)
    if type(value).__name__ == "Video" and hasattr(value, "embed"):  # IPython.display.Video
        data, url, filename = value.data, value.url, value.filename
        if isinstance(data, (bytes, bytearray)):
            return _video_part(bytes(data), getattr(value, "mimetype", None), label)
        value = url or filename
        if not isinstance(value, str):
            raise ParameterError("--video", label, "a Video with a URL, a file or data")
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return _url_part(value, label)
    if isinstance(value, str) and value.startswith("data:"):
        if not value.startswith("data:video/") or ";base64," not in value:
            raise ParameterError("--video", label, "a data:video/…;base64,… URL")
        return _url_part(value, label)
    if isinstance(value, (str, os.PathLike)):
        name = os.fspath(value)
        return _video_part(read_path("--video", name, VIDEO_TEXT), VIDEO_TYPES.get(_ext(name)),
                           label)  # fmt: skip
    item = upload_item(value)
    if item is not None:
        return _video_part(item[1], VIDEO_TYPES.get(_ext(item[0])), label)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _video_part(bytes(value), None, label)
    raise ParameterError("--video", value, f"a URL, a file path or bytes ({VIDEO_TEXT})")
