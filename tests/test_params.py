"""The parameter table against Venice's spec; ChatParams, coerce, model suffixes, build_body."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.spec_validator import request_schema, validate_request
from venice_jupyter.errors import ParameterError
from venice_jupyter.request._params import (
    ChatParams,
    allowed,
    build_body,
    coerce,
    format_model,
    lookup,
    parse_model,
)
from venice_jupyter.request._table import GROUPS, PARAMS, SUFFIX_KEYS, TYPES, Param

BUILDER_FIELDS = {"model", "messages", "stream"}
MESSAGES = [{"role": "user", "content": "Why is the sky blue?"}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": False,
    },
}
JSON_SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "person",
        "strict": True,
        "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
    },
}

# A representative valid value for every parameter; all of them fit in one request.
EVERY: dict[str, Any] = {
    "temperature": 0.7,
    "top_p": 0.9,
    "top_k": 40,
    "min_p": 0.05,
    "min_temp": 0.1,
    "max_temp": 1.5,
    "seed": 42,
    "n": 1,
    "frequency_penalty": 0.5,
    "presence_penalty": -0.5,
    "repetition_penalty": 1.2,
    "max_completion_tokens": 512,
    "max_tokens": 256,
    "stop": ["END", "\n\n"],
    "stop_token_ids": [151643, 151645],
    "logprobs": True,
    "top_logprobs": 3,
    "response_format": JSON_SCHEMA_FORMAT,
    "verbosity": "low",
    "text": {"verbosity": "medium"},
    "stream_options": {"include_usage": False},
    "reasoning_effort": "medium",
    "reasoning": {"effort": "high", "summary": "concise"},
    "strip_thinking_response": True,
    "disable_thinking": False,
    "tools": [TOOL],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "parallel_tool_calls": False,
    "enable_web_search": "auto",
    "enable_web_citations": True,
    "enable_web_scraping": True,
    "include_search_results_in_stream": True,
    "return_search_results_as_documents": True,
    "enable_x_search": True,
    "include_venice_system_prompt": False,
    "character_slug": "alan-watts",
    "enable_e2ee": False,
    "prompt_cache_key": "notebook-1",
    "prompt_cache_retention": "24h",
    "fallbacks": [{"model": "claude-opus-4-8"}],
    "user": "analyst-7",
    "metadata": {"notebook": "demo.ipynb"},
    "store": False,
    "include": ["reasoning.encrypted_content"],
}

# Alternative shapes of the same fields, each sent in a body of its own.
VARIANTS: list[dict[str, Any]] = [
    {"stop": "END", "response_format": {"type": "json_object"}, "tool_choice": "auto"},
    {"response_format": {"type": "text"}, "tool_choice": "required", "tools": [TOOL]},
    {"tools": [{"type": "web_search"}, {"type": "x_search"}], "tool_choice": "none"},
    {"reasoning": {"enabled": False}, "enable_web_search": "on", "seed": 1, "top_k": 0},
    {"enable_web_search": "off", "temperature": 0, "top_p": 1, "min_p": 0, "max_temp": 2},
    {"frequency_penalty": -2, "presence_penalty": 2, "repetition_penalty": 0, "min_temp": 2},
    {"reasoning_effort": "none", "verbosity": "auto", "prompt_cache_retention": "default"},
    {"reasoning_effort": "max", "logprobs": True, "top_logprobs": 0},
]


def spec_props() -> dict[str, Any]:
    props: dict[str, Any] = request_schema()["properties"]
    return props


def venice_props() -> dict[str, Any]:
    vp: dict[str, Any] = spec_props()["venice_parameters"]["properties"]
    return vp


def walk_for_none(value: Any, where: str = "body") -> None:
    assert value is not None, f"null at {where}"
    if isinstance(value, dict):
        for k, v in value.items():
            walk_for_none(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            walk_for_none(v, f"{where}[{i}]")


def raises(fragments: tuple[str, ...], fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ParameterError) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# -- the table against the spec ------------------------------------------------------------------


def test_validator_rejects_what_venice_rejects() -> None:
    base = {"model": "zai-org-glm-5-1", "messages": MESSAGES}
    validate_request(base)
    for bad in ({"temperature": None}, {"thinking": True}, {"seed": 0}, {"top_p": 1.5}):
        with pytest.raises(AssertionError):
            validate_request({**base, **bad})
    # YAML 1.1 would have turned the enum into booleans; the loader keeps the strings.
    validate_request({**base, "venice_parameters": {"enable_web_search": "on"}})
    with pytest.raises(AssertionError):
        validate_request({**base, "venice_parameters": {"enable_web_search": True}})


def test_table_covers_exactly_the_spec() -> None:
    top = {p.name for p in PARAMS.values() if not p.venice}
    venice = {p.name for p in PARAMS.values() if p.venice}
    assert top == set(spec_props()) - BUILDER_FIELDS - {"venice_parameters"}
    assert venice == set(venice_props())
    assert len(PARAMS) == 44


SPEC_TYPE = {"number": "float", "integer": "int", "boolean": "bool"}


def expected_type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:  # only stop (string | array of strings | null) is a list
        branches = [b.get("type") for b in schema["anyOf"]]
        return "str_list" if "array" in branches and "object" not in branches else "json"
    kind = schema.get("type")
    if kind == "string":
        return "choice" if "enum" in schema else "str"
    if kind == "array":
        items = schema["items"].get("type")
        return {"string": "str_list", "number": "int_list"}.get(items, "json")
    return SPEC_TYPE.get(str(kind), "json")


@pytest.mark.parametrize("name", list(PARAMS))
def test_table_row_matches_spec(name: str) -> None:
    p = PARAMS[name]
    schema = (venice_props() if p.venice else spec_props())[name]
    if "anyOf" in schema and p.type == "str_list":
        schema = next(b for b in schema["anyOf"] if b.get("type") == "array")
    assert p.type == expected_type(schema) or (name, p.type) == ("stop", "str_list")
    assert p.minimum == schema.get("minimum")
    assert p.maximum == schema.get("maximum")
    assert p.exclusive_minimum == schema.get("exclusiveMinimum", False)
    assert p.choices == tuple(schema.get("enum", ())) or set(p.choices) == set(schema["enum"])
    assert p.max_items == schema.get("maxItems")
    if "default" in schema:
        assert p.default == schema["default"]
    assert p.type in TYPES and p.group in GROUPS and p.help and len(p.help) < 90
    assert allowed(p)


def test_suffix_keys_and_capabilities() -> None:
    assert set(SUFFIX_KEYS) == {
        "enable_web_search",
        "enable_web_citations",
        "enable_web_scraping",
        "include_venice_system_prompt",
        "include_search_results_in_stream",
        "return_search_results_as_documents",
        "character_slug",
        "strip_thinking_response",
        "disable_thinking",
    }
    caps = {p.name: p.capability for p in PARAMS.values() if p.capability}
    assert caps == {
        "logprobs": "supportsLogProbs",
        "top_logprobs": "supportsLogProbs",
        "tools": "supportsFunctionCalling",
        "tool_choice": "supportsFunctionCalling",
        "parallel_tool_calls": "supportsFunctionCalling",
        "response_format": "supportsResponseSchema",
        "reasoning_effort": "supportsReasoningEffort",
        "reasoning": "supportsReasoningEffort",
        "enable_x_search": "supportsXSearch",
        "enable_web_search": "supportsWebSearch",
    }
    assert all(p.step for p in PARAMS.values() if p.widget and p.type in ("float", "int"))


# -- every documented field reaches a schema-valid body ------------------------------------------


def test_every_param_has_a_representative_value() -> None:
    assert set(EVERY) == set(PARAMS)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("values", [EVERY, *VARIANTS], ids=lambda v: ",".join(v)[:40])
def test_bodies_with_every_field_validate(values: dict[str, Any], stream: bool) -> None:
    body = build_body("zai-org-glm-5-1", MESSAGES, ChatParams(**values), stream=stream)
    validate_request(body)
    walk_for_none(body)
    json.dumps(body, allow_nan=False)
    for name in values:
        where = body["venice_parameters"] if PARAMS[name].venice else body
        assert name in where or (name == "stream_options" and not stream)


# -- bad input ----------------------------------------------------------------------------------

NUMERIC = [p for p in PARAMS.values() if p.type in ("float", "int")]


def _bound(x: float | None) -> str:
    return f"{x:g}"


@pytest.mark.parametrize("p", [p for p in NUMERIC if p.minimum is not None], ids=lambda p: p.name)
def test_below_minimum(p: Param) -> None:
    assert p.minimum is not None
    value = p.minimum if p.exclusive_minimum else p.minimum - 1
    raises((p.name, _bound(p.minimum)), ChatParams, **{p.name: value})


@pytest.mark.parametrize("p", [p for p in NUMERIC if p.maximum is not None], ids=lambda p: p.name)
def test_above_maximum(p: Param) -> None:
    raises((p.name, _bound(p.maximum)), ChatParams, **{p.name: (p.maximum or 0) + 0.5})


WRONG_TYPE = {
    "float": "0.7",
    "int": 1.5,
    "bool": 1,
    "str": 5,
    "choice": 5,
    "str_list": [1],
    "int_list": ["a"],
    "json": 5,
}


@pytest.mark.parametrize("p", list(PARAMS.values()), ids=lambda p: p.name)
def test_wrong_type(p: Param) -> None:
    raises((p.name,), ChatParams, **{p.name: WRONG_TYPE[p.type]})
    if p.type != "json":
        raises((p.name, allowed(p)), ChatParams, **{p.name: WRONG_TYPE[p.type]})


@pytest.mark.parametrize("p", NUMERIC, ids=lambda p: p.name)
def test_bool_nan_inf_are_not_numbers(p: Param) -> None:
    for value in (True, False, math.nan, math.inf, -math.inf):
        raises((p.name,), ChatParams, **{p.name: value})


@pytest.mark.parametrize(
    "p", [p for p in PARAMS.values() if p.type == "choice"], ids=lambda p: p.name
)
def test_bad_choice_lists_the_choices(p: Param) -> None:
    message = raises((p.name, *p.choices), ChatParams, **{p.name: "bogus"})
    assert "bogus" in message
    raises(("case-sensitive", repr(p.choices[0])), ChatParams, **{p.name: p.choices[0].upper()})


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("tempreature", ("tempreature", "'temperature'", "Nothing was sent")),
        ("max_output_tokens", ("'max_completion_tokens'",)),
        ("temp", ("'temperature'",)),
        ("top-p", ("'top_p'",)),
        ("web_search", ("'enable_web_search'",)),
        ("venice_parameters", ("keys of venice_parameters directly",)),
        ("model", ("part of the request",)),
        ("stream", ("part of the request",)),
        ("zzzzzz", ("zzzzzz", "Nothing was sent")),
    ],
)
def test_unknown_names(name: str, fragments: tuple[str, ...]) -> None:
    raises(fragments, ChatParams, **{name: 1})
    raises(fragments, ChatParams.from_mapping, {name: 1})
    raises(fragments, ChatParams().set, **{name: 1})
    raises(fragments, coerce, name, "1")


BAD: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"stop": ["a", "b", "c", "d", "e"]}, ("stop", "1 to 4")),
    ({"stop": []}, ("stop", "1 to 4")),
    ({"stop": ["ok", ""]}, ("stop", "non-empty strings")),
    ({"top_logprobs": 2}, ("top_logprobs", "logprobs=true")),
    ({"top_logprobs": 2, "logprobs": False}, ("top_logprobs", "logprobs=true")),
    ({"min_temp": 1.5, "max_temp": 1.0}, ("min_temp", "max_temp")),
    ({"max_tokens": 0}, ("max_tokens", "≥ 1", "ignores values ≤ 0")),
    ({"max_completion_tokens": -5}, ("max_completion_tokens", "≥ 1", "ignores")),
    ({"n": 0}, ("n", "≥ 1")),
    ({"seed": 0}, ("seed", "> 0")),
    ({"character_slug": ""}, ("character_slug", "non-empty")),
    ({"tools": []}, ("tools", "non-empty list")),
    ({"tools": [{"function": {"name": "f"}}]}, ("tools[0].type", "'function'")),
    ({"tools": [{"type": "function", "function": {}}]}, ("tools[0].function.name",)),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": []}}]}, ("param",)),
    ({"tools": [{"type": "web_search", "extra": 1}]}, ("tools[0]", "extra")),
    ({"tool_choice": "sometimes"}, ("tool_choice", "'auto'", "'required'")),
    ({"tool_choice": {"type": "function", "function": {}}}, ("tool_choice.function.name",)),
    ({"response_format": {"type": "xml"}}, ("response_format.type", "'json_schema'")),
    ({"response_format": {"type": "json_schema"}}, ("response_format.json_schema", "schema")),
    (
        {"response_format": {"type": "json_schema", "json_schema": {"type": "object"}}},
        ("response_format.json_schema.schema", '"schema": {...}'),
    ),
    (
        {"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}},
        ("response_format.json_schema.name", "non-empty"),
    ),
    ({"response_format": {"type": "text", "json_schema": {}}}, ("response_format", "json_schema")),
    ({"reasoning": {"effort": "huge"}}, ("reasoning.effort", "'xhigh'")),
    ({"reasoning": {"summary": "long"}}, ("reasoning.summary", "'concise'")),
    ({"reasoning": {"enabled": "no"}}, ("reasoning.enabled", "true or false")),
    ({"reasoning": {"budget": 3}}, ("reasoning", "budget")),
    ({"reasoning": {}}, ("reasoning", "unset")),
    ({"stream_options": {"include_usage": "yes"}}, ("stream_options.include_usage",)),
    ({"stream_options": {"chunk_size": 3}}, ("stream_options", "chunk_size")),
    ({"text": {"verbosity": "loud"}}, ("text.verbosity", "'medium'")),
    ({"metadata": {"k": 1}}, ("metadata", "strings to strings")),
    ({"fallbacks": [{"model": "m"}] * 11}, ("fallbacks", "1 to 10")),
    ({"fallbacks": [{}]}, ("fallbacks[0].model",)),
    ({"tools": [{"type": "function", "function": {"name": object()}}]}, ("tools", "JSON")),
    ({"metadata": {"k": math.nan}}, ("metadata", "JSON")),
    ({"repetition_penalty": 10**400}, ("repetition_penalty", "too large")),
    ({"temperature": 10**400}, ("temperature", "0 to 2")),
]


@pytest.mark.parametrize(("values", "fragments"), BAD, ids=lambda x: str(x)[:40])
def test_bad_values(values: dict[str, Any], fragments: tuple[str, ...]) -> None:
    raises(fragments, ChatParams, **values)


@pytest.mark.parametrize(
    ("model", "fragments"),
    [
        ("m:foo=1", ("model", "foo=1", "enable_web_search", "character_slug")),
        ("m:enable_e2ee=false", ("model", "enable_e2ee", "strip_thinking_response")),
        ("m:enable_x_search=true", ("model", "enable_x_search")),
        ("m:strip_thinking_response=1", ("strip_thinking_response", "true or false")),
        ("m:disable_thinking=True", ("disable_thinking", "true or false")),
        ("m:enable_web_search=yes", ("enable_web_search", "'on'", "'auto'")),
        ("m:character_slug=", ("character_slug", "non-empty")),
        ("m:enable_web_search", ("model", "key=value")),
        ("m:disable_thinking=true&disable_thinking=false", ("model", "at most once")),
        (":disable_thinking=true", ("model", "model id")),
        ("", ("model", "model id")),
    ],
)
def test_bad_model_suffix(model: str, fragments: tuple[str, ...]) -> None:
    raises(fragments, parse_model, model)
    raises(fragments, build_body, model, MESSAGES, ChatParams(), stream=False)


def test_format_model_rejects_bad_suffix_values() -> None:
    raises(("model", "enable_x_search"), format_model, "m", {"enable_x_search": True})
    raises(("enable_web_search", "'auto'"), format_model, "m", {"enable_web_search": "always"})
    raises(("disable_thinking",), format_model, "m", {"disable_thinking": "yes"})


# -- ChatParams behaviour -------------------------------------------------------------------------


def test_chat_params_is_an_immutable_value() -> None:
    p = ChatParams(temperature=1, stop="END", top_k=None)
    assert p.get("temperature") == 1.0 and isinstance(p.get("temperature"), float)
    assert p.get("stop") == ("END",) and p.get("top_k") is None
    assert dict(p.items()) == {"temperature": 1.0, "stop": ("END",)}
    assert len(p) == 2 and "stop" in p and "top_k" not in p
    assert repr(p) == "ChatParams(temperature=1.0, stop=('END',))"
    with pytest.raises(AttributeError):
        p.temperature = 2
    with pytest.raises(TypeError):
        hash(p)
    raises(("tempreature",), p.get, "tempreature")


def test_set_merge_unset() -> None:
    base = ChatParams(temperature=0.7, top_p=0.9)
    changed = base.set(temperature=0.2, top_k=40)
    assert base == ChatParams(top_p=0.9, temperature=0.7)  # unchanged, order-independent
    assert changed == ChatParams(temperature=0.2, top_p=0.9, top_k=40)
    assert changed.set(top_k=None) == ChatParams(temperature=0.2, top_p=0.9)
    assert changed.unset("top_k", "top_p") == ChatParams(temperature=0.2)
    assert base.merge(ChatParams(temperature=1.5, seed=3)) == ChatParams(
        temperature=1.5, top_p=0.9, seed=3
    )
    assert base.merge(ChatParams()) == base
    assert ChatParams.from_mapping({"temperature": 0.7, "top_p": 0.9}) == base
    assert base != {"temperature": 0.7, "top_p": 0.9}
    raises(("temperature", "0 to 2"), base.set, temperature=9)
    raises(("logprobs=true",), ChatParams(logprobs=True, top_logprobs=2).unset, "logprobs")
    raises(("min_temp",), ChatParams(min_temp=1.0).merge, ChatParams(max_temp=0.5))


def test_json_values_are_private_copies() -> None:
    tools = [json.loads(json.dumps(TOOL))]
    p = ChatParams(tools=tools)
    tools[0]["function"]["name"] = "changed"
    got = p.get("tools")
    assert got[0]["function"]["name"] == "get_weather"
    got[0]["function"]["name"] = "changed"
    assert p.get("tools")[0]["function"]["name"] == "get_weather"
    body = build_body("m", MESSAGES, p, stream=False)
    body["tools"][0]["function"]["name"] = "changed"
    assert p.get("tools")[0]["function"]["name"] == "get_weather"


# -- coerce ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("temperature", " 0.7 ", 0.7),
        ("temperature", "1", 1.0),
        ("top_k", "40", 40),
        ("seed", "42", 42),
        ("logprobs", "true", True),
        ("logprobs", "Yes", True),
        ("logprobs", "on", True),
        ("logprobs", "1", True),
        ("store", "false", False),
        ("store", "NO", False),
        ("store", "off", False),
        ("store", "0", False),
        ("enable_web_search", "on", "on"),
        ("enable_web_search", "off", "off"),
        ("reasoning_effort", "none", "none"),
        ("character_slug", "alan-watts", "alan-watts"),
        ("stop", "END", ("END",)),
        ("stop", "END, STOP", ("END", "STOP")),
        ("stop", '["a, b", "\\n"]', ("a, b", "\n")),
        ("stop", '"\\n\\n"', ("\n\n",)),
        ("stop_token_ids", "1, 2,3", (1, 2, 3)),
        ("stop_token_ids", "[151643]", (151643,)),
        ("tool_choice", "auto", "auto"),
        ("tool_choice", '{"type": "function", "function": {"name": "f"}}', None),
        ("reasoning", '{"enabled": false}', {"enabled": False}),
        ("metadata", '{"a": "b"}', {"a": "b"}),
    ],
)
def test_coerce(name: str, text: str, expected: Any) -> None:
    got = coerce(name, text)
    assert got == (json.loads(text) if expected is None else expected)
    assert type(got) is type(got if expected is None else expected)


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return value if isinstance(value, str) else json.dumps(value)


@pytest.mark.parametrize("name", list(PARAMS))
def test_coerce_round_trips_every_param(name: str) -> None:
    canonical = ChatParams(**{name: EVERY[name], "logprobs": True}).get(name)
    assert coerce(name, as_text(canonical)) == canonical


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        ("temperature", "hot", ("temperature", "0 to 2")),
        ("temperature", "nan", ("temperature", "NaN")),
        ("temperature", "3", ("temperature", "0 to 2")),
        ("top_k", "1.5", ("top_k", "whole number")),
        ("logprobs", "maybe", ("logprobs", "true/false")),
        ("enable_web_search", "ON", ("enable_web_search", "case-sensitive")),
        ("stop", "a,b,c,d,e", ("stop", "1 to 4")),
        ("stop_token_ids", "1,x", ("stop_token_ids", "whole numbers")),
        ("tools", "{bad json", ("tools", "not valid JSON")),
        ("tool_choice", "sometimes", ("tool_choice", "'required'")),
        ("temperature", "   ", ("temperature", "empty")),
    ],
)
def test_coerce_errors(name: str, text: str, fragments: tuple[str, ...]) -> None:
    raises(fragments, coerce, name, text)


# -- model suffixes -------------------------------------------------------------------------------


def test_parse_model() -> None:
    assert parse_model("zai-org-glm-5-1") == ("zai-org-glm-5-1", {})
    assert parse_model("qwen3-4b:strip_thinking_response=true") == (
        "qwen3-4b",
        {"strip_thinking_response": True},
    )
    model = "default:enable_web_search=on&include_venice_system_prompt=false&character_slug=a%20b&"
    assert parse_model(model) == (
        "default",
        {"enable_web_search": "on", "include_venice_system_prompt": False, "character_slug": "a b"},
    )


def test_format_model_round_trips() -> None:
    values = {
        "enable_web_search": "auto",
        "character_slug": "alan watts&co",
        "disable_thinking": True,
    }
    model = format_model("kimi-k3", values)
    assert model == (
        "kimi-k3:enable_web_search=auto&character_slug=alan%20watts%26co&disable_thinking=true"
    )
    assert parse_model(model) == ("kimi-k3", values)
    assert format_model("kimi-k3", {}) == "kimi-k3"
    assert format_model(model, {"character_slug": None, "enable_web_search": "on"}) == (
        "kimi-k3:enable_web_search=on&disable_thinking=true"
    )


# -- build_body -----------------------------------------------------------------------------------


def test_build_body_sends_only_what_is_set() -> None:
    body = build_body("m", MESSAGES, ChatParams(temperature=0.5, top_k=None), stream=False)
    assert body == {"model": "m", "messages": MESSAGES, "temperature": 0.5, "stream": False}
    body = build_body("m", MESSAGES, ChatParams(), stream=True)
    assert body == {
        "model": "m",
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    explicit = ChatParams(stream_options={"include_usage": False}, enable_web_search="on")
    body = build_body("m", MESSAGES, explicit, stream=True)
    assert body["stream_options"] == {"include_usage": False}
    assert body["venice_parameters"] == {"enable_web_search": "on"}
    assert "stream_options" not in build_body("m", MESSAGES, explicit, stream=False)
    validate_request(body)


def test_build_body_never_emits_null() -> None:
    messages = [
        {"role": "user", "content": "hi", "name": None},
        {"role": "assistant", "content": None, "tool_calls": None, "reasoning_content": "x"},
        {"role": "assistant", "content": "ok", "reasoning_content": None},
    ]
    body = build_body("m", messages, ChatParams(**EVERY), stream=True)
    walk_for_none(body)
    assert body["messages"][1] == {"role": "assistant", "reasoning_content": "x"}
    assert isinstance(body["stop"], list) and isinstance(body["stop_token_ids"], list)
    assert messages[0]["name"] is None  # the caller's messages are not modified


@pytest.mark.parametrize(
    ("messages", "fragments"),
    [
        ([], ("messages", "non-empty list")),
        ("hello", ("messages", "non-empty list")),
        ([{"content": "hi"}], ("messages[0]", "role")),
        ([{"role": "robot", "content": "hi"}], ("messages[0]", "developer")),
        ([{"role": "user", "content": [{"type": "text", "text": None}]}], ("messages[0]",)),
    ],
)
def test_build_body_checks_messages(messages: Any, fragments: tuple[str, ...]) -> None:
    raises(fragments, build_body, "m", messages, ChatParams(), stream=False)


def test_lookup() -> None:
    assert lookup("temperature") is PARAMS["temperature"]
    assert PARAMS["enable_web_search"].body_path == "venice_parameters.enable_web_search"
    assert PARAMS["temperature"].body_path == "temperature"
