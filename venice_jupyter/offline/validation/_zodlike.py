"""zod-like checks: small composable validators that report issues the way Venice's zod does.

A ``Check`` appends issues (``{"code", "path", "message", ...}``) instead of raising, so one pass
reports every problem, as zod's ``safeParse`` does. Messages copy zod's wording.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

__all__ = [
    "BOOL",
    "OBJECT",
    "STRING",
    "Check",
    "Issue",
    "Path",
    "array",
    "either",
    "enum",
    "nullable",
    "number",
    "obj",
    "string_map",
    "type_issue",
    "typed",
]

Path = list[str | int]
Issue = dict[str, Any]
Check = Callable[[Any, Path, list[Issue]], None]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "unknown"


def type_issue(expected: str, value: Any, path: Path) -> Issue:
    received = _kind(value)
    return {
        "code": "invalid_type",
        "expected": expected,
        "received": received,
        "path": path,
        "message": f"Expected {expected}, received {received}",
    }


def number(
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    integer: bool = False,
    exclusive_min: bool = False,
) -> Check:
    def check(value: Any, path: Path, issues: list[Issue]) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            issues.append(type_issue("number", value, path))
        elif integer and value != int(value):
            issues.append(
                {
                    **type_issue("integer", value, path),
                    "received": "float",
                    "message": "Expected integer, received float",
                }
            )
        elif minimum is not None and (value <= minimum if exclusive_min else value < minimum):
            words = "greater than" if exclusive_min else "greater than or equal to"
            issues.append(
                {
                    "code": "too_small",
                    "minimum": minimum,
                    "type": "number",
                    "inclusive": not exclusive_min,
                    "exact": False,
                    "path": path,
                    "message": f"Number must be {words} {minimum:g}",
                }
            )
        elif maximum is not None and value > maximum:
            issues.append(
                {
                    "code": "too_big",
                    "maximum": maximum,
                    "type": "number",
                    "inclusive": True,
                    "exact": False,
                    "path": path,
                    "message": f"Number must be less than or equal to {maximum:g}",
                }
            )

    return check


def typed(expected: str, kind: type, min_length: int = 0) -> Check:
    def check(value: Any, path: Path, issues: list[Issue]) -> None:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            issues.append(type_issue(expected, value, path))
        elif isinstance(value, str) and len(value) < min_length:
            issues.append(
                {
                    "code": "too_small",
                    "minimum": min_length,
                    "type": "string",
                    "inclusive": True,
                    "exact": False,
                    "path": path,
                    "message": f"String must contain at least {min_length} character(s)",
                }
            )

    return check


BOOL: Final = typed("boolean", bool)
STRING: Final = typed("string", str)
OBJECT: Final = typed("object", dict)


def enum(*options: str) -> Check:
    def check(value: Any, path: Path, issues: list[Issue]) -> None:
        if value not in options or not isinstance(value, str):
            listed = " | ".join(f"'{o}'" for o in options)
            issues.append(
                {
                    "code": "invalid_enum_value",
                    "options": list(options),
                    "received": value,
                    "path": path,
                    "message": f"Invalid enum value. Expected {listed}, received '{value}'",
                }
            )

    return check


def array(item: Check | None = None, min_items: int = 0, max_items: int | None = None) -> Check:
    def check(value: Any, path: Path, issues: list[Issue]) -> None:
        if not isinstance(value, list):
            issues.append(type_issue("array", value, path))
            return
        if len(value) < min_items:
            issues.append(
                {
                    "code": "too_small",
                    "minimum": min_items,
                    "type": "array",
                    "inclusive": True,
                    "exact": False,
                    "path": path,
                    "message": f"Array must contain at least {min_items} element(s)",
                }
            )
        if max_items is not None and len(value) > max_items:
            issues.append(
                {
                    "code": "too_big",
                    "maximum": max_items,
                    "type": "array",
                    "inclusive": True,
                    "exact": False,
                    "path": path,
                    "message": f"Array must contain at most {max_items} element(s)",
                }
            )
        for i, element in enumerate(value if item else ()):
            assert item is not None
            item(element, [*path, i], issues)

    return check


def obj(fields: dict[str, Check], required: Sequence[str] = (), *, strict: bool = False) -> Check:
    def check(value: Any, path: Path, issues: list[Issue]) -> None:
        if not isinstance(value, dict):
            issues.append(type_issue("object", value, path))
            return
        for name in required:
            if name not in value:
                issues.append(
                    {
                        **type_issue("string", None, [*path, name]),
                        "received": "undefined",
                        "message": "Required",
                    }
                )
        unknown = [k for k in value if k not in fields]
        if strict and unknown:
            keys = ", ".join(f"'{k}'" for k in unknown)
            issues.append(
                {
                    "code": "unrecognized_keys",
                    "keys": unknown,
                    "path": path,
                    "message": f"Unrecognized key(s) in object: {keys}",
                }
            )
        for name, field_check in fields.items():
            if name in value:
                field_check(value[name], [*path, name], issues)

    return check


def _union_rank(found: list[Issue]) -> tuple[bool, int]:
    """Prefer the branch whose type matched (its issues say what is wrong inside)."""
    return found[0]["code"] == "invalid_type", len(found)


def either(*checks: Check) -> Check:
    """zod's union: valid if any branch is; otherwise the best branch's issues are reported."""

    def check(value: Any, path: Path, issues: list[Issue]) -> None:
        attempts: list[list[Issue]] = []
        for branch in checks:
            found: list[Issue] = []
            branch(value, path, found)
            if not found:
                return
            attempts.append(found)
        best = attempts[0]
        for found in attempts[1:]:
            if _union_rank(found) < _union_rank(best):
                best = found
        issues.extend(best)

    return check


def nullable(inner: Check) -> Check:
    def check(value: Any, path: Path, issues: list[Issue]) -> None:
        if value is not None:
            inner(value, path, issues)

    return check


def string_map(value: Any, path: Path, issues: list[Issue]) -> None:
    if not isinstance(value, dict):
        issues.append(type_issue("object", value, path))
        return
    for key, item in value.items():
        STRING(item, [*path, key], issues)
