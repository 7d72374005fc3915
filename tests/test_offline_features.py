"""What a reply obeys: seeds, n, stop, limits, logprobs, structured output, tools, web search
and reasoning — over HTTP against OfflineServer."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import jsonschema
import pytest

from tests.sse_events import parse_sse
from venice_jupyter.offline.models._ngram import get_model
from venice_jupyter.offline.models._sampling import SamplingSettings, processed_logprobs
from venice_jupyter.offline.models._topic import TopicIndex

QUESTION = "How do notebook kernels and cells work in Jupyter?"
PROMPT = [{"role": "user", "content": QUESTION}]


def chat(http: httpx.Client, **extra: Any) -> dict[str, Any]:
    r = http.post(
        "/chat/completions", json={"model": "venice-offline", "messages": PROMPT, **extra}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def stream(http: httpx.Client, **extra: Any) -> list[Any]:
    r = http.post(
        "/chat/completions",
        json={"model": "venice-offline", "messages": PROMPT, "stream": True, **extra},
    )
    assert r.status_code == 200, r.text
    events = parse_sse(r.content)
    assert events[-1] == "[DONE]"
    return events[:-1]


def content(body: dict[str, Any], index: int = 0) -> str:
    text: str = body["choices"][index]["message"]["content"]
    return text


def deltas(events: list[Any], key: str = "content", index: int = 0) -> list[Any]:
    return [
        c["choices"][0]["delta"][key]
        for c in events
        if c.get("choices")
        and c["choices"][0]["index"] == index
        and key in c["choices"][0]["delta"]
    ]


# --- determinism, n, limits ------------------------------------------------------------------


def test_seed_determinism(http: httpx.Client) -> None:
    settings = {"max_tokens": 80, "temperature": 1.3, "top_p": 0.95}
    first = content(chat(http, seed=42, **settings))
    assert content(chat(http, seed=42, **settings)) == first
    assert "".join(deltas(stream(http, seed=42, **settings))) == first
    assert content(chat(http, seed=43, **settings)) != first
    unseeded = {content(chat(http, temperature=2.0, max_tokens=80)) for _ in range(4)}
    assert len(unseeded) > 1


def test_n_choices(http: httpx.Client) -> None:
    body = chat(http, n=3, seed=7, temperature=1.5, max_tokens=40)
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    texts = [content(body, i) for i in range(3)]
    assert len(set(texts)) == 3
    assert body["usage"]["completion_tokens"] == 120
    events = stream(http, n=3, seed=7, temperature=1.5, max_tokens=40)
    assert {c["choices"][0]["index"] for c in events if c["choices"]} == {0, 1, 2}
    assert ["".join(deltas(events, index=i)) for i in range(3)] == texts
    assert content(body, 0) == content(chat(http, seed=7, temperature=1.5, max_tokens=40))


def test_stop_strings(http: httpx.Client) -> None:
    base = content(chat(http, seed=5, max_tokens=120))
    words = base.split()
    stop = words[len(words) // 2]
    expected = base[: base.index(stop)]
    body = chat(http, seed=5, max_tokens=120, stop=[stop, "zzzz-never"])
    assert content(body) == expected
    choice = body["choices"][0]
    assert (choice["finish_reason"], choice["stop_reason"]) == ("stop", "stop")
    streamed = deltas(stream(http, seed=5, max_tokens=120, stop=stop))
    assert "".join(streamed) == expected and all(stop not in d for d in streamed)


def test_stop_token_ids(http: httpx.Client) -> None:
    base = chat(http, seed=9, max_tokens=60, logprobs=True)
    tokens = [e["token"] for e in base["choices"][0]["logprobs"]["content"]]
    target = tokens[10]
    stop_id = get_model().index[target]
    body = chat(http, seed=9, max_tokens=60, stop_token_ids=[stop_id, 123456789])
    assert content(body) == "".join(tokens[: tokens.index(target)])
    assert body["choices"][0]["finish_reason"] == "stop"


def test_max_tokens_and_precedence(http: httpx.Client) -> None:
    body = chat(http, max_tokens=7)
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 7
    both = chat(http, max_tokens=50, max_completion_tokens=4)
    assert both["usage"]["completion_tokens"] == 4
    ignored = chat(http, max_tokens=0, seed=1)  # <= 0 is ignored: the model's default applies
    assert ignored["usage"]["completion_tokens"] > 0


def test_end_of_answer_token_stops(http: httpx.Client) -> None:
    body = chat(http, temperature=0.0, max_tokens=4000)
    choice = body["choices"][0]
    assert (choice["finish_reason"], choice["stop_reason"]) == ("stop", None)
    assert body["usage"]["completion_tokens"] < 4000
    assert content(body) == content(chat(http, temperature=0.0, max_tokens=4000))


# --- logprobs --------------------------------------------------------------------------------


def test_logprobs_match_the_model(http: httpx.Client) -> None:
    """Reported logprobs are the model's distribution after temperature, before top_p."""
    settings = SamplingSettings(temperature=0.7, top_p=0.9)
    body = chat(
        http, seed=21, max_tokens=40, temperature=0.7, top_p=0.9, logprobs=True, top_logprobs=3
    )
    logprobs = body["choices"][0]["logprobs"]
    entries = logprobs["content"]
    assert len(entries) == 40 and logprobs["token"] == entries[0]["token"]
    assert "".join(e["token"] for e in entries) == content(body)
    model = get_model()
    topic = TopicIndex(model).choose(QUESTION, random.Random(21))  # the server's first draws
    context = list(topic.answer_context)
    for entry in entries:
        dist = model.distribution_ids(context, 4, topic.answer)
        processed = processed_logprobs(dist.logprobs, settings)
        chosen = dist.ids.index(model.index[entry["token"]])
        assert entry["logprob"] == pytest.approx(processed[chosen], abs=1e-12)
        assert entry["bytes"] == list(entry["token"].encode())
        best = sorted(processed, reverse=True)[:3]
        assert [t["logprob"] for t in entry["top_logprobs"]] == pytest.approx(best, abs=1e-12)
        context.append(dist.ids[chosen])


def test_streamed_logprobs(http: httpx.Client) -> None:
    events = stream(http, seed=4, max_tokens=10, logprobs=True, top_logprobs=2)
    token_chunks = [c for c in events if c.get("choices") and c["choices"][0]["logprobs"]]
    assert len(token_chunks) == 10
    for chunk in token_chunks:
        lp = chunk["choices"][0]["logprobs"]
        assert lp["content"][0]["token"] == lp["token"] == chunk["choices"][0]["delta"]["content"]
        assert len(lp["top_logprobs"]) <= 2 and lp["logprob"] <= 0


# --- structured output and tools -------------------------------------------------------------

RECIPE = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 3},
        "servings": {"type": "integer", "minimum": 1, "maximum": 12},
        "rating": {"type": "number", "minimum": 0, "maximum": 5},
        "vegetarian": {"type": "boolean"},
        "course": {"type": "string", "enum": ["starter", "main", "dessert"]},
        "steps": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 5},
        "author": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": False,
        },
    },
    "required": ["title", "servings", "rating", "vegetarian", "course", "steps", "author"],
    "additionalProperties": False,
}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_json_schema_output_validates(http: httpx.Client, seed: int) -> None:
    openai_shape = {
        "type": "json_schema",
        "json_schema": {"name": "recipe", "strict": True, "schema": RECIPE},
    }
    body = chat(http, seed=seed, response_format=openai_shape)
    jsonschema.validate(json.loads(content(body)), RECIPE)
    inline = chat(http, seed=seed, response_format={"type": "json_schema", "json_schema": RECIPE})
    jsonschema.validate(json.loads(content(inline)), RECIPE)
    pieces = deltas(stream(http, seed=seed, response_format=openai_shape))
    assert len(pieces) > 5
    assert "".join(pieces) == content(body)


def test_json_object(http: httpx.Client) -> None:
    value = json.loads(content(chat(http, response_format={"type": "json_object"})))
    assert isinstance(value, dict) and isinstance(value["answer"], str)


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather now",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"enum": ["c", "f"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
CLOCK = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {
            "type": "object",
            "properties": {"zone": {"type": "string"}},
            "required": ["zone"],
        },
    },
}


def test_tool_call_required(http: httpx.Client) -> None:
    body = chat(http, tools=[WEATHER], tool_choice="required", seed=3)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    jsonschema.validate(
        json.loads(call["function"]["arguments"]), WEATHER["function"]["parameters"]
    )  # type: ignore[index]
    events = stream(http, tools=[WEATHER], tool_choice="required", seed=3)
    pieces = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in events
        if c.get("choices") and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert pieces[0]["id"] == call["id"] and pieces[0]["function"]["name"] == "get_weather"
    assert all("id" not in p and p["index"] == 0 for p in pieces[1:]) and len(pieces) > 3
    assert "".join(p["function"]["arguments"] for p in pieces) == call["function"]["arguments"]
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_tool_choice_auto_named_and_parallel(http: httpx.Client) -> None:
    def ask(text: str, **extra: Any) -> dict[str, Any]:
        return chat(
            http, messages=[{"role": "user", "content": text}], tools=[WEATHER, CLOCK], **extra
        )["choices"][0]

    plain = ask("Tell me about bread")
    assert plain["finish_reason"] != "tool_calls" and plain["message"]["tool_calls"] == []
    mentioned = ask("Please call get_time for Paris")
    assert [c["function"]["name"] for c in mentioned["message"]["tool_calls"]] == ["get_time"]
    both = ask("Use get weather and get_time")
    assert [c["function"]["name"] for c in both["message"]["tool_calls"]] == [
        "get_weather",
        "get_time",
    ]
    single = ask("Use get weather and get_time", parallel_tool_calls=False)
    assert len(single["message"]["tool_calls"]) == 1
    named = ask("anything", tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert named["message"]["tool_calls"][0]["function"]["name"] == "get_time"
    none = ask("Please call get_time", tool_choice="none")
    assert none["message"]["tool_calls"] == []


def test_answer_after_tool_result(http: httpx.Client) -> None:
    messages = [
        {"role": "user", "content": "call get_weather for Oslo"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo","unit":"c"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 3}'},
    ]
    choice = chat(http, messages=messages, tools=[WEATHER], max_tokens=20)["choices"][0]
    assert choice["message"]["tool_calls"] == [] and choice["message"]["content"]


# --- web search and reasoning ----------------------------------------------------------------


def test_web_search_citations(http: httpx.Client) -> None:
    ask = [{"role": "user", "content": "How does temperature and top-p sampling work?"}]
    searched = chat(http, messages=ask, max_tokens=5, venice_parameters={"enable_web_search": "on"})
    citations = searched["venice_parameters"]["web_search_citations"]
    assert citations and all(
        c["url"].startswith("https://example.com/") and c["title"] for c in citations
    )
    plain = chat(http, messages=ask, max_tokens=5)
    assert plain["venice_parameters"]["web_search_citations"] == []
    assert searched["cost"]["usd"] == pytest.approx(plain["cost"]["usd"] + 0.01)
    by_suffix = chat(
        http,
        messages=ask,
        max_tokens=5,
        model="venice-offline:enable_web_search=on&include_venice_system_prompt=false",
    )
    assert by_suffix["venice_parameters"]["enable_web_search"] == "on"
    assert by_suffix["venice_parameters"]["include_venice_system_prompt"] is False
    assert by_suffix["venice_parameters"]["web_search_citations"] == citations
    assert (
        "bogus" not in chat(http, max_tokens=2, venice_parameters={"bogus": 1})["venice_parameters"]
    )
    unrelated = [{"role": "user", "content": "zzzz qqqq"}]
    auto = chat(
        http, messages=unrelated, max_tokens=5, venice_parameters={"enable_web_search": "auto"}
    )
    assert auto["venice_parameters"]["web_search_citations"] == []


def test_web_search_in_stream(http: httpx.Client) -> None:
    ask = [{"role": "user", "content": "How should I water a vegetable garden?"}]
    events = stream(
        http,
        messages=ask,
        max_tokens=5,
        venice_parameters={"enable_web_search": "on", "include_search_results_in_stream": True},
    )
    carrying = [
        i
        for i, c in enumerate(events)
        if c.get("venice_parameters", {}).get("web_search_citations")
    ]
    assert len(carrying) == 1 and events[carrying[0]]["choices"] == []
    assert carrying[0] >= len(events) - 2  # at the end, before usage and [DONE]
    quiet = stream(http, messages=ask, max_tokens=5, venice_parameters={"enable_web_search": "on"})
    assert not any("venice_parameters" in c for c in quiet)
    documents = chat(
        http,
        messages=ask,
        max_tokens=5,
        venice_parameters={"enable_web_search": "on", "return_search_results_as_documents": True},
    )["choices"][0]
    call = documents["message"]["tool_calls"][0]
    assert call["function"]["name"] == "web_search"
    assert json.loads(call["function"]["arguments"])["documents"]


def test_reasoning_comes_first(http: httpx.Client) -> None:
    events = stream(http, model="venice-offline-reasoning", seed=2, max_tokens=300)
    kinds = [
        next(k for k in ("reasoning_content", "content") if k in c["choices"][0]["delta"])
        for c in events
        if c.get("choices") and c["choices"][0]["delta"]
    ]
    kinds = kinds[1:]  # the role chunk
    assert kinds[0] == "reasoning_content" and "content" in kinds
    assert kinds.index("content") > max(i for i, k in enumerate(kinds) if k == "reasoning_content")
    usage = events[-1]["usage"]
    shown = kinds.count("reasoning_content")
    # the line break that ends the reasoning is generated (counted) but not shown
    assert usage["completion_tokens_details"]["reasoning_tokens"] in (shown, shown + 1)
    body = chat(http, model="venice-offline-reasoning", seed=2, max_tokens=300)
    message = body["choices"][0]["message"]
    assert message["reasoning_content"] == "".join(deltas(events, "reasoning_content"))
    assert message["content"] == "".join(deltas(events))


@pytest.mark.parametrize(
    ("extra", "shown", "counted"),
    [
        ({"venice_parameters": {"strip_thinking_response": True}}, False, True),
        ({"venice_parameters": {"disable_thinking": True}}, False, False),
        ({"reasoning_effort": "none"}, False, False),
        ({"reasoning": {"enabled": False}}, False, False),
        ({"reasoning": {"effort": "low"}}, True, True),
    ],
)
def test_reasoning_controls(
    http: httpx.Client, extra: dict[str, Any], shown: bool, counted: bool
) -> None:
    body = chat(http, model="venice-offline-reasoning", max_tokens=200, **extra)
    assert (body["choices"][0]["message"]["reasoning_content"] is not None) == shown
    assert (body["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0) == counted


def test_limit_reached_while_reasoning(http: httpx.Client) -> None:
    body = chat(http, model="venice-offline-reasoning", max_completion_tokens=5)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "length" and choice["message"]["content"] == ""
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] == 5
