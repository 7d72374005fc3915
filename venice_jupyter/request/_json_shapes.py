"""The shapes of the JSON-valued request fields (tools, response_format, reasoning …).

Each checker follows ``ChatCompletionRequest`` in the vendored spec, tightened where the spec is
looser than what the server or upstream providers accept, and raises ``ParameterError`` naming
the exact place (``tools[0].function.name``) and what is allowed there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._table import PARAMS

__all__ = ["JSON_ALLOWED", "JSON_SHAPES", "fail"]


def fail(field: str, value: Any, allowed_text: str, hint: str = "") -> NoReturn:
    raise ParameterError(field, value, allowed_text, hint=hint)


def _keys(field: str, obj: Any, allowed_keys: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        fail(field, obj, what)
    extra = sorted(set(obj) - set(allowed_keys))
    if extra:
        fail(
            field,
            obj,
            what,
            f"Unknown key(s) {', '.join(extra)}; allowed: {', '.join(allowed_keys)}.",
        )
    return obj


def _enum(field: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        fail(field, value, "one of " + ", ".join(repr(c) for c in choices))


def _name(field: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        fail(field, value, "a non-empty string")


def _tools(value: Any) -> None:
    if not isinstance(value, list) or not value:
        fail("tools", value, JSON_ALLOWED["tools"], "Use None to unset it.")
    for i, tool in enumerate(value):
        field = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind in ("web_search", "x_search"):
            _keys(field, tool, ("type",), "a tool object")
            continue
        _keys(field, tool, ("type", "function", "id"), 'a {"type": "function", ...} object')
        _enum(f"{field}.type", kind, ("function", "web_search", "x_search"))
        fn = _keys(
            f"{field}.function",
            tool.get("function"),
            ("name", "description", "parameters", "strict"),
            "a function object",
        )
        _name(f"{field}.function.name", fn.get("name"))
        if not isinstance(fn.get("description", ""), str):
            fail(f"{field}.function.description", fn["description"], "a string")
        if not isinstance(fn.get("parameters", {}), dict):
            fail(f"{field}.function.parameters", fn["parameters"], "a JSON Schema object")
        if not isinstance(fn.get("strict", False), bool):
            fail(f"{field}.function.strict", fn["strict"], "true or false")
        if not isinstance(tool.get("id", ""), str):
            fail(f"{field}.id", tool["id"], "a string")


def _tool_choice(value: Any) -> None:
    if isinstance(value, str):
        _enum("tool_choice", value, ("auto", "none", "required"))
        return
    _keys("tool_choice", value, ("type", "function"), JSON_ALLOWED["tool_choice"])
    _enum("tool_choice.type", value.get("type"), ("function",))
    fn = _keys("tool_choice.function", value.get("function"), ("name",), '{"name": ...}')
    _name("tool_choice.function.name", fn.get("name"))


def _response_format(value: Any) -> None:
    kind = value.get("type") if isinstance(value, dict) else None
    extra: tuple[str, ...] = ("json_schema",) if kind == "json_schema" else ()
    _keys("response_format", value, ("type", *extra), JSON_ALLOWED["response_format"])
    _enum("response_format.type", kind, ("json_schema", "json_object", "text"))
    if kind != "json_schema":
        return
    # The spec leaves json_schema free-form, but Claude, Gemini and Grok only read the schema
    # from json_schema.schema and OpenAI requires a name (spec/API-NOTES.md §1.1): both required.
    hint = 'Use {"type": "json_schema", "json_schema": {"name": "answer", "schema": {...}}}.'
    inner = value.get("json_schema")
    if not isinstance(inner, dict):
        fail("response_format.json_schema", inner, "an object", hint)
    # Checked before the key list: the spec's own example puts the JSON Schema directly under
    # json_schema, and "schema is missing" says more than "unknown key properties".
    if not isinstance(inner.get("schema"), dict):
        fail(
            "response_format.json_schema.schema", inner.get("schema"), "a JSON Schema object", hint
        )
    if not isinstance(inner.get("name"), str) or not inner["name"]:
        fail("response_format.json_schema.name", inner.get("name"), "a non-empty string", hint)
    _keys(
        "response_format.json_schema",
        inner,
        ("name", "schema", "strict", "description"),
        "a json_schema object",
    )
    if not isinstance(inner.get("strict", False), bool):
        fail("response_format.json_schema.strict", inner["strict"], "true or false")


def _reasoning(value: Any) -> None:
    # "enabled" is not in the spec's property list, but the spec does not close the object and
    # Venice's reasoning guide recommends {"enabled": false} to turn reasoning off.
    obj = _keys("reasoning", value, ("effort", "summary", "enabled"), JSON_ALLOWED["reasoning"])
    if not obj:
        fail("reasoning", value, JSON_ALLOWED["reasoning"], "Use None to unset it.")
    if "effort" in obj:
        _enum("reasoning.effort", obj["effort"], PARAMS["reasoning_effort"].choices)
    if "summary" in obj:
        _enum("reasoning.summary", obj["summary"], ("auto", "concise", "detailed"))
    if not isinstance(obj.get("enabled", False), bool):
        fail("reasoning.enabled", obj["enabled"], "true or false")


def _stream_options(value: Any) -> None:
    obj = _keys("stream_options", value, ("include_usage",), JSON_ALLOWED["stream_options"])
    if not isinstance(obj.get("include_usage", False), bool):
        fail("stream_options.include_usage", obj["include_usage"], "true or false")


def _text(value: Any) -> None:
    obj = _keys("text", value, ("verbosity",), JSON_ALLOWED["text"])
    if "verbosity" in obj:
        _enum("text.verbosity", obj["verbosity"], PARAMS["verbosity"].choices)


def _metadata(value: Any) -> None:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        fail("metadata", value, JSON_ALLOWED["metadata"])


def _fallbacks(value: Any) -> None:
    if not isinstance(value, list) or not 1 <= len(value) <= (PARAMS["fallbacks"].max_items or 0):
        fail("fallbacks", value, JSON_ALLOWED["fallbacks"])
    for i, item in enumerate(value):
        _name(
            f"fallbacks[{i}].model",
            _keys(f"fallbacks[{i}]", item, ("model",), '{"model": ...}').get("model"),
        )


JSON_ALLOWED: Mapping[str, str] = {
    "tools": 'a non-empty list of tools like {"type": "function", "function": {"name": ...}}',
    "tool_choice": '"auto", "none", "required" or {"type": "function", "function": {"name": ...}}',
    "response_format": 'an object with "type" one of json_schema, json_object, text',
    "reasoning": 'an object with "effort", "summary" and/or "enabled"',
    "stream_options": '{"include_usage": true or false}',
    "text": '{"verbosity": "low" | "medium" | "high" | "auto"}',
    "metadata": "an object mapping strings to strings",
    "fallbacks": 'a list of 1 to 10 objects like {"model": "claude-opus-4-8"}',
}

JSON_SHAPES: Mapping[str, Callable[[Any], None]] = {
    "tools": _tools,
    "tool_choice": _tool_choice,
    "response_format": _response_format,
    "reasoning": _reasoning,
    "stream_options": _stream_options,
    "text": _text,
    "metadata": _metadata,
    "fallbacks": _fallbacks,
}
