"""Load: 64 concurrent streams against one offline server, measured.

Through ``Session.arun`` under an ``asyncio.Semaphore`` (16, then all 64 at once) and through
``compare(..., concurrency=8)``: every reply completes; its text is the concatenation of the
deltas, its usage counts them, and each seed gives the text of a sequential run with that seed;
the in-flight count seen by the sinks never exceeds the limit; afterwards no socket to the
server is left open (counted from the OS with psutil), httpx's pool holds no busy connection,
and only the main task is left. Memory is traced over two identical batches of 64: the second
may not grow it by more than ``MAX_GROWTH``. The figures are printed (``pytest -s``).

The server runs in its own process (``python -m venice_jupyter.offline``), so the sockets and
the memory measured here are the client's alone, and the two share no GIL.
"""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil
import pytest

from venice_jupyter.api._async import AsyncVeniceClient
from venice_jupyter.api._catalog import ModelCatalog
from venice_jupyter.api._sync import VeniceClient
from venice_jupyter.errors import VeniceError
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.request._params import ChatParams
from venice_jupyter.session import Prepared, Session
from venice_jupyter.widgets.compare._compare import compare

STREAMS = 64
TOKENS = 32
SEEDS = list(range(1000, 1000 + STREAMS))
PROMPT = "Tell me about baking bread."
MAX_GROWTH = 5 * 1024 * 1024  # bytes a second identical batch may add


@dataclass
class Gauge:
    """In-flight streams as the sinks see them (on_start .. on_finish/on_error)."""

    now: int = 0
    peak: int = 0

    def up(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def down(self) -> None:
        self.now -= 1


@dataclass
class CountingSink:
    gauge: Gauge
    contents: list[str] = field(default_factory=list)
    reply: Reply | None = None
    error: VeniceError | None = None

    def on_start(self, prepared: Prepared) -> None:
        self.gauge.up()

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        if delta.kind == "content" and delta.choice == 0:
            self.contents.append(delta.text)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        pass

    def on_finish(self, reply: Reply) -> None:
        self.reply = reply
        self.gauge.down()

    def on_error(self, error: VeniceError) -> None:
        self.error = error
        self.gauge.down()


def params(seed: int) -> ChatParams:
    return ChatParams(seed=seed, max_completion_tokens=TOKENS)


@dataclass(frozen=True)
class Server:
    base_url: str

    @property
    def port(self) -> int:
        return httpx.URL(self.base_url).port or 0

    def requests(self) -> int:
        """Chat requests received so far (the server's own record)."""
        data = httpx.get(f"{self.base_url}/_offline/requests", timeout=30).json()["data"]
        return len(data)


@pytest.fixture(scope="module")
def load_server() -> Iterator[Server]:
    command = [sys.executable, "-m", "venice_jupyter.offline", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield Server(process.stdout.readline().strip())  # printed once it listens
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture(scope="module")
def reference(load_server: Server) -> dict[int, Reply]:
    """Each seed's reply from a plain sequential run, one stream at a time."""
    with VeniceClient(base_url=load_server.base_url) as client:
        session = Session(client)
        catalog = client.catalog()
        return {
            seed: client.stream(
                session.prepare(PROMPT, params=params(seed), catalog=catalog).body
            ).until_done()
            for seed in SEEDS
        }


def client_sockets(port: int) -> int:
    """This process's established TCP connections to the server (the client ends only)."""
    conns = psutil.Process().net_connections(kind="tcp")
    return sum(1 for c in conns if c.raddr and c.raddr.port == port and c.status == "ESTABLISHED")


def busy_connections(client: AsyncVeniceClient) -> int:
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    return sum(1 for c in pool.connections if not (c.is_closed() or c.is_idle()))


async def batch(
    session: Session, catalog: ModelCatalog, limit: int, reference: dict[int, Reply]
) -> int:
    """64 streams, at most ``limit`` at once; checks every reply; returns the peak in flight."""
    gauge = Gauge()
    semaphore = asyncio.Semaphore(limit)

    async def one(seed: int) -> CountingSink:
        async with semaphore:
            sink = CountingSink(gauge)
            prepared = session.prepare(PROMPT, params=params(seed), catalog=catalog)
            await session.arun(prepared, sink)
            return sink

    sinks = await asyncio.gather(*(one(seed) for seed in SEEDS))
    for seed, sink in zip(SEEDS, sinks, strict=True):
        reply = sink.reply
        assert sink.error is None and reply is not None and reply.complete
        assert reply.text == "".join(sink.contents) == reference[seed].text
        assert reply.usage is not None and reply.usage.completion_tokens == len(sink.contents)
        assert reply.usage == reference[seed].usage
    assert gauge.now == 0
    return gauge.peak


async def close_and_count(session: Session, port: int, figures: dict[str, Any]) -> None:
    """Sockets and busy connections once the streams ended, then sockets and tasks after close."""
    figures["sockets idle"] = client_sockets(port)
    figures["busy in pool"] = busy_connections(session.aclient)
    await session.aclient.aclose()
    session.client.close()
    figures["sockets after"] = client_sockets(port)
    figures["tasks after"] = len(asyncio.all_tasks())


def report(title: str, figures: dict[str, Any]) -> None:
    print(f"\nload ({title}): " + ", ".join(f"{k} {v}" for k, v in figures.items()))


def test_64_streams_at_most_16_at_once(load_server: Server, reference: dict[int, Reply]) -> None:
    port, requests = load_server.port, load_server.requests()
    figures: dict[str, Any] = {"streams": STREAMS, "sockets before": client_sockets(port)}

    async def main() -> None:
        session = Session(VeniceClient(base_url=load_server.base_url))
        catalog = session.client.catalog()
        figures["max in flight"] = await batch(session, catalog, 16, reference)
        await close_and_count(session, port, figures)

    asyncio.run(main())
    report("session, limit 16", figures)
    assert load_server.requests() == requests + STREAMS  # one request each: no retry, no extra
    assert figures["max in flight"] == 16  # the limit held, and was reached
    assert figures["busy in pool"] == 0 and figures["sockets idle"] <= 16 + 1
    assert figures["sockets after"] == figures["sockets before"] == 0
    assert figures["tasks after"] == 1


def test_64_streams_at_once_twice_memory_bounded(
    load_server: Server, reference: dict[int, Reply]
) -> None:
    port = load_server.port
    figures: dict[str, Any] = {"streams": 2 * STREAMS}
    growth: list[int] = []

    async def main() -> None:
        session = Session(VeniceClient(base_url=load_server.base_url))
        catalog = session.client.catalog()
        gc.collect()
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            figures["max in flight"] = await batch(session, catalog, STREAMS, reference)
            gc.collect()
            first = tracemalloc.get_traced_memory()[0]
            assert await batch(session, catalog, STREAMS, reference) == STREAMS
            gc.collect()
            second, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        figures["memory after batch 1"] = f"{(first - start) / 1e6:+.2f} MB"
        figures["growth in batch 2"] = f"{(second - first) / 1e6:+.2f} MB"
        figures["peak"] = f"{(peak - start) / 1e6:.2f} MB"
        growth.append(second - first)
        await close_and_count(session, port, figures)

    asyncio.run(main())
    report("session, all 64 at once, twice", figures)
    assert figures["max in flight"] == STREAMS
    assert growth[0] < MAX_GROWTH, figures
    assert figures["busy in pool"] == 0 and figures["sockets idle"] <= 20 + 1  # keep-alive cap
    assert figures["sockets after"] == 0 and figures["tasks after"] == 1


def test_64_columns_through_compare(load_server: Server, reference: dict[int, Reply]) -> None:
    port = load_server.port
    before = client_sockets(port)
    seen: dict[str, Any] = {}

    async def main() -> None:
        session = Session(VeniceClient(base_url=load_server.base_url))
        view = compare(
            PROMPT,
            samples=STREAMS,
            concurrency=8,
            params={"seed": SEEDS[0], "max_completion_tokens": TOKENS},
            session=session,
        )
        seen["results"] = await view.wait()
        seen["peak"] = view.peak_in_flight
        seen["busy"] = busy_connections(session.aclient)
        await session.aclient.aclose()
        session.client.close()
        seen["tasks"] = len(asyncio.all_tasks())

    asyncio.run(main())
    results = seen["results"]
    assert len(results) == STREAMS
    for result in results:
        seed = result.params["seed"]
        assert result.status == "done" and result.error is None
        assert result.text == reference[seed].text
        assert result.completion_tokens == reference[seed].usage.completion_tokens  # type: ignore[union-attr]
    assert sorted(r.params["seed"] for r in results) == SEEDS
    after = client_sockets(port)
    figures = {"columns": STREAMS, "max in flight": seen["peak"], "tasks after": seen["tasks"]}
    report("compare, concurrency 8", {**figures, "sockets before": before, "sockets after": after})
    assert seen["peak"] == 8 and seen["busy"] == 0
    assert after == before and seen["tasks"] == 1
