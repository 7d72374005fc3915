"""Property tests: parameter validation never lets a bad value through and never crashes.

For any value of any table parameter, ``ChatParams`` either refuses it with a ``ParameterError``
naming the field and what is allowed, or builds a body that validates against Venice's spec,
holds no null and can be sent (encoded as UTF-8 JSON, as httpx does). ``coerce`` and
``parse_model`` take arbitrary text and raise nothing but ``ParameterError``. The hostile-output
side: arbitrary bytes through the SSE decoder and ``parse_data``, and arbitrary chunk objects
through a whole ``Attempt``, raise nothing but the package's own errors.

``tests/test_sse.py`` already proves split-invariance of the decoder for valid streams.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.spec_validator import validate_request
from tests.test_params import EVERY
from venice_jupyter.api._attempt import Attempt
from venice_jupyter.api._sse import SSEDecoder, parse_data
from venice_jupyter.errors import ParameterError, ProtocolError, VeniceError
from venice_jupyter.request._params import ChatParams, build_body, coerce, parse_model
from venice_jupyter.request._table import PARAMS, SUFFIX_KEYS, Param

NAMES = sorted(PARAMS)
MESSAGES = [{"role": "user", "content": "Why is the sky blue?"}]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that includes what JSON and HTTP find awkward: lone surrogates, NUL, line separators.
_AWKWARD = st.sampled_from(["\ud800", "\udfff", "\x00", "\u2028", "\ufeff", "é", "😀", " "])
TEXT = st.text(st.one_of(st.characters(), _AWKWARD), max_size=12)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2**31, 2**53 + 1, 10**400, 0.0, -0.0, 1e-320, 1.7e308]),
)
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSONISH = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
ODD = st.sampled_from([object(), b"bytes", {1, 2}, (1.5,), math.pi, complex(1, 1), print])


def _near(p: Param) -> st.SearchStrategy[Any]:
    """Values around the edges of one parameter: bounds, choices in other cases, good shapes."""
    near: list[Any] = [EVERY.get(p.name)]
    for bound in (p.minimum, p.maximum):
        if bound is not None:
            near += [bound, bound - 1, bound + 1, bound - 1e-9, bound + 1e-9, int(bound)]
    near += list(p.choices) + [c.upper() for c in p.choices] + [c + " " for c in p.choices]
    if p.max_items:
        near += [["a"] * p.max_items, ["a"] * (p.max_items + 1), [1] * (p.max_items + 1)]
    return st.sampled_from(near)


def _shaped(p: Param) -> st.SearchStrategy[Any]:
    """JSON fields: objects built from the right keys with arbitrary values (deep paths)."""
    keys = {
        "tools": ["type", "function", "id", "name", "description", "parameters", "strict"],
        "tool_choice": ["type", "function", "name"],
        "response_format": ["type", "json_schema", "name", "schema", "strict", "description"],
        "reasoning": ["effort", "summary", "enabled"],
        "stream_options": ["include_usage"],
        "text": ["verbosity"],
        "metadata": ["a", "b"],
        "fallbacks": ["model"],
    }.get(p.name, ["x"])
    vocabulary = "function json_schema json_object text auto none required web_search high low f"
    words = st.sampled_from([*vocabulary.split(), ""])
    value = st.one_of(words, LEAVES)
    obj = st.recursive(
        st.dictionaries(st.sampled_from(keys), value, max_size=4),
        lambda inner: st.dictionaries(
            st.sampled_from(keys), st.one_of(value, inner, st.lists(inner, max_size=2))
        ),
        max_leaves=10,
    )
    return st.one_of(obj, st.lists(obj, max_size=3), words)


def values_for(p: Param) -> st.SearchStrategy[Any]:
    parts = [_near(p), LEAVES, JSONISH, ODD, st.lists(st.one_of(TEXT, NUMBERS), max_size=6)]
    if p.type == "json":
        parts.append(_shaped(p))
    return st.one_of(*parts)


def _walk(value: Any) -> Any:
    """Every node of a JSON value."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def assert_sendable(params: ChatParams, stream: bool) -> dict[str, Any]:
    body = build_body("venice-offline", MESSAGES, params, stream=stream)
    validate_request(body)
    assert not any(node is None for node in _walk(body))
    # What httpx sends: compact UTF-8 JSON without NaN; this must not raise.
    json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return body


def assert_names(err: ParameterError, *names: str) -> None:
    message = str(err)
    assert message.startswith(names), message  # "tools[0].function: … is not allowed"
    assert "expected" in message and err.allowed, message


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.data(), stream=st.booleans())
def test_any_value_is_refused_by_name_or_gives_a_valid_body(
    name: str, data: st.DataObject, stream: bool
) -> None:
    value = data.draw(values_for(PARAMS[name]), label="value")
    try:
        params = ChatParams(**{name: value})
    except ParameterError as err:
        assert_names(err, name)
        return
    body = assert_sendable(params, stream)
    if value is not None and (stream or name != "stream_options"):  # streaming-only field
        where = body.get("venice_parameters", {}) if PARAMS[name].venice else body
        assert name in where


GOOD_OR_ODD = st.one_of(st.sampled_from(list(EVERY.values())), LEAVES)


@FUZZ
@given(chosen=st.dictionaries(st.sampled_from(NAMES), GOOD_OR_ODD, max_size=5))
def test_any_combination_is_refused_by_name_or_gives_a_valid_body(chosen: dict[str, Any]) -> None:
    try:
        params = ChatParams(**chosen)
    except ParameterError as err:
        assert_names(err, *chosen)
        return
    assert_sendable(params, stream=True)


def _deep(kind: str, depth: int = 5000) -> str:
    """Nested deeper than Python's recursion limit (the JSON decoder recurses)."""
    return kind[0] * depth + kind[1] * depth


@FUZZ
@given(name=st.sampled_from(NAMES), text=st.one_of(TEXT, st.text(max_size=40)))
@example(name="tools", text=_deep("[]"))
@example(name="stop", text=_deep("[]"))
@example(name="metadata", text='{"a":' * 5000)
@example(name="stop", text='["\\ud800"]')
@example(name="user", text="\ud800")
def test_coerce_raises_only_parameter_errors(name: str, text: str) -> None:
    try:
        value = coerce(name, text)
        # A value that parses may still need another field (top_logprobs needs logprobs).
        params = ChatParams(**{name: value})
    except ParameterError as err:
        assert_names(err, name)
        return
    assert_sendable(params, stream=True)


SUFFIXED = st.builds(lambda k, v: f"m:{k}={v}", st.sampled_from([*SUFFIX_KEYS, "x"]), TEXT)


@FUZZ
@given(model=st.one_of(TEXT, st.text(max_size=30), SUFFIXED))
def test_parse_model_raises_only_parameter_errors(model: str) -> None:
    try:
        base, values = parse_model(model)
    except ParameterError as err:
        assert_names(err, "model", *SUFFIX_KEYS)
        return
    assert base.strip() and set(values) <= set(SUFFIX_KEYS)


# -- hostile output --------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=200), cuts=st.lists(st.integers(0, 200), max_size=5))
@example(data=b"data: [DONE]\n\n", cuts=[])
@example(data=b"data: " + _deep("[]").encode() + b"\n\n", cuts=[])
def test_arbitrary_bytes_raise_only_protocol_errors(data: bytes, cuts: list[int]) -> None:
    decoder = SSEDecoder()
    points = sorted(min(c, len(data)) for c in cuts)
    events = []
    for a, b in zip([0, *points], [*points, len(data)], strict=True):
        events += decoder.feed(data[a:b])
    events += decoder.finish()
    for event in events:
        try:
            chunk = parse_data(event)
        except ProtocolError as err:
            assert "stream event" in str(err)
            continue
        assert chunk is None or isinstance(chunk, dict)


# Chunks shaped like Venice's, with any field of any type, so deep paths get exercised.
ANY = st.one_of(LEAVES, st.lists(LEAVES, max_size=2), st.dictionaries(TEXT, LEAVES, max_size=2))
WORDS = st.sampled_from(["stop", "length", "assistant", "tool_calls", "hi", " there", "<think>"])
INDEX = st.integers(-1, 3)


def fields(**optional: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with any subset of these keys."""
    return st.fixed_dictionaries({}, optional=optional)


def or_any(*right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The right kind of value, or anything at all."""
    return st.one_of(*right, ANY)


FUNCTION = fields(name=or_any(WORDS), arguments=or_any(WORDS))
TOOL_CALL = fields(index=or_any(INDEX), id=ANY, type=ANY, function=or_any(FUNCTION))
DELTA = fields(
    role=or_any(WORDS),
    content=or_any(WORDS, TEXT),
    reasoning_content=or_any(WORDS),
    tool_calls=or_any(st.lists(TOOL_CALL, max_size=2)),
)
CHOICE = fields(
    index=or_any(INDEX),
    delta=or_any(DELTA),
    message=or_any(DELTA),
    finish_reason=or_any(WORDS),
    logprobs=ANY,
)
USAGE = fields(prompt_tokens=ANY, completion_tokens=ANY, total_tokens=ANY)
CHUNK = fields(id=ANY, model=ANY, choices=or_any(st.lists(CHOICE, max_size=3)), usage=or_any(USAGE))
# Right types, any values: replies that should simply work.
GOOD_DELTA = st.fixed_dictionaries(
    {"content": st.one_of(WORDS, TEXT)}, optional={"reasoning_content": st.one_of(WORDS, TEXT)}
)
GOOD_CHOICE = st.fixed_dictionaries(
    {"index": st.integers(0, 2), "delta": GOOD_DELTA}, optional={"finish_reason": WORDS}
)
GOOD = st.fixed_dictionaries({"choices": st.lists(GOOD_CHOICE, min_size=1, max_size=2)})
HUGE_INDEX = {"choices": [{"index": 10**12, "delta": {"content": "x"}}]}


@FUZZ
@given(
    chunks=st.lists(st.one_of(GOOD, GOOD, CHUNK), max_size=6),
    error=st.lists(st.fixed_dictionaries({"error": ANY}), max_size=1),
    done=st.booleans(),
)
@example(chunks=[HUGE_INDEX], error=[], done=True)  # must not allocate a trillion choices
def test_arbitrary_chunks_raise_only_package_errors(
    chunks: list[dict[str, Any]], error: list[dict[str, Any]], done: bool
) -> None:
    """A hostile or broken server can end a reply with an error, never with a crash."""
    exchange = Attempt()
    exchange.on_headers(200, {"content-type": "text/event-stream"})
    events = [json.dumps(c) for c in [*chunks, *error]] + (["[DONE]"] if done else [])
    wire = "".join(f"data: {e}\n\n" for e in events).encode("utf-8", "surrogatepass")
    try:
        deltas = exchange.on_bytes(wire)
        deltas += exchange.on_end()
    except VeniceError as err:
        assert str(err)
        return
    assert all(isinstance(d.text, str) for d in deltas)
    reply = exchange.reply
    assert reply.text == "".join(d.text for d in deltas if d.kind == "content" and d.choice == 0)
