"""The sync and async clients against the offline server over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_KEY
from venice_jupyter import errors as e
from venice_jupyter.api._async import AsyncVeniceClient
from venice_jupyter.api._config import Timeouts
from venice_jupyter.api._retry import RetryPolicy
from venice_jupyter.api._sync import VeniceClient
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.reply import Reply
from venice_jupyter.request._params import ChatParams, build_body

FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)


def body(**params: Any) -> dict[str, Any]:
    msgs = [{"role": "user", "content": "Tell me about baking bread."}]
    return build_body("venice-offline", msgs, ChatParams(**params), stream=True)


def pool_is_released(client: VeniceClient | AsyncVeniceClient) -> bool:
    """No connection in httpx's pool is still busy with a response (it was closed or returned)."""
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    return all(conn.is_closed() or conn.is_idle() for conn in pool.connections)


def run_sync(server: OfflineServer, **params: Any) -> tuple[VeniceClient, Reply, list[str]]:
    client = VeniceClient(base_url=server.base_url, retry=FAST_RETRY, timeouts=Timeouts(read=5))
    stream = client.stream(body(**params))
    texts = [d.text for d in stream if d.kind == "content"]
    return client, stream.reply, texts


async def run_async(
    server: OfflineServer, **params: Any
) -> tuple[AsyncVeniceClient, Reply, list[str]]:
    client = AsyncVeniceClient(
        base_url=server.base_url, retry=FAST_RETRY, timeouts=Timeouts(read=5)
    )
    stream = client.stream(body(**params))
    texts = [d.text async for d in stream if d.kind == "content"]
    return client, stream.reply, texts


def both(server: OfflineServer, **params: Any) -> list[tuple[Any, Reply, list[str]]]:
    return [run_sync(server, **params), asyncio.run(run_async(server, **params))]


def test_stream_builds_reply_with_usage_headers_and_timings(server: OfflineServer) -> None:
    for client, reply, texts in both(server, max_completion_tokens=40, seed=7):
        assert reply.complete and "".join(texts) == reply.text and len(texts) > 3
        assert reply.usage is not None and reply.usage.completion_tokens == len(texts)
        assert reply.cost is not None and reply.cost.usd > 0
        assert reply.meta.request_id and reply.meta.model_id == "venice-offline"
        assert reply.meta.ratelimit_remaining_requests is not None
        assert reply.meta.balance_usd is not None
        t = reply.timings
        assert t.ttfb is not None and t.ttft is not None and t.total is not None
        assert 0 < t.ttfb <= t.ttft <= t.total
        assert reply.tokens_per_second and reply.tokens_per_second > 0
        assert pool_is_released(client)


def test_sync_and_async_agree_with_a_seed(server: OfflineServer) -> None:
    (_, a, _), (_, b, _) = both(server, seed=42, max_completion_tokens=30, temperature=0.9)
    assert a.text == b.text and a.text


def test_non_streaming_is_compressed_and_parsed(server: OfflineServer) -> None:
    seen: list[httpx.Response] = []
    client = VeniceClient(base_url=server.base_url)
    client._http.event_hooks["response"].append(seen.append)
    reply = client.complete(body(seed=3, max_completion_tokens=20))
    assert reply.complete and reply.text and reply.usage and reply.usage.completion_tokens > 0
    assert seen[-1].headers.get("content-encoding") in ("gzip", "br")
    assert seen[-1].request.headers["accept-encoding"] == "gzip, br"


def test_key_is_sent_and_a_wrong_one_is_an_auth_error() -> None:
    with OfflineServer(api_key=TEST_KEY) as server:
        ok = VeniceClient(api_key=TEST_KEY, base_url=server.base_url)
        assert ok.stream(body(max_completion_tokens=5)).until_done().complete
        bad = VeniceClient(api_key="wrong", base_url=server.base_url)
        with pytest.raises(e.AuthenticationError) as info:
            bad.stream(body()).until_done()
        assert "VENICE_API_KEY" in str(info.value)
        assert TEST_KEY not in repr(ok) and TEST_KEY not in repr(ok.config)


# -- faults: error class, retries, partial text kept, connection released --------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_status_then_success(server: OfflineServer, status: int) -> None:
    server.inject(Fault(kind="status", status=status, retry_after=0, times=2))
    _, reply, _ = run_sync(server, max_completion_tokens=5)
    assert reply.complete and reply.timings.attempts == 3
    server.inject(Fault(kind="status", status=status, retry_after=0, times=2))
    _, reply, _ = asyncio.run(run_async(server, max_completion_tokens=5))
    assert reply.complete and reply.timings.attempts == 3


def test_retries_give_up_with_the_specific_error(server: OfflineServer) -> None:
    server.inject(Fault(kind="status", status=503, message="The model is at capacity", times=10))
    client = VeniceClient(base_url=server.base_url, retry=FAST_RETRY)
    with pytest.raises(e.ServerError, match="at capacity") as info:
        client.stream(body()).until_done()
    assert info.value.partial is not None and info.value.partial.timings.attempts == 4
    server.clear_faults()


def test_retry_after_is_honoured(server: OfflineServer) -> None:
    server.inject(Fault(kind="status", status=429, retry_after=1))
    client = VeniceClient(base_url=server.base_url, retry=RetryPolicy(base_delay=0.01))
    reply = client.stream(body(max_completion_tokens=3)).until_done()
    assert reply.complete and reply.timings.attempts == 2
    assert reply.timings.total is not None  # measured from the last attempt


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, e.BadRequestError), (401, e.AuthenticationError), (402, e.PaymentRequiredError),
     (403, e.PermissionDeniedError), (404, e.NotFoundError), (422, e.BadRequestError)],
)  # fmt: skip
def test_other_4xx_never_retried(server: OfflineServer, status: int, cls: type) -> None:
    server.inject(Fault(kind="status", status=status, shape="object", times=5))
    for run in (lambda: run_sync(server), lambda: asyncio.run(run_async(server))):
        with pytest.raises(cls) as info:
            run()
        assert info.value.status == status and info.value.partial.timings.attempts == 1
    server.clear_faults()


def test_reset_before_headers_is_retried(server: OfflineServer) -> None:
    server.inject(Fault(kind="reset"))
    client, reply, _ = run_sync(server, max_completion_tokens=5)
    assert reply.complete and reply.timings.attempts == 2 and pool_is_released(client)
    server.inject(Fault(kind="reset"))
    _, reply2, _ = asyncio.run(run_async(server, max_completion_tokens=5))
    assert reply2.complete and reply2.timings.attempts == 2


@pytest.mark.parametrize(
    ("fault", "cls"),
    [
        (Fault(kind="drop", after_tokens=4), e.ConnectionLostError),
        (Fault(kind="malformed", after_tokens=4), e.ProtocolError),
        (Fault(kind="inband_error", after_tokens=4), e.StreamError),
    ],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_mid_stream_faults_keep_partial_and_never_retry(
    server: OfflineServer, fault: Fault, cls: type, mode: str
) -> None:
    server.inject(fault)
    seen: list[str] = []

    async def consume_async() -> AsyncVeniceClient:
        client = AsyncVeniceClient(base_url=server.base_url, retry=FAST_RETRY)
        async for d in client.stream(body(max_completion_tokens=50)):
            seen.append(d.text)
        return client

    with pytest.raises(cls) as info:
        if mode == "sync":
            client = VeniceClient(base_url=server.base_url, retry=FAST_RETRY)
            for d in client.stream(body(max_completion_tokens=50)):
                seen.append(d.text)
        else:
            asyncio.run(consume_async())
    err = info.value
    assert len(seen) == 4, seen
    assert err.partial is not None and err.partial.text == "".join(seen)
    assert err.partial.timings.attempts == 1 and not err.partial.complete
    assert "kept" in str(err) or isinstance(err, (e.StreamError, e.ProtocolError))
    if isinstance(err, e.StreamError):
        assert err.code == "model_overloaded" and err.retry_after == 30
    if mode == "sync":
        assert pool_is_released(client)
    assert len(server.requests) >= 1


@pytest.mark.parametrize("kind", ["u2028", "split_utf8", "usage_no_choices"])
def test_awkward_but_valid_streams(server: OfflineServer, kind: str) -> None:
    for _ in range(2):  # sync, then async
        server.inject(Fault(kind=kind))
    (_, a, _), (_, b, _) = both(server, max_completion_tokens=60)
    for reply in (a, b):
        assert reply.complete and reply.usage is not None
        if kind == "u2028":
            assert "\u2028" in reply.text and "\u2029" in reply.text
        if kind == "split_utf8":
            assert "😀" in reply.text and "中文" in reply.text and "\ufffd" not in reply.text


def test_read_timeout_on_a_server_that_never_answers(server: OfflineServer) -> None:
    server.inject(Fault(kind="hang", times=2))
    client = VeniceClient(
        base_url=server.base_url,
        retry=RetryPolicy(max_retries=1, base_delay=0.01),
        timeouts=Timeouts(connect=1, read=0.3),
    )
    with pytest.raises(e.RequestTimeout, match="Timed out") as info:
        client.stream(body()).until_done()
    assert info.value.partial is not None and info.value.partial.timings.attempts == 2
    assert pool_is_released(client)
    server.clear_faults()


def test_slow_first_byte_is_measured(server: OfflineServer) -> None:
    server.inject(Fault(kind="slow_first_byte", seconds=0.3))
    _, reply, _ = run_sync(server, max_completion_tokens=3)
    assert reply.timings.ttfb is not None and reply.timings.ttfb >= 0.3


def test_connection_refused_is_a_connect_error() -> None:
    client = VeniceClient(
        base_url="http://127.0.0.1:9/api/v1", retry=RetryPolicy(max_retries=1, base_delay=0.01)
    )
    with pytest.raises(e.ConnectError, match="Could not get a response"):
        client.stream(body()).until_done()


def test_cancelling_an_async_stream_closes_the_connection(server: OfflineServer) -> None:
    server.inject(Fault(kind="delay", seconds=0.05))

    async def main() -> tuple[AsyncVeniceClient, int]:
        client = AsyncVeniceClient(base_url=server.base_url)
        got = 0

        async def consume() -> None:
            nonlocal got
            async for _ in client.stream(body(max_completion_tokens=500)):
                got += 1
                if got == 3:
                    first.set()

        first = asyncio.Event()
        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return client, got

    client, got = asyncio.run(main())
    assert got >= 3 and pool_is_released(client)


def test_breaking_out_of_a_sync_stream_closes_the_connection(server: OfflineServer) -> None:
    client = VeniceClient(base_url=server.base_url)
    stream = client.stream(body(max_completion_tokens=200))
    for i, _ in enumerate(stream):
        if i == 2:
            break
    # Leaving the loop drops the only reference to the generator, which closes the response.
    assert pool_is_released(client)


def test_catalog_is_cached_and_resolves_traits(server: OfflineServer) -> None:
    client = VeniceClient(base_url=server.base_url, models_ttl=60)
    cat = client.catalog()
    assert client.catalog() is cat
    assert cat.resolve("default").id == "venice-offline"
    assert client.catalog(refresh=True) is not cat


def test_a_timeout_after_the_response_began_is_not_retried(server: OfflineServer) -> None:
    """Once a 200 arrived the request was taken (and may be billed): no second request."""
    server.inject(Fault(kind="delay", seconds=2.0))
    before = len(server.requests)
    client = VeniceClient(
        base_url=server.base_url, retry=FAST_RETRY, timeouts=Timeouts(connect=1, read=0.3)
    )
    with pytest.raises(e.RequestTimeout) as info:
        client.stream(body(max_completion_tokens=5)).until_done()
    assert info.value.partial is not None and info.value.partial.timings.attempts == 1
    assert len(server.requests) == before + 1
    server.clear_faults()
