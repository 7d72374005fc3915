"""POST /chat/completions body validation, answering the way Venice's zod schema does.

The top level is strict (unknown keys are an ``unrecognized_keys`` issue), ``null`` is only
accepted where the spec says ``nullable`` (``stop``, ``tools``, assistant ``content``), and
nested objects drop unknown keys. Failures become Venice's ``DetailedError``::

    {"error": "Invalid request parameters",
     "details": {"_errors": [], "temperature": {"_errors": ["Number must be ..."]}},
     "issues": [{"code": "too_big", "path": ["temperature"], "message": "...", ...}]}

Aliases Venice rewrites before validating (``input``, ``max_output_tokens``, ``web_search``,
``promptCacheKey``) are rewritten here too. Offline limits beyond the spec: ``n`` is 1..16 and
``top_logprobs`` at most 20.
"""

from __future__ import annotations

from typing import Any, Final

from venice_jupyter.offline.validation._zodlike import (
    BOOL,
    OBJECT,
    STRING,
    Check,
    Issue,
    Path,
    array,
    either,
    enum,
    nullable,
    number,
    obj,
    string_map,
    type_issue,
    typed,
)

__all__ = ["VENICE_PARAMETERS", "RequestInvalid", "detailed_error", "validate_request"]


class RequestInvalid(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(issues[0]["message"] if issues else "invalid")
        self.issues = issues


_TEXT_PART: Final = obj(
    {"type": enum("text"), "text": typed("string", str, 1), "cache_control": OBJECT},
    ["type", "text"],
)
_PARTS: Final = {
    "text": _TEXT_PART,
    "image_url": obj({"type": STRING, "image_url": obj({"url": STRING}, ["url"])}, ["image_url"]),
    "input_audio": obj(
        {
            "type": STRING,
            "input_audio": obj(
                {
                    "data": STRING,
                    "format": enum(
                        "wav", "mp3", "aiff", "aac", "ogg", "flac", "m4a", "pcm16", "pcm24"
                    ),
                },
                ["data"],
            ),
        },
        ["input_audio"],
    ),
    "video_url": obj({"type": STRING, "video_url": obj({"url": STRING}, ["url"])}, ["video_url"]),
    "file": obj({"type": STRING, "file": OBJECT}, ["file"]),
}


def _part(value: Any, path: Path, issues: list[Issue]) -> None:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in _PARTS:
        enum(*_PARTS)(kind, [*path, "type"], issues)
    else:
        _PARTS[kind](value, path, issues)


_TEXT_CONTENT: Final = either(STRING, array(_TEXT_PART))
_ROLES: Final = {
    "user": obj({"content": either(STRING, array(_part)), "name": nullable(STRING)}, ["content"]),
    "assistant": obj(
        {
            "content": nullable(_TEXT_CONTENT),
            "name": nullable(STRING),
            "reasoning_content": nullable(STRING),
            "reasoning_details": array(OBJECT),
            "thought_signature": nullable(STRING),
            "tool_calls": nullable(array()),
        }
    ),
    "tool": obj(
        {"content": STRING, "tool_call_id": STRING, "name": nullable(STRING)},
        ["content", "tool_call_id"],
    ),
    "system": obj({"content": _TEXT_CONTENT, "name": nullable(STRING)}, ["content"]),
    "developer": obj({"content": _TEXT_CONTENT, "name": nullable(STRING)}, ["content"]),
}


def _message(value: Any, path: Path, issues: list[Issue]) -> None:
    role = value.get("role") if isinstance(value, dict) else None
    if not isinstance(value, dict):
        issues.append(type_issue("object", value, path))
    elif role not in _ROLES:
        enum(*_ROLES)(role, [*path, "role"], issues)
    else:
        _ROLES[role](value, path, issues)


_EFFORT: Final = enum("none", "minimal", "low", "medium", "high", "xhigh", "max")
_VERBOSITY: Final = enum("low", "medium", "high", "auto")
_FUNCTION_TOOL: Final = obj(
    {
        "type": STRING,
        "id": STRING,
        "function": obj(
            {"name": STRING, "description": STRING, "parameters": OBJECT, "strict": BOOL}, ["name"]
        ),
    },
    ["function"],
)
_RESPONSE_FORMAT: Final = either(
    obj({"type": enum("json_schema"), "json_schema": OBJECT}, ["type", "json_schema"], strict=True),
    obj({"type": enum("json_object")}, ["type"], strict=True),
    obj({"type": enum("text")}, ["type"], strict=True),
)
VENICE_PARAMETERS: Final = {
    "character_slug": STRING,
    "strip_thinking_response": BOOL,
    "disable_thinking": BOOL,
    "enable_e2ee": BOOL,
    "enable_web_search": enum("auto", "off", "on"),
    "enable_web_scraping": BOOL,
    "enable_web_citations": BOOL,
    "include_search_results_in_stream": BOOL,
    "return_search_results_as_documents": BOOL,
    "include_venice_system_prompt": BOOL,
    "enable_x_search": BOOL,
}
FIELDS: Final[dict[str, Check]] = {
    "model": STRING,
    "messages": array(_message, min_items=1),
    "frequency_penalty": number(-2, 2),
    "presence_penalty": number(-2, 2),
    "repetition_penalty": number(0),
    "logprobs": BOOL,
    "top_logprobs": number(0, 20, integer=True),
    "max_completion_tokens": number(1, integer=True),
    "max_tokens": number(integer=True),
    "max_temp": number(0, 2),
    "min_temp": number(0, 2),
    "temperature": number(0, 2),
    "top_p": number(0, 1),
    "top_k": number(0, integer=True),
    "min_p": number(0, 1),
    "n": number(1, 16, integer=True),
    "seed": number(0, integer=True, exclusive_min=True),
    "stop": nullable(either(STRING, array(STRING, 1, 4))),
    "stop_token_ids": array(number()),
    "stream": BOOL,
    "stream_options": obj({"include_usage": BOOL}),
    "user": STRING,
    "parallel_tool_calls": BOOL,
    "tools": nullable(
        array(either(obj({"type": enum("web_search", "x_search")}, ["type"]), _FUNCTION_TOOL))
    ),
    "tool_choice": either(
        STRING,
        obj({"type": STRING, "function": obj({"name": STRING}, ["name"])}, ["type", "function"]),
    ),
    "response_format": _RESPONSE_FORMAT,
    "reasoning_effort": _EFFORT,
    "reasoning": obj(
        {"effort": _EFFORT, "summary": enum("auto", "concise", "detailed"), "enabled": BOOL}
    ),
    "prompt_cache_key": STRING,
    "prompt_cache_retention": enum("default", "extended", "24h"),
    "verbosity": _VERBOSITY,
    "text": obj({"verbosity": _VERBOSITY}),
    "include": array(STRING),
    "metadata": string_map,
    "store": BOOL,
    "fallbacks": array(obj({"model": STRING}, ["model"]), max_items=10),
    "venice_parameters": obj(VENICE_PARAMETERS),
}
_BODY: Final = obj(FIELDS, ["messages", "model"], strict=True)


def _aliases(body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    for old, new in (
        ("input", "messages"),
        ("max_output_tokens", "max_tokens"),
        ("promptCacheKey", "prompt_cache_key"),
    ):
        if old in out and new not in out:
            out[new] = out.pop(old)
    if isinstance(out.get("web_search"), bool):
        venice = dict(out.get("venice_parameters") or {})
        venice.setdefault("enable_web_search", "on" if out.pop("web_search") else "off")
        out["venice_parameters"] = venice
    return out


def validate_request(body: Any) -> dict[str, Any]:
    """The body with aliases applied, or ``RequestInvalid`` with zod-style issues."""
    if not isinstance(body, dict):
        raise RequestInvalid([type_issue("object", body, [])])
    checked = _aliases(body)
    issues: list[Issue] = []
    _BODY(checked, [], issues)
    if issues:
        raise RequestInvalid(issues)
    return checked


def detailed_error(
    issues: list[Issue], error: str = "Invalid request parameters"
) -> dict[str, Any]:
    """Venice's DetailedError: zod's ``format()`` tree in ``details`` plus the flat ``issues``."""
    details: dict[str, Any] = {"_errors": []}
    for issue in issues:
        node = details
        for key in issue["path"]:
            node = node.setdefault(str(key), {"_errors": []})
        node["_errors"].append(issue["message"])
    return {"error": error, "details": details, "issues": issues}
