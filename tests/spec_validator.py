"""Validate request bodies against Venice's own OpenAPI spec (``spec/venice-openapi.yaml``).

    validate_request(body)   AssertionError with the validator's messages if the body is invalid
    load_spec()              the whole spec, parsed once
    request_schema()         components.schemas.ChatCompletionRequest

Two traps this module avoids:

* PyYAML speaks YAML 1.1, where unquoted ``on``/``off``/``yes``/``no`` are booleans, so the
  spec's ``enable_web_search`` enum ``[auto, off, on]`` would load as ``["auto", False, True]``
  and the real values would fail. The loader here resolves only ``true``/``false`` (YAML 1.2).
* ``OAS30Validator`` rejects ``None`` unless the same schema object says ``nullable: true``
  next to a ``type`` — that is how Venice's "no nulls" rule shows up in validation. (The spec's
  bare ``{nullable: true}`` branches, e.g. in ``stop``, have no type and so accept anything;
  ``build_body`` tests walk the body for ``None`` separately.)
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, ClassVar

import yaml
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

__all__ = ["SPEC_PATH", "load_spec", "request_schema", "validate_request"]

SPEC_PATH = Path(__file__).resolve().parent.parent / "spec" / "venice-openapi.yaml"
_SPEC_URI = "urn:venice:openapi"
_BOOL = "tag:yaml.org,2002:bool"

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the file is 569 KB


class _Yaml12Loader(_Base):  # type: ignore[misc]
    """SafeLoader whose booleans are only true/false, as in YAML 1.2."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, Any]]]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }


_Yaml12Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@functools.cache
def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open("rb") as f:
        spec: dict[str, Any] = yaml.load(f, Loader=_Yaml12Loader)  # a SafeLoader subclass
    return spec


def request_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load_spec()["components"]["schemas"]["ChatCompletionRequest"]
    return schema


@functools.cache
def _validator() -> Any:
    # The schema is reached by $ref into the whole spec, so any $ref inside it resolves too.
    resource = Resource.from_contents(load_spec(), default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
    root = {"$ref": f"{_SPEC_URI}#/components/schemas/ChatCompletionRequest"}
    return OAS30Validator(root, registry=registry, format_checker=OAS30Validator.FORMAT_CHECKER)


def validate_request(body: dict[str, Any]) -> None:
    """Raise ``AssertionError`` naming every schema violation in ``body``."""
    errors = list(_validator().iter_errors(body))
    if errors:
        best = best_match(errors)
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}" for e in errors]
        where = "/".join(map(str, best.absolute_path)) or "<body>"
        raise AssertionError(
            f"body violates ChatCompletionRequest at {where}: {best.message}\n" + "\n".join(lines)
        )
