"""Structured output: a JSON Schema or a pydantic model as ``response_format``, and the answer
read back as JSON (a pydantic model gives its validated instance)."""

from __future__ import annotations

import json
import re
from typing import Any

from venice_jupyter.errors import ParameterError

__all__ = ["parse_structured", "response_format_for", "schema_name"]


def schema_name(schema: Any, fallback: str = "answer") -> str:
    """The ``json_schema.name`` Venice wants: the model class's name, or ``fallback``."""
    name = getattr(schema, "__name__", None) if isinstance(schema, type) else None
    return re.sub(r"\W", "_", name or fallback)[:64] or "answer"


def response_format_for(
    schema: Any, field: str = "schema", name: str | None = None
) -> dict[str, Any]:
    """A dict JSON Schema or a pydantic model class -> Venice's ``response_format``."""
    schema_dict = schema.model_json_schema() if hasattr(schema, "model_json_schema") else schema
    if not isinstance(schema_dict, dict):
        raise ParameterError(field, schema, "a dict (a JSON Schema) or a pydantic model class")
    return {
        "type": "json_schema",
        "json_schema": {
            "name": name or schema_name(schema),
            "strict": True,
            "schema": schema_dict,
        },
    }


def parse_structured(text: str, schema: Any = None) -> Any:
    """The answer as JSON; with a pydantic model, its validated instance. Raises ValueError
    (pydantic's ValidationError is one) when the text does not fit."""
    if schema is not None and hasattr(schema, "model_validate_json"):
        return schema.model_validate_json(text)
    return json.loads(text)
