"""A conversation document read back: every field checked before anything is built from it.

The file may come from anyone (a colleague, a download), so it is untrusted input. An import
that fails raises ``ConfigError`` naming the place in the document (``turns[3].user.content``),
what was expected and what was found. The format itself is drawn in ``_files``.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from venice_jupyter.conversation import Conversation, Turn
from venice_jupyter.errors import ConfigError
from venice_jupyter.reply import Choice, Cost, Reply, ToolCall, Usage

__all__ = ["FORMAT", "VERSION", "import_json"]

FORMAT = "venice-jupyter.conversation"
VERSION = 1
_MISSING = object()
# Usage and Cost fields by the type of their default: what a JSON value must be to fill them.
_NUMBERS: dict[type, tuple[Any, str]] = {
    bool: (bool, "true or false"),
    int: (int, "a whole number"),
    float: ((int, float), "a number"),
}


def import_json(text: str) -> Conversation:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"Cannot import the conversation: it is not valid JSON ({exc.msg} at line "
            f"{exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise ConfigError(
            "Cannot import the conversation: its JSON is nested too deeply to be a conversation "
            "saved by `%venice export`."
        ) from None
    if not isinstance(document, dict):
        raise _wrong("the document", document, f"a JSON object with 'format': {FORMAT!r}")
    fmt = _field(document, "", "format", str, repr(FORMAT))
    if fmt != FORMAT:
        raise _wrong("format", fmt, repr(FORMAT), "This is not a venice-jupyter conversation.")
    version = _field(document, "", "version", int, f"the number {VERSION}")
    if version != VERSION:
        newer = "It was written by a newer venice-jupyter; upgrade to import it."
        raise _wrong("version", version, f"{VERSION}", newer if version > VERSION else "")
    name = _field(document, "", "name", str, "the conversation's name")
    if not name.strip():
        raise _wrong("name", name, "a non-empty name")
    system = _field(document, "", "system", (str, type(None)), "a string or null", None)
    turns = _field(document, "", "turns", list, "a list of turns")
    return Conversation(name, system, [_turn(turn, f"turns[{i}]") for i, turn in enumerate(turns)])


def _turn(item: Any, where: str) -> Turn:
    if not isinstance(item, dict):
        raise _wrong(where, item, "an object with 'user' and 'assistant' messages")
    user = _message(_field(item, where, "user", dict, "a user message"), f"{where}.user", "user")
    assistant = _field(item, where, "assistant", dict, "an assistant message")
    _message(assistant, f"{where}.assistant", "assistant")
    steps = _field(item, where, "steps", list, "a list of tool-round messages", [])
    for j, step in enumerate(steps):
        role = step.get("role") if isinstance(step, dict) else None
        _message(step if isinstance(step, dict) else {}, f"{where}.steps[{j}]",
                 "tool" if role == "tool" else "assistant")  # fmt: skip
    results = _field(item, where, "results", list, "a list of tool results", [])
    for j, result in enumerate(results):
        _message(result if isinstance(result, dict) else {}, f"{where}.results[{j}]", "tool")
    model = _field(item, where, "model", str, "a model id", "")
    params = _field(item, where, "params", dict, "an object of parameters", {})
    usage = _field(item, where, "usage", (dict, type(None)), "an object or null", None)
    cost = _field(item, where, "cost", (dict, type(None)), "an object or null", None)
    finish = _field(item, where, "finish_reason", (str, type(None)), "a string or null", None)
    created = _field(item, where, "created", (int, type(None)), "unix seconds or null", None)
    content = assistant.get("content") or ""
    calls = [
        ToolCall(
            i, c["id"], c.get("type", "function"), c["function"]["name"], c["function"]["arguments"]
        )
        for i, c in enumerate(assistant.get("tool_calls") or [])
    ]
    reply = Reply(
        model=model or None,
        created=created,
        choices=[Choice(0, content=content, finish_reason=finish, tool_calls=calls)],
        usage=_record(Usage, usage, f"{where}.usage"),
        cost=_record(Cost, cost, f"{where}.cost"),
        complete=True,
    )
    return Turn(
        user=user, assistant=assistant, reply=reply, model=model, params=params,
        steps=steps, unanswered=results,
    )  # fmt: skip


def _message(message: dict[str, Any], where: str, role: str) -> dict[str, Any]:
    if message.get("role") != role:
        raise _wrong(f"{where}.role", message.get("role", _MISSING), repr(role))
    if role == "tool":
        _field(message, where, "tool_call_id", str, "the id of the call it answers")
        _field(message, where, "content", str, "the result as a string")
        return message
    if role == "user":
        content = _field(message, where, "content", (str, list), "a string or a list of parts")
        for j, part in enumerate(content if isinstance(content, list) else []):
            _part(part, f"{where}.content[{j}]")
        return message
    _field(message, where, "content", (str, type(None)), "a string or null", None)
    calls = _field(message, where, "tool_calls", (list, type(None)), "a list of calls", None)
    if not message.get("content") and not calls:
        raise _wrong(where, message, "an assistant message with content or tool_calls")
    for j, call in enumerate(calls or []):
        if not isinstance(call, dict):
            raise _wrong(f"{where}.tool_calls[{j}]", call, "a tool call object")
        _field(call, f"{where}.tool_calls[{j}]", "id", str, "the call's id")
        _field(call, f"{where}.tool_calls[{j}]", "type", str, "'function'", "function")
        function = _field(call, f"{where}.tool_calls[{j}]", "function", dict, "an object")
        _field(function, f"{where}.tool_calls[{j}].function", "name", str, "a function name")
        _field(function, f"{where}.tool_calls[{j}].function", "arguments", str, "a JSON string")
    return message


def _part(part: Any, where: str) -> None:
    if not isinstance(part, dict):
        raise _wrong(where, part, "a content part object")
    kind = _field(part, where, "type", str, "'text', 'image_url', 'input_audio', 'video_url' "
                  "or 'file'")  # fmt: skip
    if kind == "text":
        _field(part, where, "text", str, "a string")
    elif kind in ("image_url", "video_url"):
        media = _field(part, where, kind, dict, "an object with 'url'")
        _field(media, f"{where}.{kind}", "url", str, "a URL string")
    elif kind == "input_audio":
        audio = _field(part, where, kind, dict, "an object with 'data' and 'format'")
        _field(audio, f"{where}.input_audio", "data", str, "base64 audio data")
    elif kind == "file":
        document = _field(part, where, kind, dict, "an object with 'file_data'")
        _field(document, f"{where}.file", "file_data", str, "a data URL or an https URL")


def _record(cls: type[Any], data: dict[str, Any] | None, where: str) -> Any:
    """``cls(**data)`` (Usage or Cost) after checking the fields it knows; others are ignored."""
    if data is None:
        return None
    values = {}
    for spec in fields(cls):
        kind, expected = _NUMBERS[type(spec.default)]
        values[spec.name] = _field(data, where, spec.name, kind, expected, spec.default)
    return cls(**values)


def _field(
    obj: dict[str, Any], where: str, key: str, kind: Any, expected: str, default: Any = _MISSING
) -> Any:
    path = f"{where}.{key}" if where else key
    value = obj.get(key, _MISSING)
    if value is _MISSING and default is not _MISSING:
        return default
    # bool is an int to Python but not to JSON: true is never a token count or a version.
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise _wrong(path, value, expected)
    return value


def _wrong(path: str, value: Any, expected: str, hint: str = "") -> ConfigError:
    found = _describe(value)
    message = f"Cannot import the conversation: {path} should be {expected}, but it is {found}."
    return ConfigError(message + (f" {hint}" if hint else ""))


def _describe(value: Any) -> str:
    """A value parsed from JSON, as a person would name it."""
    if value is _MISSING or value is None:
        return "missing" if value is _MISSING else "null"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    kind = "a string" if isinstance(value, str) else "a number"
    kind = "a boolean" if isinstance(value, bool) else kind
    shown = json.dumps(value, ensure_ascii=False)
    return f"{kind} ({shown[:60] + '…' if len(shown) > 60 else shown})"
