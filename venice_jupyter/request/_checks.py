"""Check one parameter value against its table row; return it in canonical form.

Canonical forms keep ``ChatParams`` immutable and comparable: floats are ``float``, lists are
tuples, JSON values are private deep copies (round-tripped through ``json`` so they are
guaranteed serialisable). Every failure is a ``ParameterError`` naming the field, the value and
what is allowed. The shapes of JSON-valued fields are checked in ``_json_shapes``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from venice_jupyter.request._json_shapes import JSON_ALLOWED, JSON_SHAPES, fail
from venice_jupyter.request._table import Param

__all__ = ["allowed", "check_value"]

# The spec allows max_tokens/max_completion_tokens <= 0 ("ignored") and any n; none of those
# requests does what the user meant, so the client refuses them up front.
_IGNORED = "The API ignores values ≤ 0 and uses the model's maximum; unset it instead."
_CLIENT_MINIMUM: Mapping[str, tuple[int, str]] = {
    "max_tokens": (1, _IGNORED),
    "max_completion_tokens": (1, _IGNORED),
    "n": (1, "n is the number of choices to generate."),
}


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
    return JSON_ALLOWED[p.name]


def _check_number(p: Param, value: Any) -> float | int:
    whole = p.type == "int"
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        fail(p.name, value, allowed(p), "Use a whole number." if whole else "")
    if isinstance(value, float) and not math.isfinite(value):
        fail(p.name, value, allowed(p), "NaN and infinity are not valid JSON numbers.")
    low, hint = _CLIENT_MINIMUM.get(p.name, (p.minimum, ""))
    too_low = low is not None and (value <= low if p.exclusive_minimum else value < low)
    if too_low or (p.maximum is not None and value > p.maximum):
        fail(p.name, value, allowed(p), hint)
    if whole:
        return value
    try:
        return float(value)
    except OverflowError:
        fail(p.name, value, allowed(p), "It is too large to send as a JSON number.")


def _check_list(p: Param, value: Any) -> tuple[Any, ...]:
    if p.type == "str_list" and isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not value:
        fail(p.name, value, allowed(p), "Use None to unset it.")
    if p.max_items is not None and len(value) > p.max_items:
        fail(p.name, value, allowed(p))
    for item in value:
        if p.type == "str_list":
            ok = isinstance(item, str) and item != ""
        else:
            ok = isinstance(item, int) and not isinstance(item, bool)
            ok = ok and (p.minimum is None or item >= p.minimum)
        if not ok:
            fail(p.name, value, allowed(p), f"{item!r} is not valid here.")
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
            fail(p.name, value, allowed(p), SURROGATE_HINT)
    return checked


def _canonical(p: Param, value: Any) -> Any:
    if p.type in ("float", "int"):
        return _check_number(p, value)
    if p.type == "bool":
        if not isinstance(value, bool):
            fail(p.name, value, allowed(p))
        return value
    if p.type in ("str", "choice"):
        if not isinstance(value, str) or not value:
            fail(p.name, value, allowed(p))
        if p.type == "choice" and value not in p.choices:
            folded = [c for c in p.choices if c.lower() == value.lower()]
            fail(
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
        fail(p.name, value, allowed(p), f"It must be plain JSON data ({exc}).")
    JSON_SHAPES[p.name](copied)
    return copied
