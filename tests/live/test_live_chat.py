"""The real Venice API: streaming (both drivers), a whole answer, reasoning, web search with
citations, and a request Venice refuses. Cheapest models, tiny token limits (a few cents in
all, most of it the one web search). Skipped without a real key (see conftest.py)."""

from __future__ import annotations

import asyncio
import os
import re

import pytest

from testkit.keys import LIVE_KEY_VAR
from tests.live.helpers import Collect, cheapest, live_aclient
from venice_jupyter.api import ModelCatalog, VeniceClient
from venice_jupyter.errors import BadRequestError
from venice_jupyter.reply import Reply
from venice_jupyter.request import ChatParams, build_body
from venice_jupyter.session import Session

pytestmark = pytest.mark.live

COUNT = "Count from 1 to 5, digits separated by spaces, nothing else."


def check_stream(reply: Reply, sink: Collect, limit: int) -> None:
    assert sink.finished is reply and reply.complete
    assert len([d for d in sink.deltas if d.kind == "content"]) >= 2, "one piece is no stream"
    assert sink.text() == reply.text and reply.text.strip()
    assert reply.finish_reason in ("stop", "length")
    assert reply.usage is not None and 1 <= reply.usage.completion_tokens <= limit
    assert reply.usage.prompt_tokens > 0
    assert reply.meta.request_id, "Venice documents CF-RAY on every response"
    assert reply.timings.ttft is not None and reply.timings.total is not None


def test_streaming_sync(client: VeniceClient, catalog: ModelCatalog) -> None:
    model = cheapest(catalog, avoid=("supportsReasoning",))
    session = Session(client)
    prepared = session.prepare(
        COUNT, params={"max_completion_tokens": 12}, model=model, catalog=catalog
    )
    sink = Collect()
    reply = session.run(prepared, sink)
    check_stream(reply, sink, 12)
    assert "1" in reply.text


def test_streaming_async(client: VeniceClient, catalog: ModelCatalog) -> None:
    model = cheapest(catalog, avoid=("supportsReasoning",))

    async def run() -> tuple[Reply, Collect]:
        async with live_aclient() as aclient:
            session = Session(client, aclient)
            params = {"max_completion_tokens": 12}
            prepared = session.prepare(COUNT, params=params, model=model, catalog=catalog)
            sink = Collect()
            return await session.arun(prepared, sink, client=aclient), sink

    reply, sink = asyncio.run(run())
    check_stream(reply, sink, 12)


def test_a_whole_answer_compressed(client: VeniceClient, catalog: ModelCatalog) -> None:
    model = cheapest(catalog, avoid=("supportsReasoning",))
    body = build_body(
        model,
        [{"role": "user", "content": COUNT}],
        ChatParams(max_completion_tokens=12),
        stream=False,
    )
    reply = client.complete(body)
    assert reply.complete and reply.text.strip() and reply.finish_reason in ("stop", "length")
    assert reply.usage is not None and reply.usage.total_tokens > reply.usage.prompt_tokens
    assert reply.model  # the model that answered, as Venice names it


def test_a_reasoning_model_reasons_before_it_answers(
    client: VeniceClient, catalog: ModelCatalog
) -> None:
    model = cheapest(catalog, "supportsReasoning")
    session = Session(client)
    prepared = session.prepare(
        "What is 12 * 13? Reply with the number only.",
        params={"max_completion_tokens": 600},
        model=model,
        catalog=catalog,
    )
    sink = Collect()
    reply = session.run(prepared, sink)
    assert reply.usage is not None
    assert reply.reasoning or reply.usage.reasoning_tokens > 0, "no sign of reasoning"
    kinds = [d.kind for d in sink.deltas]
    if reply.reasoning and "content" in kinds:
        assert kinds.index("reasoning") < kinds.index("content")  # thinking comes first
    assert "<think>" not in reply.text
    if reply.finish_reason == "stop":
        assert "156" in reply.text


def test_web_search_streams_its_citations(client: VeniceClient, catalog: ModelCatalog) -> None:
    model = cheapest(catalog, "supportsWebSearch", avoid=("supportsReasoning",))
    session = Session(client)
    params = {
        "max_completion_tokens": 60,
        "enable_web_search": "on",
        "enable_web_citations": True,
        "include_search_results_in_stream": True,
    }
    prepared = session.prepare(
        "Search the web: which city is the capital of Australia? One sentence.",
        params=params,
        model=model,
        catalog=catalog,
    )
    reply = session.run(prepared, Collect())
    assert reply.citations, "web search on with include_search_results_in_stream: no citations"
    for citation in reply.citations:
        assert citation.url.startswith(("https://", "http://")) and citation.title


def test_a_bad_request_gets_venices_own_400(client: VeniceClient, catalog: ModelCatalog) -> None:
    # A root key the spec does not allow (additionalProperties: false): Venice's documented
    # answer is 400 "Unrecognized key(s) in object: 'thinking'" (spec/API-NOTES.md §1, §6).
    model = cheapest(catalog, avoid=("supportsReasoning",))
    body = build_body(model, [{"role": "user", "content": "Hi"}], ChatParams(), stream=True)
    body["thinking"] = {"type": "enabled"}
    with pytest.raises(BadRequestError) as caught:
        client.stream(body).until_done()
    err = caught.value
    assert err.status == 400 and err.request_id
    assert re.search(r"[Uu]nrecognized key", err.message) and "thinking" in err.message
    assert err.partial is not None and err.partial.text == ""
    for shown in (err.message, repr(err), str(err.body)):
        assert os.environ[LIVE_KEY_VAR] not in shown
