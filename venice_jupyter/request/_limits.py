"""Venice's limits on what a request may carry besides text (spec/API-NOTES.md §1.3, §3.2).

    PART_LIMITS           most parts of each kind in one user message: 10 images, 5 audio
                          clips, 3 videos, 5 files
    count_parts(m)        how many parts of each kind a message has
    check_parts(m)        the message within those limits (ParameterError naming the limit)
    check_roles(msgs)     media only in user messages
    check_body(body)      the whole request: that, at most 3 videos, at most 35 MB of JSON

Only user messages may carry image, audio, video or file parts; a model must also have the
capability (``_capabilities``). Each error names the option, the limit and what to do.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any, Final

from venice_jupyter.errors import ParameterError

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_VIDEOS_PER_REQUEST",
    "MEDIA_KINDS",
    "OPTIONS",
    "PART_LIMITS",
    "check_body",
    "check_parts",
    "check_roles",
    "count_parts",
    "words",
]

PART_LIMITS: Final = {"image_url": 10, "input_audio": 5, "video_url": 3, "file": 5}
MEDIA_KINDS: Final = frozenset(PART_LIMITS)
OPTIONS: Final = {"image_url": "--image", "input_audio": "--audio", "video_url": "--video",
                  "file": "--file"}  # fmt: skip
_WORDS: Final = {
    "image_url": ("image", "images"),
    "input_audio": ("audio clip", "audio clips"),
    "video_url": ("video", "videos"),
    "file": ("file", "files"),
}
MAX_VIDEOS_PER_REQUEST: Final = 3  # the spec's video_url: "At most 3 videos … in one request"
MAX_BODY_BYTES: Final = 35 * 1024 * 1024  # larger bodies get 413 PAYLOAD_TOO_LARGE


def words(kind: str, n: int) -> str:
    """``"1 image"``, ``"3 audio clips"``."""
    one, many = _WORDS.get(kind, (kind, kind))
    return f"{n} {one if n == 1 else many}"


def count_parts(message: Mapping[str, Any]) -> Counter[str]:
    content = message.get("content")
    parts = content if isinstance(content, list) else []
    return Counter(str(p.get("type")) for p in parts if isinstance(p, dict))


def check_parts(message: Mapping[str, Any]) -> None:
    """A user message's attachments within Venice's per-message counts."""
    for kind, n in count_parts(message).items():
        limit = PART_LIMITS.get(kind)
        if limit is not None and n > limit:
            raise ParameterError(
                OPTIONS[kind],
                words(kind, n),
                f"at most {words(kind, limit)} in one message (Venice's limit)",
                hint="Send the rest in a following message.",
            )


def check_roles(messages: Any) -> None:
    """Media in user messages only."""
    for i, message in enumerate(messages or ()):
        counts = count_parts(message)
        media = sorted(k for k in counts if k in MEDIA_KINDS)
        if media and message.get("role") != "user":
            raise ParameterError(
                f"messages[{i}]",
                f"a {message.get('role')} message with {words(media[0], counts[media[0]])}",
                "text only: only user messages may carry image, audio, video or file parts",
            )


def check_body(body: Mapping[str, Any], *, size: int | None = None) -> None:
    """What Venice checks over the whole request; ``size`` is the JSON's length if known."""
    messages = body.get("messages") or ()
    check_roles(messages)
    videos = sum(count_parts(m).get("video_url", 0) for m in messages)
    if videos > MAX_VIDEOS_PER_REQUEST:
        raise ParameterError(
            "--video",
            f"{videos} videos in this request",
            f"at most {MAX_VIDEOS_PER_REQUEST} videos in one request, history included "
            "(Venice's limit)",
            hint="Start the conversation afresh (--new) or send this one with --no-history.",
        )
    if size is None and not any(MEDIA_KINDS & set(count_parts(m)) for m in messages):
        return  # text alone stays far below 35 MB: a context window is a few MB at most
    if size is None:
        size = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise ParameterError(
            "request",
            f"{size / 2**20:.1f} MB of JSON",
            f"at most {MAX_BODY_BYTES // 2**20} MB (Venice answers 413 above that)",
            hint="Attachments travel as base64 (a third larger) and the history resends them: "
            "send smaller files, fewer of them, or use --no-history.",
        )
