"""Every fixture in tests/fixtures/ replayed through both clients and through the sinks.

The fixtures are Venice's own answers: the examples of its published spec, bodies and streams
built from its docs (each fixture's "source" says which, and where), and anything recorded
from the real API with ``VENICE_RECORD=DIR`` and copied in. The offline server was written by
this project, so a misreading of Venice shared by it and the client goes unnoticed there; here
the client meets what Venice documents. A fixture's "expect" says what the client must read
from it; a fixture without one (a fresh recording) must still go through without a crash.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.replay import (
    FORMAT,
    Outcome,
    Replay,
    async_client,
    body_pieces,
    fixture_files,
    is_chat,
    load,
    replay,
    request_body,
    sync_client,
)
from tests.spec_validator import validate_request
from venice_jupyter.api import ModelCatalog
from venice_jupyter.errors import VeniceError
from venice_jupyter.render import render_markdown
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.request import ChatParams
from venice_jupyter.session import Prepared, Session
from venice_jupyter.sinks import MIME_REPLY, TerminalSink, WidgetSink, final_bundle

FILES = fixture_files()
IDS = [p.stem for p in FILES]
CHAT_FILES = [p for p in FILES if is_chat(load(p))]


# ------------------------------------------------------------------ what "expect" may say


def check_reply(expect: dict[str, Any], reply: Reply) -> None:
    if "text" in expect:
        assert reply.text == expect["text"]
    if "reasoning" in expect:
        assert reply.reasoning == expect["reasoning"]
    if "finish_reason" in expect:
        assert reply.finish_reason == expect["finish_reason"]
    if "complete" in expect:
        assert reply.complete is expect["complete"]
    if "model" in expect:
        assert reply.model == expect["model"]
    if "citations" in expect:
        assert len(reply.citations) == expect["citations"], reply.citations
    if "citation_urls" in expect:
        assert [c.url for c in reply.citations] == expect["citation_urls"]
    if "usage" in expect:
        assert reply.usage is not None, "the usage was not read"
        got = {k: getattr(reply.usage, k) for k in expect["usage"]}
        assert got == expect["usage"]
    if "cost_usd" in expect:
        assert reply.cost is not None and not reply.cost.estimated
        assert reply.cost.usd == pytest.approx(expect["cost_usd"])
    if "venice_parameters" in expect:
        got = {k: reply.venice_parameters.get(k) for k in expect["venice_parameters"]}
        assert got == expect["venice_parameters"]
    if "tool_calls" in expect:
        calls = reply.choices[0].tool_calls if reply.choices else []
        got = [{"id": c.id, "name": c.name, "arguments": json.loads(c.arguments)} for c in calls]
        assert got == expect["tool_calls"]
    if "logprobs" in expect:
        entries = reply.choices[0].logprobs if reply.choices else []
        got = [{"token": e.token, "logprob": e.logprob, "top": len(e.top)} for e in entries]
        assert got == expect["logprobs"]
    for name, value in expect.get("meta", {}).items():
        assert getattr(reply.meta, name) == value, f"meta.{name}"


def check_error(expect: dict[str, Any], error: VeniceError | None) -> None:
    if "error" not in expect:
        assert error is None, f"unexpected {error!r}"
        return
    want = expect["error"]
    assert error is not None, f"expected a {want['class']}, got a reply"
    assert type(error).__name__ == want["class"], repr(error)
    for fragment in want.get("message", []):
        assert fragment in error.message, (fragment, error.message)
    if "not_in_message" in want:
        assert want["not_in_message"] not in error.message, error.message
    for name in ("status", "code", "retry_after"):
        if name in want:
            assert getattr(error, name) == want[name], name


def check_catalog(expect: dict[str, Any], catalog: ModelCatalog | None) -> None:
    assert catalog is not None
    if "models" in expect:
        assert len(catalog) == expect["models"]
    for name, model_id in expect.get("resolve", {}).items():
        assert catalog.resolve(name).id == model_id, name
    for model_id, caps in expect.get("supports", {}).items():
        assert all(catalog.resolve(model_id).supports(c) for c in caps), (model_id, caps)
    for model_id, caps in expect.get("lacks", {}).items():
        assert not any(catalog.resolve(model_id).supports(c) for c in caps), (model_id, caps)
    for model_id, tokens in expect.get("context_length", {}).items():
        assert catalog.resolve(model_id).context_length == tokens
    for model_id, (usd_in, usd_out) in expect.get("pricing", {}).items():
        pricing = catalog.resolve(model_id).pricing
        assert pricing is not None, model_id
        assert (pricing.input.usd, pricing.output.usd) == (usd_in, usd_out)
    for model_id, defaults in expect.get("defaults", {}).items():
        assert catalog.resolve(model_id).defaults == defaults
    for model_id in expect.get("deprecated", []):
        assert catalog.resolve(model_id).deprecation is not None, model_id


def check(expect: dict[str, Any], out: Outcome) -> None:
    check_error(expect, out.error)
    if "catalog" in expect:
        check_catalog(expect["catalog"], out.catalog)
    if "json_data" in expect:
        assert out.json["data"] == expect["json_data"]
    if any(k not in ("error", "catalog", "json_data") for k in expect):
        check_reply(expect, out.shown)


# ------------------------------------------------------------------ the tests


def test_the_fixtures_are_there() -> None:
    assert len(FILES) >= 12, f"the fixtures in {FILES[0].parent if FILES else 'tests/fixtures'}"
    assert len(CHAT_FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_fixture_is_well_formed_and_says_where_it_came_from(path: Path) -> None:
    fixture = load(path)
    assert fixture.get("format") == FORMAT
    assert isinstance(fixture.get("source"), str) and len(fixture["source"]) > 20
    request, response = fixture["request"], fixture["response"]
    assert request["method"] in ("GET", "POST") and request["url"].startswith("http")
    assert "authorization" not in {k.lower() for k in request.get("headers", {})}
    assert isinstance(response["status"], int)
    for piece in response["body"]:
        assert len(piece) == 1 and ("text" in piece or "base64" in piece), piece
    body = request_body(fixture)
    if is_chat(fixture) and body is not None and response["status"] < 400:
        validate_request(body)  # a request Venice took fits its own spec (a 400 may not)


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_replay_through_the_client(path: Path, driver: str) -> None:
    fixture = load(path)
    served, out = replay(fixture, driver)
    # The transport handed the body out in the recorded pieces; all of them were read unless
    # an error ended the reading (an in-band error chunk is the last one the client reads).
    assert served.streams, "the recorded request was never made"
    recorded, given = body_pieces(fixture), served.streams[0].served
    assert given == recorded if out.error is None else given == recorded[: len(given)]
    if out.reply is not None or (out.error is not None and out.error.partial is not None):
        content = "".join(d.text for d in out.deltas if d.kind == "content" and d.choice == 0)
        if out.deltas:  # what a sink was shown is what the reply holds
            assert content == out.shown.text
    if "expect" in fixture:
        check(fixture["expect"], out)


class Fanout:
    """One stream shown by several sinks at once."""

    def __init__(self, *sinks: Any) -> None:
        self.sinks = sinks

    def on_start(self, prepared: Prepared) -> None:
        for sink in self.sinks:
            sink.on_start(prepared)

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        for sink in self.sinks:
            sink.on_delta(delta, reply)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        for sink in self.sinks:
            sink.on_retry(error, delay, attempt)

    def on_finish(self, reply: Reply) -> None:
        for sink in self.sinks:
            sink.on_finish(reply)

    def on_error(self, error: VeniceError) -> None:
        for sink in self.sinks:
            sink.on_error(error)


def show(served: Replay, prepared: Prepared, sink: Fanout, driver: str) -> Reply:
    """The session's own path: ``Session.run`` (the magic's) or ``Session.arun`` (widgets')."""
    with sync_client(served) as client:
        if driver == "sync":
            return Session(client).run(prepared, sink)

        async def arun() -> Reply:
            async with async_client(served) as aclient:
                return await Session(client, aclient).arun(prepared, sink, client=aclient)

        return asyncio.run(arun())


@pytest.mark.parametrize("driver", ["sync", "async"])
@pytest.mark.parametrize("path", CHAT_FILES, ids=[p.stem for p in CHAT_FILES])
def test_replay_through_the_sinks(path: Path, driver: str) -> None:
    fixture = load(path)
    served = Replay(fixture)
    body = request_body(fixture) or {"model": "default", "messages": [{"role": "user"}]}
    prepared = Prepared(body, str(body["model"]), body["messages"][-1], ChatParams())
    terminal, html = io.StringIO(), SimpleNamespace(value="")
    sink = Fanout(TerminalSink(out=terminal), WidgetSink(html))
    error: VeniceError | None = None
    try:
        reply = show(served, prepared, sink, driver)
    except VeniceError as err:
        error = err
        reply = err.partial or Reply()
    data, metadata = final_bundle(reply, prepared, error=error.message if error else "")
    # Each sink shows what the client read, and the saved output keeps it.
    assert reply.text in terminal.getvalue()
    assert render_markdown(reply.text, citations=reply.citations) in html.value
    assert data["text/markdown"] == reply.text
    assert reply.text in data["text/plain"]
    assert data[MIME_REPLY]["reasoning"] == reply.reasoning
    assert metadata["venice"]["complete"] is reply.complete
    for citation in reply.citations:  # the sources are shown under the answer
        assert citation.url in html.value and citation.url in data["text/html"]
    if reply.reasoning:
        assert "[reasoning]" in terminal.getvalue() and reply.reasoning in terminal.getvalue()
    if error is not None:
        assert error.message in terminal.getvalue()
        assert error.message in data["text/plain"]
    if "expect" in fixture:  # without one (a fresh recording), any outcome but a crash will do
        expect = fixture["expect"]
        check_error(expect, error)
        for key in ("text", "reasoning"):
            if key in expect:
                assert getattr(reply, key) == expect[key]
