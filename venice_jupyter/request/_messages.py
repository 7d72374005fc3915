"""Chat messages as the spec's ``ChatCompletionRequest.messages`` items: plain, valid dicts.

Each helper checks what the spec (and Venice's documented behaviour) requires, so a bad message
fails here with a ``ParameterError`` instead of as a 400 after the request was sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._checks import SURROGATE_HINT
from venice_jupyter.request._limits import MEDIA_KINDS, PART_LIMITS, check_parts, check_roles

__all__ = [
    "MAX_IMAGES",
    "ROLES",
    "assistant",
    "check_messages",
    "developer",
    "image_data_url",
    "system",
    "tool",
    "user",
]

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
MAX_IMAGES = PART_LIMITS["image_url"]  # Venice's per-message cap (spec/API-NOTES.md §1.3)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _text(field: str, text: Any) -> str:
    # The spec's text parts need minLength 1; a blank message is never what was meant either.
    if not isinstance(text, str) or not text.strip():
        raise ParameterError(field, text, "a non-empty string")
    return text


def system(text: str) -> dict[str, Any]:
    return {"role": "system", "content": _text("system", text)}


def developer(text: str) -> dict[str, Any]:
    """Instructions for reasoning models; like a system message (spec: ``developer`` role)."""
    return {"role": "developer", "content": _text("developer", text)}


def image_data_url(data: bytes, mime: str | None = None) -> str:
    """``data:<mime>;base64,…`` for image bytes; the type is sniffed when ``mime`` is None."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ParameterError("image", data, "non-empty image bytes")
    if mime is None:
        mime = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
        if mime is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            mime = "image/webp"
        if mime is None:
            raise ParameterError(
                "image",
                bytes(data[:12]),
                "PNG, JPEG, GIF or WEBP bytes",
                hint="Pass mime='image/…' if the format is right but not recognised.",
            )
    elif not (mime.startswith("image/") and mime[6:].isprintable() and mime[6:].strip("/ ")):
        raise ParameterError("mime", mime, "an image MIME type such as 'image/png'")
    return f"data:{mime};base64,{base64.b64encode(bytes(data)).decode('ascii')}"


def image_part(index: int, image: str | bytes) -> dict[str, Any]:
    url = image_data_url(image) if isinstance(image, (bytes, bytearray)) else image
    if not isinstance(url, str) or not url.startswith(("data:image/", "https://")):
        raise ParameterError(
            f"images[{index}]",
            image,
            "image bytes, a data:image/… URL or an https:// URL",
            hint="Venice fetches URLs itself, so they must be public.",
        )
    return {"type": "image_url", "image_url": {"url": url}}


def user(
    text: str,
    images: Iterable[str | bytes] = (),
    parts: Iterable[Mapping[str, Any]] = (),
    *,
    check: bool = True,
) -> dict[str, Any]:
    """A user message; with images or other ``parts`` (audio, video, file: see
    ``request.Attachment``), the content is a text part followed by them, images first.
    ``check=False`` leaves Venice's per-message counts to the caller (a dry run reports them)."""
    built = [image_part(i, image) for i, image in enumerate(images)]
    for part in parts:
        if not isinstance(part, Mapping) or part.get("type") not in MEDIA_KINDS:
            raise ParameterError(
                "parts", part, "content parts of type image_url, input_audio, video_url or file"
            )
        built.append(dict(part))
    message: dict[str, Any]
    if not built:
        return {"role": "user", "content": _text("user", text)}
    # An attachment-only message is fine, but an empty text part violates the spec's minLength.
    if isinstance(text, str) and not text.strip():
        message = {"role": "user", "content": built}
    else:
        message = {"role": "user", "content": [{"type": "text", "text": _text("user", text)},
                                               *built]}  # fmt: skip
    if check:
        check_parts(message)
    return message


def _json_list(field: str, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ParameterError(field, value, "a non-empty list")
    try:
        copied: list[Any] = json.loads(json.dumps(list(value), allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise ParameterError(field, value, "plain JSON data", hint=str(exc)) from None
    return copied


def _check_tool_call(i: int, call: Any) -> None:
    where = f"tool_calls[{i}]"
    fn = call.get("function") if isinstance(call, dict) else None
    if not isinstance(call, dict) or not isinstance(call.get("id"), str) or not call["id"]:
        raise ParameterError(where, call, 'a tool call {"id": ..., "type": "function", ...}')
    if call.get("type", "function") != "function" or not isinstance(fn, dict):
        raise ParameterError(where, call, 'a call with "type": "function" and a function object')
    if not isinstance(fn.get("name"), str) or not fn["name"]:
        raise ParameterError(f"{where}.function.name", fn.get("name"), "a non-empty string")
    if not isinstance(fn.get("arguments", ""), str):
        raise ParameterError(
            f"{where}.function.arguments",
            fn["arguments"],
            "a JSON-encoded string",
            hint="Pass json.dumps(arguments), as the API returns it.",
        )


def assistant(
    content: str | None,
    *,
    reasoning_content: str | None = None,
    tool_calls: Sequence[Mapping[str, Any]] | None = None,
    reasoning_details: Sequence[Mapping[str, Any]] | None = None,
    thought_signature: str | None = None,
) -> dict[str, Any]:
    """A previous assistant turn. It needs content or tool calls (the spec says so, and
    Venice silently drops assistant messages with neither). Pass ``reasoning_details`` and
    ``thought_signature`` back exactly as received; they carry provider thought signatures."""
    message: dict[str, Any] = {"role": "assistant"}
    if content is not None and not isinstance(content, str):
        raise ParameterError("assistant", content, "a string or None")
    if content:
        message["content"] = content
    if tool_calls is not None:
        calls = _json_list("tool_calls", tool_calls)
        for i, call in enumerate(calls):
            _check_tool_call(i, call)
        message["tool_calls"] = calls
    if "content" not in message and "tool_calls" not in message:
        raise ParameterError("assistant", content, "non-empty content or tool_calls")
    for field, value in (
        ("reasoning_content", reasoning_content),
        ("thought_signature", thought_signature),
    ):
        if value is not None:
            if not isinstance(value, str):
                raise ParameterError(field, value, "a string")
            message[field] = value
    if reasoning_details is not None:
        details = _json_list("reasoning_details", reasoning_details)
        for i, item in enumerate(details):
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise ParameterError(f"reasoning_details[{i}]", item, 'an object with "type"')
        message["reasoning_details"] = details
    return message


def tool(tool_call_id: str, content: str) -> dict[str, Any]:
    """The result of a tool call, answering the assistant's call ``tool_call_id``."""
    if not isinstance(tool_call_id, str) or not tool_call_id:
        raise ParameterError("tool_call_id", tool_call_id, "the non-empty id of a tool call")
    if not isinstance(content, str):
        raise ParameterError(
            "tool", content, "a string", hint="Serialise structured results with json.dumps()."
        )
    return {"role": "tool", "tool_call_id": tool_call_id, "content": content}


def _no_nulls(where: str, value: Any) -> None:
    """No null anywhere (Venice rejects them), and every string sendable as UTF-8."""
    if value is None:
        raise ParameterError(where, None, "a value", hint="Venice rejects null; omit the key.")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ParameterError(where, value, "valid Unicode text", hint=SURROGATE_HINT) from None
    children: Iterable[tuple[str, Any]] = ()
    if isinstance(value, dict):
        children = ((f"{where}.{k}", v) for k, v in value.items())
    elif isinstance(value, list):
        children = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    for child_where, child in children:
        _no_nulls(child_where, child)


def check_messages(messages: Any) -> list[dict[str, Any]]:
    """The request's messages, checked: a non-empty list of dicts with known roles, no nulls."""
    if not isinstance(messages, list) or not messages:
        raise ParameterError(
            "messages",
            messages,
            "a non-empty list of message dicts",
            hint="Build them with venice_jupyter.request._messages (user(), system(), …).",
        )
    out = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ParameterError(
                f"messages[{i}]", message, "a dict whose role is one of " + ", ".join(sorted(ROLES))
            )
        # Replies parsed from OpenAI-shaped JSON carry "content": None and the like; dropping
        # such keys keeps them re-sendable, while a null deeper down is a real mistake.
        cleaned = {k: v for k, v in message.items() if v is not None}
        _no_nulls(f"messages[{i}]", cleaned)
        out.append(cleaned)
    check_roles(out)  # counts and size are checked on the whole request (``check_media``)
    return out
