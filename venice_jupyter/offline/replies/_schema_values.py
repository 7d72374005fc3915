"""Make a JSON value that validates against a JSON Schema (for response_format and tool arguments).

Covers what structured-output schemas use in practice: ``type`` (or a list of types), ``enum``,
``const``, objects (``properties``, ``required``; optional properties appear at random,
``minProperties``), arrays (``items`` / ``prefixItems``, ``minItems``, ``maxItems``,
``uniqueItems``), integers and numbers within ``minimum``/``maximum`` (both exclusive styles) and
``multipleOf``, strings within ``minLength``/``maxLength`` and common ``format``\\s, ``$ref`` into
the same document, ``allOf`` (merged), ``anyOf``/``oneOf`` (first branch). ``pattern`` is not
honoured. Free text comes from the n-gram model, so strings read like the model's prose.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Final

__all__ = ["SchemaValues"]

_MAX_DEPTH: Final = 5
_FORMATS: Final[dict[str, Callable[[random.Random], str]]] = {
    "date": lambda r: f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "date-time": lambda r: (
        f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T"
        f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z"
    ),
    "time": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00",
    "email": lambda r: f"user{r.randint(1, 999)}@example.com",
    "uri": lambda r: f"https://example.com/item/{r.randint(1, 9999)}",
    "url": lambda r: f"https://example.com/item/{r.randint(1, 9999)}",
    "hostname": lambda r: "example.com",
    "ipv4": lambda r: f"192.0.2.{r.randint(1, 254)}",
    "uuid": lambda r: "-".join(
        (
            f"{r.getrandbits(32):08x}",
            f"{r.getrandbits(16):04x}",
            f"4{r.getrandbits(12):03x}",
            f"a{r.getrandbits(12):03x}",
            f"{r.getrandbits(48):012x}",
        )
    ),
}


class SchemaValues:
    """``make(schema)`` -> a value; ``phrase(hint, words)`` supplies free text."""

    def __init__(self, phrase: Callable[[str, int], str], rng: random.Random) -> None:
        self.phrase = phrase
        self.rng = rng

    def make(self, schema: Any, root: Any = None, depth: int = 0, hint: str = "") -> Any:
        root = schema if root is None else root
        if not isinstance(schema, dict):
            return self.phrase(hint, 3)  # `true` / `{}`-like schemas accept anything
        schema = self._resolve(schema, root)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self.make(schema[key][0], root, depth + 1, hint)
        kind = self._type(schema)
        if kind == "object":
            return self._object(schema, root, depth)
        if kind == "array":
            return self._array(schema, root, depth, hint)
        if kind in ("integer", "number"):
            return self._number(schema, kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, hint)

    def _resolve(self, schema: dict[str, Any], root: Any) -> dict[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            target: Any = root
            for step in ref.lstrip("#").strip("/").split("/"):
                if step:
                    target = target.get(step.replace("~1", "/").replace("~0", "~"), {})
            merged = {k: v for k, v in schema.items() if k != "$ref"}
            return {**target, **merged} if isinstance(target, dict) else merged
        if isinstance(schema.get("allOf"), list):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for raw in schema["allOf"]:
                part = self._resolve(raw, root) if isinstance(raw, dict) else {}
                props = {**merged.get("properties", {}), **part.get("properties", {})}
                required = [*merged.get("required", []), *part.get("required", [])]
                merged = {**part, **merged, "properties": props, "required": required}
            return merged
        return schema

    @staticmethod
    def _type(schema: dict[str, Any]) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            real = [k for k in kind if k != "null"]
            return str(real[0]) if real else "null"
        if isinstance(kind, str):
            return kind
        if "properties" in schema:
            return "object"
        return "array" if "items" in schema else "string"

    def _object(self, schema: dict[str, Any], root: Any, depth: int) -> dict[str, Any]:
        props = schema.get("properties") or {}
        required = [k for k in schema.get("required") or [] if isinstance(k, str)]
        optional = [k for k in props if k not in required]
        keep = list(required)
        if depth < _MAX_DEPTH:
            keep += [k for k in optional if self.rng.random() < 0.6]
        shortfall = int(schema.get("minProperties", 0)) - len(keep)
        keep += [k for k in optional if k not in keep][: max(0, shortfall)]
        out = {
            name: self.make(props.get(name, {}), root, depth + 1, name)
            for name in props
            if name in keep
        }
        out.update({name: self.phrase(name, 2) for name in required if name not in out})
        return out

    def _array(self, schema: dict[str, Any], root: Any, depth: int, hint: str) -> list[Any]:
        low = int(schema.get("minItems", 0 if depth >= _MAX_DEPTH else 1))
        high = int(schema.get("maxItems", max(low, 3)))
        count = low if depth >= _MAX_DEPTH else self.rng.randint(low, max(low, min(high, low + 3)))
        prefix = schema.get("prefixItems") or (
            schema["items"] if isinstance(schema.get("items"), list) else []
        )
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        out: list[Any] = []
        for i in range(count * 4):  # extra attempts only matter for uniqueItems
            if len(out) == count:
                break
            sub = prefix[len(out)] if len(out) < len(prefix) else items
            value = self.make(sub, root, depth + 1, hint)
            if not schema.get("uniqueItems") or value not in out or i >= count * 4 - 1:
                out.append(value)
        return out

    def _number(self, schema: dict[str, Any], integer: bool) -> int | float:
        low, high = schema.get("minimum"), schema.get("maximum")
        ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if ex_low is True or ex_high is True:  # draft-4 booleans
            ex_low = low if ex_low is True else None
            ex_high = high if ex_high is True else None
            low = None if ex_low is not None else low
            high = None if ex_high is not None else high
        step = 1 if integer else 0.01
        lo = ex_low + step if isinstance(ex_low, (int, float)) else low
        hi = ex_high - step if isinstance(ex_high, (int, float)) else high
        lo = (
            lo
            if isinstance(lo, (int, float))
            else (hi - 100 if isinstance(hi, (int, float)) else 0)
        )
        hi = hi if isinstance(hi, (int, float)) else lo + 100
        if integer:
            lo_i, hi_i = -(-lo // 1), hi // 1
            value = int(self.rng.randint(int(lo_i), max(int(lo_i), int(hi_i))))
            multiple = schema.get("multipleOf")
            if isinstance(multiple, int) and multiple > 0:
                value = -(-value // multiple) * multiple
                value = value if value <= hi else value - multiple
            return value
        return min(hi, max(lo, round(self.rng.uniform(lo, hi), 2)))

    def _string(self, schema: dict[str, Any], hint: str) -> str:
        fmt = schema.get("format")
        text = _FORMATS[fmt](self.rng) if fmt in _FORMATS else self.phrase(hint, 4)
        low = int(schema.get("minLength", 0))
        while len(text) < low:
            extra = self.phrase(hint, 4) or "a"
            text = f"{text} {extra}" if text else extra
        high = schema.get("maxLength")
        if isinstance(high, int) and len(text) > high:
            text = text[:high].rstrip() if len(text[:high].rstrip()) >= low else text[:high]
        return text
