"""Image, audio, video and file parts, refused or accepted the way Venice does
(spec/API-NOTES.md §1.3): a model needs the capability for each kind (supportsVision,
supportsAudioInput, supportsVideoInput; files need none, Venice reads them as text), at most
10 images, 5 audio clips, 3 videos and 5 files in one message, at most 3 videos in a request,
and the model's own ``maxImages``. A single-image model is sent several anyway (Venice keeps
the last message's images). Only user
messages may carry them: the request schema already refuses them elsewhere.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from venice_jupyter.offline.models import OfflineModel
from venice_jupyter.offline.validation import HttpError, capability_error, detailed_error

__all__ = ["check_media"]

PER_MESSAGE: Final = {"image_url": 10, "input_audio": 5, "video_url": 3, "file": 5}
VIDEOS_PER_REQUEST: Final = 3


def _too_many(path: list[Any], kind: str, limit: int) -> HttpError:
    issue = {
        "code": "too_big",
        "maximum": limit,
        "type": "array",
        "inclusive": True,
        "exact": False,
        "path": path,
        "message": f"At most {limit} {kind} parts are allowed",
    }
    return HttpError(400, detailed_error([issue]))


def check_media(body: dict[str, Any], model: OfflineModel) -> None:
    gates = {
        "image_url": model.vision,
        "input_audio": model.audio_input,
        "video_url": model.video_input,
        "file": True,
    }
    videos = 0
    for i, message in enumerate(body["messages"]):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        counts = Counter(p.get("type") for p in content if isinstance(p, dict))
        for kind, allowed in gates.items():
            if counts[kind] and not allowed:
                raise capability_error(kind)
        for kind, limit in PER_MESSAGE.items():
            if counts[kind] > limit:
                raise _too_many(["messages", i, "content"], kind, limit)
        if 1 < model.max_images < counts["image_url"]:
            raise _too_many(["messages", i, "content"], "image_url", model.max_images)
        videos += counts["video_url"]
    if videos > VIDEOS_PER_REQUEST:
        raise _too_many(["messages"], "video_url", VIDEOS_PER_REQUEST)
