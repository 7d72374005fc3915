"""What ``--tools`` / ``tools=`` name, resolved into the specs sent and the functions to run.

Accepted, mixed freely: a callable (its schema is built from its signature), a JSON tool spec
(sent as written; nothing runs for it), Venice's built-in ``{"type": "web_search"}`` and
``{"type": "x_search"}`` (passed through), a list of any of these, and in a cell the names of
notebook variables holding them (``--tools get_weather,search_docs``) or literal JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.request import check_value, lookup
from venice_jupyter.tools._schema import function_spec

__all__ = ["Toolbox", "from_text"]


@dataclass
class Toolbox:
    """The tools of one request: ``specs`` go in the body, ``functions`` run in the kernel."""

    specs: list[dict[str, Any]] = field(default_factory=list)
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, tools: Any) -> Toolbox:
        """From a callable, a spec, or a list of them."""
        box = cls()
        items = tools if isinstance(tools, (list, tuple)) else [tools]
        if not items:
            raise ParameterError("tools", tools, "at least one tool")
        for item in items:
            box.add(item)
        box.specs = list(check_value(lookup("tools"), box.specs))  # the table's own checks
        return box

    def add(self, item: Any) -> None:
        if isinstance(item, Mapping):
            spec = dict(item)
            self.specs.append(spec)
            return
        if callable(item):
            spec = function_spec(item)
            name = spec["function"]["name"]
            if name in self.functions and self.functions[name] is not item:
                raise ParameterError("tools", name, "distinct function names",
                                     hint="Two different functions share this name.")  # fmt: skip
            self.functions[name] = item
            self.specs.append(spec)
            return
        raise ParameterError(
            "tools", item, "functions, tool specs (dicts) or lists of them",
            hint="A name in --tools must hold a function, a list of functions or a tool spec.",
        )  # fmt: skip

    @property
    def runnable(self) -> bool:
        return bool(self.functions)

    def names(self) -> list[str]:
        return [s["function"]["name"] for s in self.specs if s.get("type") == "function"]


def from_text(text: str, namespace: Mapping[str, Any]) -> Toolbox:
    """``--tools`` as a cell writes it: JSON, or comma-separated names of notebook variables."""
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            return Toolbox.of(json.loads(stripped))
        except (ValueError, RecursionError) as exc:
            raise ParameterError("--tools", text, "JSON tool specs or names of functions",
                                 hint=f"It is not valid JSON ({exc}).") from None  # fmt: skip
    names = [n.strip() for n in stripped.split(",") if n.strip()]
    if not names:
        raise ParameterError("--tools", text, "names of notebook functions, e.g. get_weather")
    items: list[Any] = []
    for name in names:
        if not name.isidentifier() or name not in namespace:
            raise ParameterError(
                "--tools", name, "the name of a function (or a list of them) in the notebook",
                hint=f"No variable named {name!r} exists in the notebook."
                if name.isidentifier() else "Separate names with commas.",
            )  # fmt: skip
        value = namespace[name]
        items.extend(value if isinstance(value, (list, tuple)) else [value])
    return Toolbox.of(items)
