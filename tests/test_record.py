"""``VENICE_RECORD=DIR``: both clients write each exchange to a fixture file, with no key in it.

Recorded against the offline server over loopback (real HTTP, real SSE), then read back and
replayed through the client: a recording is a fixture ``tests/test_replay.py`` can use as is.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_KEY
from tests.replay import Pieces, body_pieces, replay
from venice_jupyter.api import AsyncVeniceClient, RetryPolicy, VeniceClient
from venice_jupyter.errors import ConfigError, RateLimitError, VeniceError
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.reply import Reply
from venice_jupyter.request import ChatParams, build_body

NO_RETRY = RetryPolicy(max_retries=0)
# The key is in the prompt too: a recording must redact it wherever it appears.
PROMPT = f"Tell me about baking bread. (My key is {TEST_KEY}; it must not be recorded.)"


def body(stream: bool = True, **params: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": PROMPT}]
    return build_body("venice-offline", messages, ChatParams(**params), stream=stream)


@pytest.fixture
def record_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "recorded"
    monkeypatch.setenv("VENICE_RECORD", str(directory))
    return directory


def recordings(directory: Path) -> list[dict[str, Any]]:
    files = sorted(directory.glob("*.json"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    for text in texts:
        assert TEST_KEY not in text  # the suite's key: not in the URL, headers, body or bytes
    assert not list(directory.glob("*.part")), "a half-written file was left behind"
    return [json.loads(t) for t in texts]


def stream_sync(server: OfflineServer, stop_after: int | None = None, **params: Any) -> Reply:
    with VeniceClient(TEST_KEY, server.base_url, retry=NO_RETRY) as client:
        stream = client.stream(body(**params))
        for n, _ in enumerate(stream, 1):
            if n == stop_after:
                break
        return stream.reply


async def stream_async(
    server: OfflineServer, stop_after: int | None = None, **params: Any
) -> Reply:
    async with AsyncVeniceClient(TEST_KEY, server.base_url, retry=NO_RETRY) as client:
        stream = client.stream(body(**params))
        n = 0
        async for _ in stream:
            n += 1
            if n == stop_after:
                break
        return stream.reply


def run(driver: str, server: OfflineServer, **kwargs: Any) -> Reply:
    if driver == "sync":
        return stream_sync(server, **kwargs)
    return asyncio.run(stream_async(server, **kwargs))


def test_unset_means_no_hooks(monkeypatch: pytest.MonkeyPatch, server: OfflineServer) -> None:
    monkeypatch.delenv("VENICE_RECORD", raising=False)
    with VeniceClient(TEST_KEY, server.base_url) as client:
        assert client._http.event_hooks == {"request": [], "response": []}
    aclient = AsyncVeniceClient(TEST_KEY, server.base_url)
    assert aclient._http.event_hooks == {"request": [], "response": []}
    asyncio.run(aclient.aclose())


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_stream_is_recorded_whole_and_without_the_key(
    driver: str, server: OfflineServer, record_dir: Path
) -> None:
    reply = run(driver, server, max_completion_tokens=30, seed=3)
    [fixture] = recordings(record_dir)
    assert fixture["format"] == "venice-jupyter/exchange-1"
    assert fixture["source"].startswith("recorded by venice-jupyter")
    request, response = fixture["request"], fixture["response"]
    assert request["method"] == "POST" and request["url"] == f"{server.base_url}/chat/completions"
    assert {k.lower() for k in request["headers"]} >= {"accept", "user-agent"}
    assert "authorization" not in {k.lower() for k in request["headers"]}
    # The body as sent, the key in the prompt replaced.
    sent = request["json"]
    assert sent["max_completion_tokens"] == 30 and sent["seed"] == 3 and sent["stream"] is True
    assert sent["messages"][0]["content"] == PROMPT.replace(TEST_KEY, "********")
    # The response: status, headers and the SSE bytes in the pieces they came in.
    assert response["status"] == 200 and response["complete"] is True
    headers = dict(response["headers"])
    assert headers["content-type"].startswith("text/event-stream") and "cf-ray" in headers
    pieces = body_pieces(fixture)
    assert len(pieces) > 3 and all({"text"} == set(p) for p in response["body"])
    raw = b"".join(pieces).decode()
    assert raw.startswith("data: {") and raw.rstrip().endswith("data: [DONE]")
    chunks = [json.loads(line[6:]) for line in raw.split("\n") if line.startswith("data: {")]
    said = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert reply.text and said == reply.text  # the raw bytes hold exactly what was shown
    # Replayed, the recording gives the same reply to both drivers.
    for again in ("sync", "async"):
        _, out = replay(fixture, again)
        assert out.error is None and out.reply is not None
        assert out.reply.text == reply.text and out.reply.usage == reply.usage


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_bytes_that_are_not_utf8_are_kept_as_base64(
    driver: str, server: OfflineServer, record_dir: Path
) -> None:
    server.inject(Fault("split_utf8"))
    reply = run(driver, server)
    [fixture] = recordings(record_dir)
    kinds = {next(iter(p)) for p in fixture["response"]["body"]}
    assert kinds == {"text", "base64"}  # a character split across writes
    for p in fixture["response"]["body"]:
        if "base64" in p:
            with pytest.raises(UnicodeDecodeError):
                base64.b64decode(p["base64"]).decode("utf-8")
    _, out = replay(fixture, driver)
    assert out.reply is not None and out.reply.text == reply.text and "😀" in reply.text


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_stream_stopped_early_is_recorded_as_far_as_it_got(
    driver: str, server: OfflineServer, record_dir: Path
) -> None:
    run(driver, server, stop_after=2, max_completion_tokens=60)
    [fixture] = recordings(record_dir)
    assert fixture["response"]["complete"] is False
    raw = b"".join(body_pieces(fixture)).decode()
    assert raw.startswith("data: {") and "[DONE]" not in raw


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_dropped_connection_is_recorded_with_its_error(
    driver: str, server: OfflineServer, record_dir: Path
) -> None:
    server.inject(Fault("drop", after_tokens=3))
    with pytest.raises(VeniceError):
        run(driver, server)
    [fixture] = recordings(record_dir)
    response = fixture["response"]
    assert response["complete"] is False
    assert response["error"]["type"] in ("RemoteProtocolError", "ReadError")
    _, out = replay(fixture, driver)  # the replay fails the same way
    assert type(out.error).__name__ == "ConnectionLostError"


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_an_error_status_and_a_catalog_are_recorded(
    driver: str, server: OfflineServer, record_dir: Path
) -> None:
    server.inject(Fault("status", status=429, retry_after=7, message="Slow down"))

    async def calls_async() -> None:
        async with AsyncVeniceClient(TEST_KEY, server.base_url, retry=NO_RETRY) as client:
            with pytest.raises(RateLimitError):
                await client.stream(body()).until_done()
            await client.catalog()

    if driver == "sync":
        with VeniceClient(TEST_KEY, server.base_url, retry=NO_RETRY) as client:
            with pytest.raises(RateLimitError):
                client.stream(body()).until_done()
            client.catalog()
    else:
        asyncio.run(calls_async())
    fixtures = recordings(record_dir)
    statuses = {f["request"]["url"].split("/api/v1/")[1]: f["response"]["status"] for f in fixtures}
    assert statuses == {
        "chat/completions": 429,
        "models?type=text": 200,
        "models/traits?type=text": 200,
        "models/compatibility_mapping?type=text": 200,
    }
    [error] = [f for f in fixtures if f["response"]["status"] == 429]
    assert dict(error["response"]["headers"])["retry-after"] == "7"
    assert "Slow down" in b"".join(body_pieces(error)).decode()
    _, out = replay(error, driver)
    assert isinstance(out.error, RateLimitError) and out.error.retry_after == 7
    [models] = [f for f in fixtures if f["request"]["url"].endswith("/models?type=text")]
    _, out = replay(models, driver)
    assert out.catalog is not None and "venice-offline" in out.catalog


def test_a_compressed_answer_is_stored_decoded(server: OfflineServer, record_dir: Path) -> None:
    with VeniceClient(TEST_KEY, server.base_url, retry=NO_RETRY) as client:
        reply = client.complete(body(stream=False, max_completion_tokens=20))
    [fixture] = recordings(record_dir)
    response = fixture["response"]
    headers = {k.lower() for k, _ in response["headers"]}
    assert response["decoded"] in ("gzip", "br")
    assert "content-encoding" not in headers and "content-length" not in headers
    assert json.loads(b"".join(body_pieces(fixture)))["choices"][0]["message"]["content"]
    _, out = replay(fixture, "sync")
    assert out.reply is not None and out.reply.text == reply.text


def test_the_key_is_redacted_in_response_bytes_even_split_across_pieces(
    record_dir: Path,
) -> None:
    half = len(TEST_KEY) // 2
    pieces = [b'{"error": "bad key ' + TEST_KEY[:half].encode(), TEST_KEY[half:].encode() + b'"}']

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "x-echo": TEST_KEY}
        return httpx.Response(401, headers=headers, stream=Pieces(pieces, None))

    client = VeniceClient(TEST_KEY, "https://api.venice.ai/api/v1", retry=NO_RETRY,
                          transport=httpx.MockTransport(handler))  # fmt: skip
    with client, pytest.raises(VeniceError):
        client.stream(body()).until_done()
    [fixture] = recordings(record_dir)
    assert b"".join(body_pieces(fixture)) == b'{"error": "bad key ********"}'
    assert dict(fixture["response"]["headers"])["x-echo"] == "********"


def test_a_directory_that_cannot_be_made_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("VENICE_RECORD", str(blocker / "sub"))
    with pytest.raises(ConfigError, match=r"VENICE_RECORD: cannot create the directory .*unset"):
        VeniceClient(TEST_KEY, "http://127.0.0.1:9/api/v1")


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate"])
def test_each_compression_is_stored_decoded(encoding: str, record_dir: Path) -> None:
    import gzip
    import zlib

    import brotli  # httpx[brotli]

    plain = json.dumps({"id": "x", "choices": [{"index": 0, "message": {"content": "hé"}}]})
    packed = {"gzip": gzip.compress, "br": brotli.compress, "deflate": zlib.compress}[encoding]
    wire = packed(plain.encode())

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "content-encoding": encoding}
        return httpx.Response(200, headers=headers, stream=Pieces([wire], None))

    client = VeniceClient(TEST_KEY, "https://api.venice.ai/api/v1", retry=NO_RETRY,
                          transport=httpx.MockTransport(handler))  # fmt: skip
    with client:
        assert client.complete(body(stream=False)).text == "hé"
    [fixture] = recordings(record_dir)
    assert fixture["response"]["decoded"] == encoding
    assert fixture["response"]["body"] == [{"text": plain}]
    assert "content-encoding" not in {k for k, _ in fixture["response"]["headers"]}


def test_recordings_pass_the_replay_tests_as_they_are(
    server: OfflineServer, record_dir: Path
) -> None:
    """A recording dropped into tests/fixtures/ (no "expect" yet) is a working fixture."""
    from tests.test_replay import (
        test_fixture_is_well_formed_and_says_where_it_came_from,
        test_replay_through_the_client,
        test_replay_through_the_sinks,
    )

    server.inject(Fault("inband_error", after_tokens=2))
    with pytest.raises(VeniceError):
        stream_sync(server)
    stream_sync(server, max_completion_tokens=20, logprobs=True, top_logprobs=2)
    with VeniceClient(TEST_KEY, server.base_url, retry=NO_RETRY) as client:
        client.catalog()
    files = sorted(record_dir.glob("*.json"))
    assert len(files) == 5
    for path in files:
        test_fixture_is_well_formed_and_says_where_it_came_from(path)
        for driver in ("sync", "async"):
            test_replay_through_the_client(path, driver)
            if "chat-completions" in path.name:
                test_replay_through_the_sinks(path, driver)
