"""Check one parameter value against its table row; return it in canonical form.

Canonical forms keep ``ChatParams`` immutable and comparable: floats are ``float``, lists are
tuples, JSON values are private deep copies (round-tripped through ``json`` so they are
guaranteed serialisable). Every failure is a ``ParameterError`` naming the field, the value and
what is allowed. The shapes of JSON-valued fields follow ``ChatCompletionRequest`` in the spec,
tightened where the spec is looser than what the server or upstream providers accept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from venice_jupyter.errors import ParameterError
from venice_jupyter.params_table import PARAMS, Param

__all__ = ["allowed", "check_value"]

# The spec allows max_tokens/max_completion_tokens <= 0 ("ignored") and any n; none of those
# requests does what the user meant, so the client refuses them up front.
_IGNORED = "The API ignores values ≤ 0 and uses the model's maximum; unset it instead."
_CLIENT_MINIMUM: Mapping[str, tuple[int, str]] = {
    "max_tokens": (1, _IGNORED),
    "max_completion_tokens": (1, _IGNORED),
    "n": (1, "n is the number of choices to generate."),
}


def _fail(field: str, value: Any, allowed_text: str, hint: str = "") -> NoReturn:
    raise ParameterError(field, value, allowed_text, hint=hint)


def _number_range(p: Param, low: float | None, whole: bool) -> str:
    noun = "a whole number" if whole else "a number"
    high = p.maximum
    if low is not None and high is not None:
        return f"{noun} from {low:g} to {high:g}"
    if low is not None:
        return f"{noun} {'>' if p.exclusive_minimum else '≥'} {low:g}"
    if high is not None:
        return f"{noun} ≤ {high:g}"
    return noun


def allowed(p: Param) -> str:
    """What the parameter accepts, in words (for error messages, --help and docs)."""
    if p.type in ("float", "int"):
        low = _CLIENT_MINIMUM[p.name][0] if p.name in _CLIENT_MINIMUM else p.minimum
        return _number_range(p, low, p.type == "int")
    if p.type == "choice":
        return "one of " + ", ".join(repr(c) for c in p.choices)
    if p.type == "bool":
        return "true or false"
    if p.type == "str":
        return "a non-empty string"
    if p.type in ("str_list", "int_list"):
        item = "non-empty strings" if p.type == "str_list" else "whole numbers"
        upto = f"1 to {p.max_items}" if p.max_items else "one or more"
        single = " (or a single string)" if p.type == "str_list" else ""
        return f"a list of {upto} {item}{single}"
    return _JSON_ALLOWED[p.name]


def _check_number(p: Param, value: Any) -> float | int:
    whole = p.type == "int"
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        _fail(p.name, value, allowed(p), "Use a whole number." if whole else "")
    if isinstance(value, float) and not math.isfinite(value):
        _fail(p.name, value, allowed(p), "NaN and infinity are not valid JSON numbers.")
    low, hint = _CLIENT_MINIMUM.get(p.name, (p.minimum, ""))
    too_low = low is not None and (value <= low if p.exclusive_minimum else value < low)
    if too_low or (p.maximum is not None and value > p.maximum):
        _fail(p.name, value, allowed(p), hint)
    if whole:
        return value
    try:
        return float(value)
    except OverflowError:
        _fail(p.name, value, allowed(p), "It is too large to send as a JSON number.")


def _check_list(p: Param, value: Any) -> tuple[Any, ...]:
    if p.type == "str_list" and isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not value:
        _fail(p.name, value, allowed(p), "Use None to unset it.")
    if p.max_items is not None and len(value) > p.max_items:
        _fail(p.name, value, allowed(p))
    for item in value:
        if p.type == "str_list":
            ok = isinstance(item, str) and item != ""
        else:
            ok = isinstance(item, int) and not isinstance(item, bool)
            ok = ok and (p.minimum is None or item >= p.minimum)
        if not ok:
            _fail(p.name, value, allowed(p), f"{item!r} is not valid here.")
    return tuple(value)


# httpx sends bodies as UTF-8 JSON: a lone surrogate would fail there, after validation.
SURROGATE_HINT = (
    "It holds a lone surrogate such as '\\ud800' (e.g. from a file name read with "
    "surrogateescape), which cannot be sent as UTF-8."
)


def check_value(p: Param, value: Any) -> Any:
    """Return ``value`` in canonical form, or raise ``ParameterError``."""
    checked = _canonical(p, value)
    if p.type not in ("float", "int", "bool"):
        try:
            json.dumps(checked, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            _fail(p.name, value, allowed(p), SURROGATE_HINT)
    return checked


def _canonical(p: Param, value: Any) -> Any:
    if p.type in ("float", "int"):
        return _check_number(p, value)
    if p.type == "bool":
        if not isinstance(value, bool):
            _fail(p.name, value, allowed(p))
        return value
    if p.type in ("str", "choice"):
        if not isinstance(value, str) or not value:
            _fail(p.name, value, allowed(p))
        if p.type == "choice" and value not in p.choices:
            folded = [c for c in p.choices if c.lower() == value.lower()]
            _fail(
                p.name,
                value,
                allowed(p),
                f"Choices are case-sensitive: use {folded[0]!r}." if folded else "",
            )
        return value
    if p.type in ("str_list", "int_list"):
        return _check_list(p, value)
    try:
        copied = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        _fail(p.name, value, allowed(p), f"It must be plain JSON data ({exc}).")
    _JSON_SHAPES[p.name](copied)
    return copied


# -- JSON-valued fields ---------------------------------------------------------------------------


def _keys(field: str, obj: Any, allowed_keys: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        _fail(field, obj, what)
    extra = sorted(set(obj) - set(allowed_keys))
    if extra:
        _fail(
            field,
            obj,
            what,
            f"Unknown key(s) {', '.join(extra)}; allowed: {', '.join(allowed_keys)}.",
        )
    return obj


def _enum(field: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _fail(field, value, "one of " + ", ".join(repr(c) for c in choices))


def _name(field: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        _fail(field, value, "a non-empty string")


def _tools(value: Any) -> None:
    if not isinstance(value, list) or not value:
        _fail("tools", value, _JSON_ALLOWED["tools"], "Use None to unset it.")
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
            _fail(f"{field}.function.description", fn["description"], "a string")
        if not isinstance(fn.get("parameters", {}), dict):
            _fail(f"{field}.function.parameters", fn["parameters"], "a JSON Schema object")
        if not isinstance(fn.get("strict", False), bool):
            _fail(f"{field}.function.strict", fn["strict"], "true or false")
        if not isinstance(tool.get("id", ""), str):
            _fail(f"{field}.id", tool["id"], "a string")


def _tool_choice(value: Any) -> None:
    if isinstance(value, str):
        _enum("tool_choice", value, ("auto", "none", "required"))
        return
    _keys("tool_choice", value, ("type", "function"), _JSON_ALLOWED["tool_choice"])
    _enum("tool_choice.type", value.get("type"), ("function",))
    fn = _keys("tool_choice.function", value.get("function"), ("name",), '{"name": ...}')
    _name("tool_choice.function.name", fn.get("name"))


def _response_format(value: Any) -> None:
    kind = value.get("type") if isinstance(value, dict) else None
    extra: tuple[str, ...] = ("json_schema",) if kind == "json_schema" else ()
    _keys("response_format", value, ("type", *extra), _JSON_ALLOWED["response_format"])
    _enum("response_format.type", kind, ("json_schema", "json_object", "text"))
    if kind != "json_schema":
        return
    # The spec leaves json_schema free-form, but Claude, Gemini and Grok only read the schema
    # from json_schema.schema and OpenAI requires a name (API-NOTES 1.1), so both are required.
    hint = 'Use {"type": "json_schema", "json_schema": {"name": "answer", "schema": {...}}}.'
    inner = value.get("json_schema")
    if not isinstance(inner, dict):
        _fail("response_format.json_schema", inner, "an object", hint)
    # Checked before the key list: the spec's own example puts the JSON Schema directly under
    # json_schema, and "schema is missing" says more than "unknown key properties".
    if not isinstance(inner.get("schema"), dict):
        _fail(
            "response_format.json_schema.schema", inner.get("schema"), "a JSON Schema object", hint
        )
    if not isinstance(inner.get("name"), str) or not inner["name"]:
        _fail("response_format.json_schema.name", inner.get("name"), "a non-empty string", hint)
    _keys(
        "response_format.json_schema",
        inner,
        ("name", "schema", "strict", "description"),
        "a json_schema object",
    )
    if not isinstance(inner.get("strict", False), bool):
        _fail("response_format.json_schema.strict", inner["strict"], "true or false")


def _reasoning(value: Any) -> None:
    # "enabled" is not in the spec's property list, but the spec does not close the object and
    # Venice's reasoning guide recommends {"enabled": false} to turn reasoning off.
    obj = _keys("reasoning", value, ("effort", "summary", "enabled"), _JSON_ALLOWED["reasoning"])
    if not obj:
        _fail("reasoning", value, _JSON_ALLOWED["reasoning"], "Use None to unset it.")
    if "effort" in obj:
        _enum("reasoning.effort", obj["effort"], PARAMS["reasoning_effort"].choices)
    if "summary" in obj:
        _enum("reasoning.summary", obj["summary"], ("auto", "concise", "detailed"))
    if not isinstance(obj.get("enabled", False), bool):
        _fail("reasoning.enabled", obj["enabled"], "true or false")


def _stream_options(value: Any) -> None:
    obj = _keys("stream_options", value, ("include_usage",), _JSON_ALLOWED["stream_options"])
    if not isinstance(obj.get("include_usage", False), bool):
        _fail("stream_options.include_usage", obj["include_usage"], "true or false")


def _text(value: Any) -> None:
    obj = _keys("text", value, ("verbosity",), _JSON_ALLOWED["text"])
    if "verbosity" in obj:
        _enum("text.verbosity", obj["verbosity"], PARAMS["verbosity"].choices)


def _metadata(value: Any) -> None:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        _fail("metadata", value, _JSON_ALLOWED["metadata"])


def _fallbacks(value: Any) -> None:
    if not isinstance(value, list) or not 1 <= len(value) <= (PARAMS["fallbacks"].max_items or 0):
        _fail("fallbacks", value, _JSON_ALLOWED["fallbacks"])
    for i, item in enumerate(value):
        _name(
            f"fallbacks[{i}].model",
            _keys(f"fallbacks[{i}]", item, ("model",), '{"model": ...}').get("model"),
        )


_JSON_ALLOWED: Mapping[str, str] = {
    "tools": 'a non-empty list of tools like {"type": "function", "function": {"name": ...}}',
    "tool_choice": '"auto", "none", "required" or {"type": "function", "function": {"name": ...}}',
    "response_format": 'an object with "type" one of json_schema, json_object, text',
    "reasoning": 'an object with "effort", "summary" and/or "enabled"',
    "stream_options": '{"include_usage": true or false}',
    "text": '{"verbosity": "low" | "medium" | "high" | "auto"}',
    "metadata": "an object mapping strings to strings",
    "fallbacks": 'a list of 1 to 10 objects like {"model": "claude-opus-4-8"}',
}

_JSON_SHAPES: Mapping[str, Callable[[Any], None]] = {
    "tools": _tools,
    "tool_choice": _tool_choice,
    "response_format": _response_format,
    "reasoning": _reasoning,
    "stream_options": _stream_options,
    "text": _text,
    "metadata": _metadata,
    "fallbacks": _fallbacks,
}
