"""Building a Reply from chat-completion chunks and from a non-streaming body."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from venice_jupyter.api._accumulate import Accumulator, reply_from_body
from venice_jupyter.errors import APIError, ProtocolError, StreamError
from venice_jupyter.reply import Citation, Cost, Delta, Reply, TokenLogprob, ToolCall, Usage

SPEC = Path(__file__).resolve().parents[1] / "spec" / "venice-openapi.yaml"


def chunk(*choices: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A chat.completion.chunk with the usual envelope."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "choices": list(choices),
        **top,
    }


def delta(index: int = 0, finish: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"index": index, "delta": fields, "finish_reason": finish}


def run(*chunks: dict[str, Any]) -> tuple[Reply, list[Delta]]:
    acc = Accumulator()
    deltas: list[Delta] = []
    for item in chunks:
        deltas.extend(acc.feed(item))
    deltas.extend(acc.flush())
    return acc.finish(), deltas


def content_stream(pieces: list[str]) -> tuple[Reply, list[Delta]]:
    return run(*(chunk(delta(content=piece)) for piece in pieces))


def test_content_across_chunks() -> None:
    acc = Accumulator()
    assert acc.feed(chunk(delta(role="assistant", content=""))) == []
    assert acc.feed(chunk(delta(content="Hel"))) == [Delta(0, "content", "Hel")]
    assert acc.reply.text == "Hel"  # current after every feed, not only at the end
    assert acc.feed(chunk(delta(content="lo"))) == [Delta(0, "content", "lo")]
    acc.feed(chunk(delta(finish="stop", content=None)))
    assert not acc.reply.complete
    reply = acc.finish()
    assert reply is acc.reply
    assert (reply.text, reply.finish_reason, reply.complete) == ("Hello", "stop", True)
    assert (reply.id, reply.model, reply.created) == ("chatcmpl-1", "m", 1700000000)


def test_id_and_created_first_non_empty_wins_model_last_non_empty_wins() -> None:
    reply, _ = run(
        {"id": "", "model": "", "choices": []},
        {"id": "a", "created": 5, "model": "first", "choices": []},
        {"id": "b", "created": 6, "model": "second", "choices": []},
        {"choices": [], "model": None},
    )
    assert (reply.id, reply.created, reply.model) == ("a", 5, "second")


def test_reasoning_first_then_content() -> None:
    reply, deltas = run(
        chunk(delta(reasoning_content="Think")),
        chunk(delta(reasoning_content="ing.")),
        chunk(delta(content="Answer", reasoning_content=None)),
    )
    assert (reply.reasoning, reply.text) == ("Thinking.", "Answer")
    assert [d.kind for d in deltas] == ["reasoning", "reasoning", "content"]


def test_reasoning_alias() -> None:
    reply, deltas = run(chunk(delta(reasoning="a")), chunk(delta(reasoning="b", content="c")))
    assert (reply.reasoning, reply.text) == ("ab", "c")
    assert deltas == [
        Delta(0, "reasoning", "a"),
        Delta(0, "reasoning", "b"),
        Delta(0, "content", "c"),
    ]


def test_reasoning_and_its_alias_in_one_delta_are_not_doubled() -> None:
    reply, _ = run(chunk(delta(reasoning_content="x", reasoning="x")))
    assert reply.reasoning == "x"


def test_two_choices_interleaved() -> None:
    reply, deltas = run(
        chunk(delta(0, content="A1"), delta(1, content="B1")),
        chunk(delta(1, content="B2")),
        chunk(delta(0, content="A2")),
        chunk(delta(1, finish="length"), delta(0, finish="stop")),
    )
    assert [c.index for c in reply.choices] == [0, 1]
    assert [c.content for c in reply.choices] == ["A1A2", "B1B2"]
    assert [c.finish_reason for c in reply.choices] == ["stop", "length"]
    assert [(d.choice, d.text) for d in deltas] == [(0, "A1"), (1, "B1"), (1, "B2"), (0, "A2")]


def test_choice_without_index_is_choice_zero() -> None:
    reply, _ = run({"choices": [{"delta": {"content": "x"}}]})
    assert reply.text == "x"


def test_two_parallel_tool_calls_merged_by_index() -> None:
    def call(index: int, **fields: Any) -> dict[str, Any]:
        return {"index": index, **fields}

    reply, deltas = run(
        chunk(
            delta(
                tool_calls=[
                    call(
                        0,
                        id="call_a",
                        type="function",
                        function={"name": "get_weather", "arguments": ""},
                    )
                ]
            )
        ),
        chunk(
            delta(
                tool_calls=[
                    call(
                        1,
                        id="call_b",
                        type="function",
                        function={"name": "get_time", "arguments": ""},
                    )
                ]
            )
        ),
        chunk(delta(tool_calls=[call(0, function={"arguments": '{"city": '})])),
        chunk(delta(tool_calls=[call(1, function={"arguments": '{"tz": "UTC"}'})])),
        chunk(delta(tool_calls=[call(0, function={"arguments": '"Oslo"}'})])),
        chunk(delta(finish="tool_calls")),
    )
    assert reply.choices[0].tool_calls == [
        ToolCall(
            index=0, id="call_a", type="function", name="get_weather", arguments='{"city": "Oslo"}'
        ),
        ToolCall(index=1, id="call_b", type="function", name="get_time", arguments='{"tz": "UTC"}'),
    ]
    assert reply.finish_reason == "tool_calls"
    assert reply.text == ""
    assert [(d.kind, d.text) for d in deltas] == [
        ("tool_call", ""),  # the name arrived: a sink may show "calling get_weather"
        ("tool_call", ""),
        ("tool_call", '{"city": '),
        ("tool_call", '{"tz": "UTC"}'),
        ("tool_call", '"Oslo"}'),
    ]


def test_tool_calls_without_index_match_by_id_then_latest() -> None:
    reply, _ = run(
        chunk(delta(tool_calls=[{"id": "a", "function": {"name": "f", "arguments": "{"}}])),
        chunk(delta(tool_calls=[{"function": {"arguments": "}"}}])),
        chunk(delta(tool_calls=[{"id": "b", "function": {"name": "g", "arguments": "[]"}}])),
        chunk(delta(tool_calls=[{"id": "a", "function": {"arguments": ""}}])),
    )
    calls = reply.choices[0].tool_calls
    assert [(c.index, c.id, c.name, c.arguments) for c in calls] == [
        (0, "a", "f", "{}"),
        (1, "b", "g", "[]"),
    ]


def test_finish_reason_and_stop_reason() -> None:
    reply, _ = run(
        chunk(delta(content="x")),
        chunk({"index": 0, "delta": {}, "finish_reason": "stop", "stop_reason": "length"}),
        chunk({"index": 1, "delta": {}, "finish_reason": "stop", "stop_reason": 151643}),
    )
    assert (reply.choices[0].finish_reason, reply.choices[0].stop_reason) == ("stop", "length")
    assert reply.choices[1].stop_reason == "151643"  # vLLM: a stop token id


def test_logprobs_openai_shape() -> None:
    logprobs = {
        "content": [
            {
                "token": "Hi",
                "logprob": -0.25,
                "bytes": [72, 105],
                "top_logprobs": [
                    {"token": "Hi", "logprob": -0.25, "bytes": [72, 105]},
                    {"token": "Hey", "logprob": -1.5, "bytes": None},
                ],
            },
            {"token": "!", "logprob": -0.01, "bytes": None, "top_logprobs": []},
        ],
        "refusal": None,
    }
    reply, _ = run(chunk({"index": 0, "delta": {"content": "Hi!"}, "logprobs": logprobs}))
    assert reply.choices[0].logprobs == [
        TokenLogprob("Hi", -0.25, [72, 105], [("Hi", -0.25), ("Hey", -1.5)]),
        TokenLogprob("!", -0.01, None, []),
    ]


def test_logprobs_venice_spec_single_object_shape() -> None:
    first = {
        "token": "hel",
        "logprob": -0.34,
        "bytes": [104, 101, 108],
        "top_logprobs": [{"token": "hel", "logprob": -0.34}],
    }
    second = {"token": "lo", "logprob": -0.5}
    reply, _ = run(
        chunk({"index": 0, "delta": {"content": "hel"}, "logprobs": first}),
        chunk({"index": 0, "delta": {"content": "lo"}, "logprobs": second}),
        chunk({"index": 0, "delta": {}, "logprobs": None}),
    )
    assert reply.choices[0].logprobs == [
        TokenLogprob("hel", -0.34, [104, 101, 108], [("hel", -0.34)]),
        TokenLogprob("lo", -0.5, None, []),
    ]


def test_usage_with_cached_and_reasoning_tokens_last_one_wins() -> None:
    early = {"prompt_tokens": 500, "completion_tokens": 0}
    final = {
        "prompt_tokens": 612,
        "completion_tokens": 146,
        "total_tokens": 758,
        "prompt_tokens_details": {"cached_tokens": 128, "cache_creation_input_tokens": 64},
        "completion_tokens_details": {"reasoning_tokens": 32},
    }
    reply, _ = run(
        {"id": "x", "usage": early, "model": "m"},  # no choices key at all (openclaw#15819)
        chunk(delta(content="hi"), usage=None),
        chunk(usage=final),  # choices: []
    )
    assert reply.usage == Usage(
        612, 146, 758, cached_tokens=128, cache_creation_tokens=64, reasoning_tokens=32
    )
    assert reply.text == "hi"


def test_usage_with_null_details() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 20,
        "total_tokens": 30,
        "prompt_tokens_details": None,
        "completion_tokens_details": None,
    }
    reply, _ = run(chunk(usage=usage))
    assert reply.usage == Usage(10, 20, 30)


def test_cost_at_top_level_and_inside_usage() -> None:
    reply, _ = run(chunk(usage={"prompt_tokens": 1}, cost={"usd": 0.00042, "diem": 0}))
    assert reply.cost == Cost(usd=0.00042, diem=0.0)
    reply, _ = run(chunk(usage={"prompt_tokens": 1, "cost": {"usd": 0.5, "diem": 1.5}}))
    assert reply.cost == Cost(usd=0.5, diem=1.5)
    reply, _ = run(chunk(delta(content="x")))
    assert reply.cost is None


CITATIONS = [
    {
        "title": "Why is the sky blue?",
        "url": "https://example.org/sky",
        "content": "Rayleigh",
        "date": "2025-04-16T16:55:11",
    },
    {"title": "Sky", "url": "https://example.org/2"},
]
EXPECTED_CITATIONS = [
    Citation("Why is the sky blue?", "https://example.org/sky", "Rayleigh", "2025-04-16T16:55:11"),
    Citation("Sky", "https://example.org/2"),
]


def test_citations_on_first_chunk() -> None:
    params = {"enable_web_search": "on", "web_search_citations": CITATIONS}
    reply, _ = run(chunk(delta(content="a"), venice_parameters=params), chunk(delta(content="b")))
    assert reply.citations == EXPECTED_CITATIONS
    assert reply.venice_parameters == {"enable_web_search": "on"}
    assert reply.text == "ab"


def test_citations_on_last_chunk_with_empty_choices() -> None:
    reply, _ = run(
        chunk(delta(content="a")),
        chunk(
            venice_parameters={
                "include_search_results_in_stream": True,
                "web_search_citations": CITATIONS,
            }
        ),
    )
    assert reply.citations == EXPECTED_CITATIONS
    assert reply.venice_parameters == {"include_search_results_in_stream": True}


def test_citations_on_chunk_without_choices_key() -> None:
    reply, _ = run(
        chunk(delta(content="a")),
        {"id": "x", "venice_parameters": {"web_search_citations": CITATIONS}},
    )
    assert reply.citations == EXPECTED_CITATIONS


def test_later_empty_citation_list_keeps_earlier_citations() -> None:
    reply, _ = run(
        chunk(venice_parameters={"web_search_citations": CITATIONS}),
        chunk(venice_parameters={"web_search_citations": [], "strip_thinking_response": False}),
    )
    assert reply.citations == EXPECTED_CITATIONS
    assert reply.venice_parameters == {"strip_thinking_response": False}


def test_in_band_error_chunk_raises_stream_error() -> None:
    acc = Accumulator()
    acc.feed(chunk(delta(content="partial")))
    error = {
        "error": {
            "message": "The model is overloaded",
            "type": "server_error",
            "code": "model_overloaded",
            "param": None,
            "retry_after": 30,
        }
    }
    with pytest.raises(StreamError) as info:
        acc.feed(error)
    err = info.value
    assert "The model is overloaded" in str(err)
    assert err.code == "model_overloaded"
    assert err.retry_after == 30.0
    # Nothing else was applied; what streamed before is intact for the caller to attach.
    assert acc.reply.text == "partial"
    assert not acc.reply.complete


def test_error_chunk_with_other_fields_sets_nothing() -> None:
    acc = Accumulator()
    with pytest.raises(StreamError, match="boom"):
        acc.feed(chunk(delta(content="x"), error="boom", usage={"prompt_tokens": 3}))
    assert acc.reply == Reply()


@pytest.mark.parametrize(
    "bad",
    [
        {"choices": "nope"},
        {"choices": [{"index": 0, "delta": {"content": 5}}]},
        {"choices": [{"index": 0, "delta": {"content": [1]}}]},
        {"choices": [{"index": 0, "delta": {"content": [{"type": "image_url"}]}}]},
        {"choices": [{"index": -1, "delta": {"content": "x"}}]},
        {"choices": [{"index": "0", "delta": {"content": "x"}}]},
        {"choices": [{"index": 0, "delta": "x"}]},
        {"choices": [{"index": 0, "delta": {"reasoning_content": 1}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"function": "f"}]}}]},
    ],
)
def test_wrong_shapes_raise_protocol_error(bad: dict[str, Any]) -> None:
    acc = Accumulator()
    acc.feed(chunk(delta(content="kept")))
    with pytest.raises(ProtocolError):
        acc.feed(bad)
    assert acc.reply.text == "kept"


# A leading <think> block inside content


def test_leading_think_block_with_tags_split_across_deltas() -> None:
    reply, deltas = content_stream(["<th", "ink>Let me", " think</th", "ink>\n\n", "The answer."])
    assert (reply.reasoning, reply.text) == ("Let me think", "The answer.")
    assert deltas == [
        Delta(0, "reasoning", "Let me"),
        Delta(0, "reasoning", " think"),
        Delta(0, "content", "The answer."),
    ]


THINK_TEXT = "\n<think>a < b </thin k></think>\n\nResult <think> stays</think>"


@pytest.mark.parametrize("cut", range(len(THINK_TEXT) + 1))
def test_think_routing_is_the_same_for_every_split(cut: int) -> None:
    reply, deltas = content_stream([THINK_TEXT[:cut], THINK_TEXT[cut:]])
    assert reply.reasoning == "a < b </thin k>"
    assert reply.text == "Result <think> stays</think>"
    assert "".join(d.text for d in deltas if d.kind == "reasoning") == reply.reasoning
    assert "".join(d.text for d in deltas if d.kind == "content") == reply.text


def test_think_routing_one_character_at_a_time() -> None:
    reply, _ = content_stream(list(THINK_TEXT))
    assert (reply.reasoning, reply.text) == ("a < b </thin k>", "Result <think> stays</think>")


@pytest.mark.parametrize(
    "pieces",
    [
        ["Hello <think> there"],
        ["Hi", " <think>x</think>"],
        ["<p>", "text"],
        ["<", "thinking>"],
        ["x<think>y</think>"],
    ],
)
def test_think_later_in_content_is_left_alone(pieces: list[str]) -> None:
    reply, deltas = content_stream(pieces)
    assert reply.text == "".join(pieces)
    assert reply.reasoning == ""
    assert all(d.kind == "content" for d in deltas)


def test_content_is_held_only_while_it_could_open_a_think_block() -> None:
    acc = Accumulator()
    assert acc.feed(chunk(delta(content="<thi"))) == []
    assert acc.feed(chunk(delta(content="s is"))) == [Delta(0, "content", "<this is")]
    assert acc.feed(chunk(delta(content=" html"))) == [Delta(0, "content", " html")]


def test_unclosed_think_block_is_all_reasoning() -> None:
    reply, deltas = content_stream(["<think>still thinking", " when cut off </thi"])
    assert (reply.reasoning, reply.text) == ("still thinking when cut off </thi", "")
    assert "".join(d.text for d in deltas) == reply.reasoning


def test_held_prefix_is_released_by_flush_and_finish() -> None:
    acc = Accumulator()
    assert acc.feed(chunk(delta(content="  <thi"))) == []
    assert acc.flush() == [Delta(0, "content", "  <thi")]
    assert acc.feed(chunk(delta(content="nk>"))) == [Delta(0, "content", "nk>")]
    assert acc.finish().text == "  <think>"
    acc = Accumulator()
    acc.feed(chunk(delta(content="\n")))
    assert acc.finish().text == "\n"


def think_oracle(text: str) -> tuple[str, str]:
    """(reasoning, content) for a whole content string, routed in one go."""
    stripped = text.lstrip()
    if not stripped.startswith("<think>"):
        return "", text
    inner, closed, after = stripped[len("<think>") :].partition("</think>")
    return inner, after.lstrip() if closed else ""


THINK_NOISE = st.lists(
    st.sampled_from(["</think>", "<think>", "<", "/", "t", "k>", " ", "\n", "é", "x"]), max_size=6
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    # Most texts open (and close) a think block, or the interesting cases would be rare.
    text=st.tuples(
        st.sampled_from(["", " ", "<think>", "<think>", "\n<think>"]),
        THINK_NOISE,
        st.sampled_from(["", "</think>", "</think>\n\n", "</think> "]),
        THINK_NOISE,
    ).map("".join),
    cuts=st.lists(st.integers(0, 60), max_size=6),
)
def test_property_think_routing_ignores_how_content_is_split(text: str, cuts: list[int]) -> None:
    bounds = sorted({min(cut, len(text)) for cut in cuts})
    pieces = [text[a:b] for a, b in zip([0, *bounds], [*bounds, len(text)], strict=True)]
    reply, deltas = content_stream(pieces)
    assert (reply.reasoning, reply.text) == think_oracle(text)
    assert "".join(d.text for d in deltas if d.kind == "reasoning") == reply.reasoning
    assert "".join(d.text for d in deltas if d.kind == "content") == reply.text


def test_think_routing_is_per_choice() -> None:
    reply, _ = run(
        chunk(delta(0, content="<think>r0</think>c0"), delta(1, content="plain")),
        chunk(delta(1, content=" <think>x</think>")),
    )
    assert (reply.choices[0].reasoning, reply.choices[0].content) == ("r0", "c0")
    assert (reply.choices[1].reasoning, reply.choices[1].content) == ("", "plain <think>x</think>")


def test_long_reply_is_not_quadratic() -> None:
    # 200k deltas: copying the whole text on every append would take many seconds.
    acc = Accumulator()
    piece = chunk(delta(content=" word"))
    for _ in range(200_000):
        acc.feed(piece)
    assert len(acc.finish().text) == 1_000_000


# Non-streaming bodies


@lru_cache(maxsize=1)
def spec_example() -> dict[str, Any]:
    spec = yaml.load(
        SPEC.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    response = spec["paths"]["/chat/completions"]["post"]["responses"]["200"]
    example: dict[str, Any] = response["content"]["application/json"]["schema"]["example"]
    return example


def test_reply_from_body_on_the_spec_example() -> None:
    reply = reply_from_body(spec_example())
    assert reply.complete
    assert reply.id == "chatcmpl-a81fbc2d81a7a083bb83ccf9f44c6e5e"
    assert (reply.model, reply.created) == ("zai-org-glm-5-1", 1739928524)
    assert reply.text.startswith("The sky appears blue because")
    assert reply.text.endswith("to dominate the sky's color.")
    assert (reply.reasoning, reply.finish_reason, reply.choices[0].stop_reason) == (
        "",
        "stop",
        None,
    )
    assert reply.choices[0].tool_calls == []
    assert reply.choices[0].logprobs == []
    assert reply.usage == Usage(prompt_tokens=612, completion_tokens=146, total_tokens=758)
    assert reply.cost == Cost(usd=0.00042, diem=0.0)
    assert reply.citations == []
    assert reply.venice_parameters["character_slug"] == "venice"
    assert "web_search_citations" not in reply.venice_parameters


def test_reply_from_body_with_reasoning_tools_logprobs_citations() -> None:
    body = {
        "id": "c",
        "created": 1,
        "model": "m",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "stop_reason": None,
                "logprobs": {"token": "x", "logprob": -1.0, "bytes": [120], "top_logprobs": []},
                "message": {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Let me "},
                        {"type": "text", "text": "check."},
                    ],
                    "reasoning_content": "Need the weather.",
                    "tool_calls": [
                        {
                            "id": "t1",
                            "type": "function",
                            "function": {"name": "weather", "arguments": '{"c": 1}'},
                        },
                        None,
                        {
                            "id": "t2",
                            "type": "function",
                            "function": {"name": "time", "arguments": {"tz": "UTC"}},
                        },
                    ],
                },
            },
            {
                "index": 1,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "<think>hm</think>\nOK"},
            },
        ],
        "usage": {
            "prompt_tokens": 5,
            "completion_tokens": 7,
            "total_tokens": 12,
            "completion_tokens_details": {"reasoning_tokens": 3},
        },
        "venice_parameters": {"web_search_citations": CITATIONS, "enable_web_search": "on"},
    }
    reply = reply_from_body(body)
    first, second = reply.choices
    assert (first.content, first.reasoning, first.finish_reason) == (
        "Let me check.",
        "Need the weather.",
        "tool_calls",
    )
    assert first.tool_calls == [
        ToolCall(0, "t1", "function", "weather", '{"c": 1}'),
        ToolCall(1, "t2", "function", "time", '{"tz": "UTC"}'),
    ]
    assert first.logprobs == [TokenLogprob("x", -1.0, [120], [])]
    assert (second.reasoning, second.content) == ("hm", "OK")
    assert reply.usage == Usage(5, 7, 12, reasoning_tokens=3)
    assert reply.citations == EXPECTED_CITATIONS
    assert reply.venice_parameters == {"enable_web_search": "on"}


def test_reply_from_body_without_choices() -> None:
    reply = reply_from_body({"id": "c", "model": "m", "created": 1, "usage": {"prompt_tokens": 1}})
    assert (reply.choices, reply.text, reply.complete) == ([], "", True)


def test_reply_from_body_error_body_raises() -> None:
    with pytest.raises(APIError, match="upstream failed"):
        reply_from_body({"error": {"message": "upstream failed", "code": "upstream_error"}})


@pytest.mark.parametrize("body", [[], {"choices": ["x"]}, {"choices": [{"message": "text"}]}])
def test_reply_from_body_wrong_shapes(body: Any) -> None:
    with pytest.raises(ProtocolError):
        reply_from_body(body)
