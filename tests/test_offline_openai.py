"""The official openai SDK talks to OfflineServer: streams, usage chunk, logprobs, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from venice_jupyter.offline import Fault, OfflineServer

MESSAGES = [{"role": "user", "content": "Why do language models give different answers?"}]


@pytest.fixture(scope="module")
def server() -> Iterator[OfflineServer]:
    with OfflineServer() as running:
        yield running


@pytest.fixture
def client(server: OfflineServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as c:
        yield c
    server.clear_faults()


def test_streaming_with_usage_and_logprobs(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="venice-offline",
            messages=MESSAGES,
            stream=True,
            max_tokens=25,
            seed=8,
            logprobs=True,
            top_logprobs=2,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    tokens = [
        lp.token
        for c in chunks
        if c.choices and c.choices[0].logprobs
        for lp in c.choices[0].logprobs.content or []
    ]
    assert "".join(tokens) == text and len(tokens) == 25
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finish == ["length"]
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens == 25
    assert usage_chunk.model_extra and usage_chunk.model_extra["cost"]["usd"] > 0


def test_non_streaming(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="venice-offline",
        messages=MESSAGES,
        max_tokens=25,
        seed=8,
        logprobs=True,
        top_logprobs=2,
    )
    choice = completion.choices[0]
    assert completion.object == "chat.completion" and choice.finish_reason == "length"
    assert choice.logprobs is not None and len(choice.logprobs.content or []) == 25
    assert completion.usage is not None and completion.usage.completion_tokens == 25
    streamed = client.chat.completions.create(
        model="venice-offline", messages=MESSAGES, stream=True, max_tokens=25, seed=8
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == (
        choice.message.content
    )
    extra = completion.model_extra or {}
    assert extra["venice_parameters"]["web_search_citations"] == []


def test_tool_calls_and_reasoning(client: openai.OpenAI) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {
                "type": "object",
                "properties": {"q": {"type": "string"}},
                "required": ["q"],
            },
        },
    }
    completion = client.chat.completions.create(
        model="venice-offline", messages=MESSAGES, tools=[tool], tool_choice="required"
    )
    call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "lookup" and "q" in json.loads(call.function.arguments)
    stream = client.chat.completions.create(
        model="venice-offline-reasoning", messages=MESSAGES, stream=True, max_tokens=60
    )
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
        for c in stream
        if c.choices
    )
    assert reasoning


def test_errors_map_to_sdk_exceptions(server: OfflineServer, client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="venice-offline-small", messages=MESSAGES, logprobs=True
        )
    server.inject(Fault("status", status=429, retry_after=1))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="venice-offline", messages=MESSAGES)
    server.inject(Fault("inband_error", after_tokens=1))
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(
            model="venice-offline", messages=MESSAGES, stream=True
        ):
            pass
    models = client.models.list()
    assert "venice-offline" in [m.id for m in models.data]
