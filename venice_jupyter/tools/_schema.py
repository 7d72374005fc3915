"""A Python function as a tool the model can call: its JSON Schema, from the signature, the
type hints and the docstring.

    annotation                      JSON Schema
    str / int / float / bool        {"type": "string" | "integer" | "number" | "boolean"}
    None                            {"type": "null"}
    Literal["a", "b"]               {"enum": ["a", "b"]} (with the values' type)
    enum.Enum subclass              {"enum": [member values]}
    list[T] / tuple[T, ...] / set   {"type": "array", "items": T}
    tuple[A, B]                     {"type": "array", "prefixItems": [A, B], "minItems": 2, ...}
    dict[str, T]                    {"type": "object", "additionalProperties": T}
    Optional[T] / T | None          {"anyOf": [T, {"type": "null"}]}
    A | B                           {"anyOf": [A, B]}
    TypedDict / dataclass           {"type": "object", "properties": …, "required": …}
    pydantic model                  its model_json_schema()
    Any / no annotation             refused: say what the parameter holds with a type hint

A parameter with a default is not required; ``*args``, ``**kwargs`` and positional-only
parameters are refused (a model calls with named JSON arguments). The docstring's first
paragraph is the description; Google (``Args:``) and NumPy (``Parameters``) sections give each
parameter's. ``strict`` is left out: Venice publishes no capability saying which models honour
it (a literal JSON tool spec can still set it).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args, get_origin

from venice_jupyter.errors import ParameterError

__all__ = ["describe", "docstring_parts", "function_spec"]

_SCALARS: Mapping[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # what OpenAI-style APIs accept as a tool name


class _Unsupported(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _schema(hint: Any) -> dict[str, Any]:
    if hint is inspect.Parameter.empty or hint is Any:
        raise _Unsupported("no type hint" if hint is inspect.Parameter.empty else "Any")
    if hint is None or hint is type(None):
        return {"type": "null"}
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        kinds = {_SCALARS.get(type(a)) for a in args}
        out: dict[str, Any] = {"enum": list(args)}
        if len(kinds) == 1 and None not in kinds:
            out["type"] = kinds.pop()
        return out
    if origin in (typing.Union, types.UnionType):
        members = [_schema(a) for a in args]
        return {"anyOf": members}
    if origin in (list, set, frozenset) or hint in (list, set, frozenset):
        if not args:
            raise _Unsupported(f"{getattr(hint, '__name__', hint)} without an item type")
        return {"type": "array", "items": _schema(args[0])}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema(args[0])}
        if not args:
            raise _Unsupported("tuple without item types")
        items = [_schema(a) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items),
                "maxItems": len(items)}  # fmt: skip
    if origin is dict or hint is dict:
        if not args or args[0] is not str:
            raise _Unsupported("a dict whose keys are not str (JSON object keys are strings)")
        return {"type": "object", "additionalProperties": _schema(args[1])}
    if isinstance(hint, type):
        return _class_schema(hint)
    raise _Unsupported(repr(hint))


def _class_schema(cls: type) -> dict[str, Any]:
    if issubclass(cls, enum.Enum):
        return {"enum": [member.value for member in cls]}
    if hasattr(cls, "model_json_schema"):  # pydantic
        schema: dict[str, Any] = cls.model_json_schema()
        return schema
    if typing.is_typeddict(cls):
        hints = typing.get_type_hints(cls)
        required = sorted(getattr(cls, "__required_keys__", hints))
        return _object({k: _schema(v) for k, v in hints.items()}, required)
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        required = [
            f.name
            for f in fields
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        return _object({f.name: _schema(hints[f.name]) for f in fields}, required)
    raise _Unsupported(
        f"the class {cls.__name__} (use a TypedDict, a dataclass or a pydantic model)"
    )


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    return out


_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params)\s*:?\s*$", re.I)
_NEXT_SECTION = re.compile(
    r"^\s*(Returns?|Yields?|Raises?|Examples?|Notes?|See Also|Attributes)\s*:?\s*$", re.I
)
_GOOGLE_ITEM = re.compile(r"^\s*(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_ITEM = re.compile(r"^\s*(\w+)\s*(:.*)?$")


def docstring_parts(doc: str | None) -> tuple[str, dict[str, str]]:
    """(description, {parameter: description}) from a Google- or NumPy-style docstring."""
    text = inspect.cleandoc(doc or "")
    if not text:
        return "", {}
    lines = text.splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION.match(line) or _NEXT_SECTION.match(line):
            break
        summary.append(line.strip())
    params: dict[str, str] = {}
    for start, line in enumerate(lines):
        if not _SECTION.match(line):
            continue
        numpy = start + 1 < len(lines) and set(lines[start + 1].strip()) == {"-"}
        body = lines[start + (2 if numpy else 1) :]
        current = None
        indents = [len(x) - len(x.lstrip()) for x in body if x.strip()]
        base = 0 if numpy else min(indents, default=0)  # where a Google-style item starts
        for item in body:
            if _NEXT_SECTION.match(item) or (numpy and item.strip() and set(item.strip()) == {"-"}):
                break
            indent = len(item) - len(item.lstrip())
            found = _NUMPY_ITEM.match(item) if numpy else _GOOGLE_ITEM.match(item)
            if found and indent <= base and item.strip():
                current = found.group(1).lstrip("*")
                params[current] = "" if numpy else found.group(3).strip()
            elif current is not None and item.strip():
                params[current] = (params[current] + " " + item.strip()).strip()
        break
    return " ".join(summary), params


def describe(fn: Callable[..., Any]) -> str:
    """The tool name of a callable (its ``__name__``), checked."""
    name = getattr(fn, "__name__", "")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError(
            "tools", fn, "a function whose name is 1-64 letters, digits, _ or -",
            hint="Wrap it in a def with such a name.",
        )  # fmt: skip
    return name


def function_spec(fn: Callable[..., Any]) -> dict[str, Any]:
    """The ``{"type": "function", "function": {...}}`` tool for a Python callable."""
    name = describe(fn)
    if isinstance(fn, type):
        raise ParameterError(
            "tools", name, "a function, not a class",
            hint="Pass a function that builds or uses the object instead.",
        )  # fmt: skip
    try:
        signature = inspect.signature(fn)
        hints = typing.get_type_hints(fn, include_extras=False)
    except (TypeError, ValueError, NameError) as exc:
        raise ParameterError(
            "tools", name, "a function whose signature and type hints can be read", hint=str(exc)
        ) from None
    summary, described = docstring_parts(getattr(fn, "__doc__", None))
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            kind = (
                "*args" if param.kind == param.VAR_POSITIONAL
                else "**kwargs" if param.kind == param.VAR_KEYWORD
                else "positional-only"
            )  # fmt: skip
            raise ParameterError(
                f"tools: {name}({param.name})", kind, "named parameters",
                hint="A model calls with named JSON arguments; list each parameter by name.",
            )  # fmt: skip
        try:
            schema = _schema(hints.get(param.name, param.annotation))
        except _Unsupported as unsupported:
            raise ParameterError(
                f"tools: {name}({param.name})", unsupported.what, "a parameter JSON can describe",
                hint=f"Give {param.name} a type hint such as str, int, float, bool, Literal[...], "
                "list[str], a TypedDict, a dataclass or a pydantic model.",
            ) from None  # fmt: skip
        if described.get(param.name):
            schema = {**schema, "description": described[param.name]}
        if param.default is param.empty:
            required.append(param.name)
        else:
            schema = {**schema, "default": param.default} if _jsonable(param.default) else schema
        properties[param.name] = schema
    parameters: dict[str, Any] = {"type": "object", "properties": properties,
                                  "additionalProperties": False}  # fmt: skip
    if required:
        parameters["required"] = required
    function: dict[str, Any] = {"name": name, "parameters": parameters}
    if summary:
        function["description"] = summary
    return {"type": "function", "function": function}


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))
