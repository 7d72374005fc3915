"""Running one tool call in the kernel: arguments checked against the function's schema, the
function called (sync or ``async def``, with an optional timeout), the result encoded for the
model. Every failure is an answer the model can read and correct, never a crash.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import inspect
import json
import threading
import time
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from venice_jupyter.render import ToolView
from venice_jupyter.reply import ToolCall
from venice_jupyter.request import messages

__all__ = ["Outcome", "Plan", "arun_call", "plan_call", "run_call"]

DEFAULT_RESULT_CHARS = 20_000


@dataclass(frozen=True)
class Outcome:
    """What a call came to: the text the model reads, and what the output shows."""

    call: ToolCall
    status: str  # ran, failed, skipped, timed out, not run
    result: str
    duration_s: float | None = None

    def message(self) -> dict[str, Any]:
        return messages.tool(self.call.id or f"call_{self.call.index}", self.result)

    def view(self) -> ToolView:
        return ToolView(
            self.call.name, self.call.arguments, self.status, call_id=self.call.id or "",
            result=self.result, duration_s=self.duration_s,
        )  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """A call that can run: the function and its Python arguments."""

    call: ToolCall
    function: Callable[..., Any]
    kwargs: dict[str, Any]


def plan_call(
    call: ToolCall, functions: Mapping[str, Callable[..., Any]], specs: Mapping[str, Any]
) -> Plan | Outcome:
    """The function and arguments for ``call``, or the outcome that says why it cannot run."""
    function = functions.get(call.name)
    if function is None:
        known = ", ".join(sorted(functions)) or "none"
        return Outcome(call, "failed", f"Error: there is no tool named {call.name!r}; "
                                       f"the tools are: {known}.")  # fmt: skip
    try:
        arguments = json.loads(call.arguments or "{}")
    except (ValueError, RecursionError) as exc:
        return Outcome(call, "failed", f"Error: the arguments are not valid JSON ({exc}). "
                                       "Call again with a JSON object.")  # fmt: skip
    if not isinstance(arguments, dict):
        return Outcome(call, "failed", "Error: the arguments must be a JSON object.")
    problems = _check(specs.get(call.name, {}), arguments, "")
    if problems:
        return Outcome(
            call,
            "failed",
            "Error: the arguments do not fit the schema: "
            + "; ".join(problems)
            + ". Call again with fixed ones.",
        )
    return Plan(call, function, _python_arguments(function, arguments))


_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list,), "object": (dict,), "null": (type(None),),
}  # fmt: skip


def _check(schema: Mapping[str, Any], value: Any, where: str) -> list[str]:
    """The schema's violations: the subset ``_schema`` writes (types, enums, required keys)."""
    at = where or "arguments"
    if "anyOf" in schema:
        options = [_check(option, value, where) for option in schema["anyOf"]]
        return [] if any(not o for o in options) else [f"{at} matches none of its types"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{at} must be one of {json.dumps(schema['enum'])}"]
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _TYPES:
        ok = isinstance(value, _TYPES[kind]) and not (kind in ("integer", "number")
                                                      and isinstance(value, bool))  # fmt: skip
        if not ok:
            return [f"{at} must be of type {kind}"]
    problems: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        properties = schema["properties"]
        for name in schema.get("required", ()):
            if name not in value:
                problems.append(f"{where + '.' if where else ''}{name} is required")
        if schema.get("additionalProperties") is False:
            problems += [f"{k} is not a parameter" for k in value if k not in properties]
        for name, item in value.items():
            if name in properties:
                problems += _check(properties[name], item, f"{where + '.' if where else ''}{name}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += _check(schema["items"], item, f"{at}[{i}]")
    return problems


def _python_arguments(function: Callable[..., Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """JSON values as the function's hints want them: enums, dataclasses, pydantic, tuples."""
    try:
        hints = typing.get_type_hints(function)
    except (TypeError, NameError):
        return arguments
    return {name: _convert(hints.get(name), value) for name, value in arguments.items()}


def _convert(hint: Any, value: Any) -> Any:
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return hint(value)
        if hasattr(hint, "model_validate"):
            return hint.model_validate(value)
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            return hint(**value)
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        return tuple(value)
    return value


def encode(value: Any, limit: int = DEFAULT_RESULT_CHARS) -> str:
    """A return value as the text the model reads, cut to ``limit`` with a marker."""
    if isinstance(value, str):
        text = value
    elif hasattr(value, "to_csv") and hasattr(value, "columns"):  # a pandas DataFrame
        text = value.to_csv(index=False)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > limit:
        cut = len(text) - limit
        text = text[:limit] + f"\n…[truncated: {cut:,} more characters were not sent]"
    return text


async def _await(value: Any) -> Any:
    return await value


def _failed(plan: Plan, exc: BaseException, started: float) -> Outcome:
    return Outcome(plan.call, "failed", f"Error: {type(exc).__name__}: {exc}",
                   time.perf_counter() - started)  # fmt: skip


def run_call(
    plan: Plan, *, timeout: float | None = None, limit: int = DEFAULT_RESULT_CHARS
) -> Outcome:
    """Run a planned call from synchronous code (the magic, ``chat``)."""
    started = time.perf_counter()
    fn = plan.function
    if not inspect.iscoroutinefunction(fn) and timeout is None:
        try:  # in this thread: the function sees the notebook as it is, and ^C reaches it
            value = fn(**plan.kwargs)
        except Exception as exc:
            return _failed(plan, exc, started)
        return Outcome(plan.call, "ran", encode(value, limit), time.perf_counter() - started)
    # An async function needs a loop of its own (the kernel's is busy running this cell), and
    # a timeout needs the call off this thread; a call that times out finishes in the background.
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            result = fn(**plan.kwargs)
            box["value"] = asyncio.run(_await(result)) if inspect.isawaitable(result) else result
        except BaseException as exc:  # reported to the model, not raised in a stray thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, daemon=True, name=f"venice-tool-{plan.call.name}").start()
    if not done.wait(timeout):
        return Outcome(
            plan.call,
            "timed out",
            f"Error: the function did not finish within {timeout:g} s.",
            time.perf_counter() - started,
        )
    if "error" in box:
        return _failed(plan, box["error"], started)
    return Outcome(plan.call, "ran", encode(box["value"], limit), time.perf_counter() - started)


async def arun_call(
    plan: Plan, *, timeout: float | None = None, limit: int = DEFAULT_RESULT_CHARS
) -> Outcome:
    """Run a planned call from a coroutine (the panel, ``achat``): async functions are awaited
    on this loop; sync ones run in a thread when there is a timeout, inline otherwise."""
    started = time.perf_counter()
    fn = plan.function
    try:
        if inspect.iscoroutinefunction(fn):
            value = await asyncio.wait_for(fn(**plan.kwargs), timeout)
        elif timeout is not None:
            value = await asyncio.wait_for(asyncio.to_thread(fn, **plan.kwargs), timeout)
        else:
            value = fn(**plan.kwargs)
            if inspect.isawaitable(value):
                value = await value
    except (TimeoutError, asyncio.TimeoutError):  # one and the same from Python 3.11
        return Outcome(
            plan.call,
            "timed out",
            f"Error: the function did not finish within {timeout:g} s.",
            time.perf_counter() - started,
        )
    except Exception as exc:
        return _failed(plan, exc, started)
    return Outcome(plan.call, "ran", encode(value, limit), time.perf_counter() - started)
