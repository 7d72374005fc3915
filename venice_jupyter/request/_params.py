"""Validated request parameters and the exact JSON body of a chat completion.

``ChatParams`` is an immutable set of values checked against ``params_table.PARAMS``;
``coerce`` turns the text of a magic option or widget into a value; ``parse_model`` and
``format_model`` handle Venice's ``model:key=value&…`` feature suffixes; ``build_body`` writes
the body ``POST /chat/completions`` receives. Venice rejects unknown keys and nulls, so nothing
here ever emits either: every failure is a ``ParameterError`` raised before anything is sent.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import ItemsView, Mapping
from typing import Any, NoReturn
from urllib.parse import quote, unquote

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._checks import allowed, check_value
from venice_jupyter.request._messages import check_messages
from venice_jupyter.request._table import PARAMS, SUFFIX_KEYS, Param

__all__ = [
    "ChatParams",
    "allowed",
    "build_body",
    "coerce",
    "format_model",
    "lookup",
    "parse_model",
    "suggest",
]

# Spellings Venice or OpenAI clients use for fields this client names differently.
_ALIASES: Mapping[str, str] = {
    "temp": "temperature",
    "max_new_tokens": "max_completion_tokens",
    "max_output_tokens": "max_completion_tokens",
    "stop_sequences": "stop",
    "web_search": "enable_web_search",
    "promptCacheKey": "prompt_cache_key",
    "thinking": "reasoning",
}
_NOTHING_SENT = "Nothing was sent."
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def suggest(name: str) -> str:
    """What to say about a name that is not a parameter: the one meant, or where to look."""
    if name == "venice_parameters":
        return "Pass the keys of venice_parameters directly, e.g. enable_web_search='on'."
    if name in ("model", "messages", "stream"):
        return f"{name} is part of the request itself, not a parameter."
    guess = _ALIASES.get(name) or next(
        iter(difflib.get_close_matches(name, list(PARAMS), n=1, cutoff=0.6)), None
    )
    return f"Did you mean {guess!r}?" if guess else "`%%venice --help` lists them all."


def lookup(name: str) -> Param:
    """The table row for ``name``; an unknown name raises with a did-you-mean suggestion."""
    if isinstance(name, str) and name in PARAMS:
        return PARAMS[name]
    text = str(name)
    hint = suggest(text)
    raise ParameterError(
        text,
        name,
        "a known parameter name such as temperature or max_completion_tokens",
        hint=f"{hint} {_NOTHING_SENT}",
    )


def _check_all(values: Mapping[str, Any]) -> dict[str, Any]:
    for name in values:
        lookup(name)
    out = {n: check_value(p, values[n]) for n, p in PARAMS.items() if values.get(n) is not None}
    low, high = out.get("min_temp"), out.get("max_temp")
    if low is not None and high is not None and low > high:
        raise ParameterError(
            "min_temp",
            low,
            f"a number ≤ max_temp ({high:g})",
            hint="Dynamic temperature needs min_temp ≤ max_temp.",
        )
    if "top_logprobs" in out and out.get("logprobs") is not True:
        raise ParameterError(
            "top_logprobs",
            out["top_logprobs"],
            "a value only together with logprobs=true",
            hint="Set logprobs=true as well, or unset top_logprobs.",
        )
    return out


def _copy(value: Any) -> Any:
    # JSON values are the only mutable ones; hand out copies so a ChatParams never changes.
    return json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value


class ChatParams:
    """An immutable, validated set of request parameters. ``None`` means "unset"."""

    __slots__ = ("_values",)
    _values: dict[str, Any]
    __hash__ = None  # type: ignore[assignment]  # values may be dicts

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "_values", _check_all(values))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ChatParams:
        for name in values:
            lookup(name)
        return cls(**values)

    def __copy__(self) -> ChatParams:
        return self  # immutable: a copy would be the same

    def __deepcopy__(self, memo: dict[int, Any]) -> ChatParams:
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ChatParams is immutable; use .set(), .unset() or .merge()")

    def get(self, name: str) -> Any:
        """The value of ``name``, or ``None`` when unset (lists come back as tuples)."""
        lookup(name)
        return _copy(self._values.get(name))

    def set(self, **changes: Any) -> ChatParams:
        """A new ChatParams with ``changes`` applied; a ``None`` value unsets."""
        return ChatParams(**{**self._values, **changes})

    def merge(self, other: ChatParams) -> ChatParams:
        """A new ChatParams: these values, overridden by every value set in ``other``."""
        return ChatParams(**{**self._values, **other._values})

    def unset(self, *names: str) -> ChatParams:
        return self.set(**{lookup(n).name: None for n in names})

    def items(self) -> ItemsView[str, Any]:
        """The set values only, in table order."""
        return {n: _copy(v) for n, v in self._values.items()}.items()

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChatParams) and self._values == other._values

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={v!r}" for n, v in self._values.items())
        return f"ChatParams({inner})"


def _fail(p: Param, text: str, hint: str = "") -> NoReturn:
    raise ParameterError(p.name, text, allowed(p), hint=hint)


def _split(p: Param, text: str) -> Any:
    if text.startswith(("[", '"')):
        return _json(p, text)
    return [item.strip() for item in text.split(",")]


def _json(p: Param, text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        _fail(p, text, f"It is not valid JSON ({exc}).")


def coerce(name: str, text: str) -> Any:
    """Parse the text form of a value (magic option, ``%venice set``, widget) and check it.

    Booleans accept true/false/yes/no/on/off/1/0; lists are comma-separated or JSON (use JSON
    for stop sequences containing commas or surrounding spaces); JSON fields take JSON text,
    and ``tool_choice`` also a bare ``auto``/``none``/``required``.
    """
    p = lookup(name)
    raw = text.strip()
    if not raw:
        _fail(p, text, "An empty value is not allowed; unset the parameter instead.")
    value: Any = raw
    try:
        if p.type == "float":
            value = float(raw)
        elif p.type == "int":
            value = int(raw)
    except ValueError:
        _fail(p, text)
    if p.type == "bool":
        if raw.lower() not in _TRUE | _FALSE:
            _fail(p, text, "Use true/false, yes/no, on/off or 1/0.")
        value = raw.lower() in _TRUE
    elif p.type == "str_list":
        value = _split(p, raw)
    elif p.type == "int_list":
        items = _split(p, raw)
        try:
            value = [int(i) if isinstance(i, str) else i for i in items]
        except ValueError:
            _fail(p, text)
    elif p.type == "json":
        bare = p.name == "tool_choice" and not raw.startswith(("{", '"'))
        value = raw if bare else _json(p, raw)
    return check_value(p, value)


def parse_model(model: str) -> tuple[str, dict[str, Any]]:
    """Split ``model_id:key=value&key2=value2`` into the id and checked suffix values."""
    if not isinstance(model, str) or not model.partition(":")[0].strip():
        raise ParameterError("model", model, "a model id such as 'zai-org-glm-5-1'")
    base, _, suffix = model.partition(":")
    values: dict[str, Any] = {}
    for piece in filter(None, suffix.split("&")):
        key, eq, raw = piece.partition("=")
        key = unquote(key)
        if key not in SUFFIX_KEYS or not eq:
            raise ParameterError(
                "model",
                piece,
                "a feature suffix key=value with key one of " + ", ".join(SUFFIX_KEYS),
                hint="Venice silently ignores unknown suffix keys, so they are refused here.",
            )
        if key in values:
            raise ParameterError("model", model, f"{key} at most once in the suffix")
        p, value = PARAMS[key], unquote(raw)
        if p.type == "bool":
            if value not in ("true", "false"):
                raise ParameterError(key, value, "true or false (in a model suffix)")
            values[key] = value == "true"
        else:
            values[key] = check_value(p, value)
    return base, values


def format_model(base: str, suffix_values: Mapping[str, Any]) -> str:
    """``base`` with ``suffix_values`` as a feature suffix (``None`` drops a key).

    If ``base`` already has a suffix, the new values are merged into it.
    """
    model_id, values = parse_model(base)
    for key, value in suffix_values.items():
        if key not in SUFFIX_KEYS:
            raise ParameterError(
                "model", key, "a feature suffix key: one of " + ", ".join(SUFFIX_KEYS)
            )
        if value is None:
            values.pop(key, None)
        else:
            values[key] = check_value(PARAMS[key], value)
    parts = [
        f"{k}={('true' if v else 'false') if isinstance(v, bool) else quote(v, safe='')}"
        for k, v in values.items()
    ]
    return f"{model_id}:{'&'.join(parts)}" if parts else model_id


def build_body(
    model: str, messages: list[dict[str, Any]], params: ChatParams, *, stream: bool
) -> dict[str, Any]:
    """The exact JSON body for ``POST /chat/completions``: set values only, never null."""
    parse_model(model)
    body: dict[str, Any] = {"model": model, "messages": check_messages(messages)}
    venice: dict[str, Any] = {}
    for name, value in params.items():
        if name == "stream_options":
            continue
        target = venice if PARAMS[name].venice else body
        target[name] = list(value) if isinstance(value, tuple) else value
    if venice:
        body["venice_parameters"] = venice
    body["stream"] = stream
    # OpenAI-compatible servers refuse stream_options on a non-streaming request; when
    # streaming, usage is asked for by default so every reply can show its token counts.
    if stream:
        body["stream_options"] = params.get("stream_options") or {"include_usage": True}
    return body
