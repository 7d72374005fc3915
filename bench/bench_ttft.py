"""Time-to-first-token overhead of our client over a raw socket, on loopback.

A server subprocess (``bench.sse_server --chunks 3``) answers every request at once: status line,
headers and the first content chunk leave in one write. Wall time (``perf_counter``) from the
start of the request to the first content token, three ways, interleaved in rotating order:

- raw: ``socket.create_connection``, ``sendall`` of prebuilt request bytes, ``recv`` until a
  complete ``data:`` line with non-empty ``content`` is in the buffer (the floor);
- ours, new connection: a fresh ``VeniceClient`` (built before the clock starts, so a new TCP
  connection is made inside the timed part, as for the raw socket), ``client.stream(body)`` and
  iteration until the first content ``Delta`` (the connection is closed after the clock stops,
  as the raw socket is);
- ours, keep-alive: one warm client reused, so no connect; the rest of the stream is drained
  after the clock stops so the connection goes back to the pool.

The goal is on median(ours, new connection) − median(raw). This process's CPU time over the
same intervals is printed too: it is what our code costs, and unlike wall time it is not
stretched when other work on the machine delays the scheduler.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Result, bench_args, goal, info, median, report, server_process

__all__ = ["main", "measure"]

GOAL_MS = 5.0
BODY: dict[str, Any] = {"model": "bench-model", "messages": [{"role": "user", "content": "Hi"}]}
_FIRST_CONTENT = re.compile(rb'data: \{[^\n]*"content":"[^"][^\n]*\n')


def _request_bytes(url: str) -> bytes:
    parts = urlsplit(url)
    body = json.dumps({**BODY, "stream": True}).encode()
    head = (
        f"POST {parts.path}/chat/completions HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


Timing = tuple[float, float]  # (wall seconds, this process's CPU seconds)


def _start() -> Timing:
    return time.perf_counter(), time.process_time()


def _since(start: Timing) -> Timing:
    return time.perf_counter() - start[0], time.process_time() - start[1]


def _raw(address: tuple[str, int], request: bytes) -> Timing:
    start = _start()
    sock = socket.create_connection(address)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        buffer = b""
        while not _FIRST_CONTENT.search(buffer):
            data = sock.recv(65536)
            if not data:
                raise AssertionError("raw: the stream ended before any content")
            buffer += data
        return _since(start)
    finally:
        sock.close()


def _first_content(deltas: Iterator[Any]) -> None:
    for delta in deltas:
        if delta.kind == "content" and delta.text:
            return
    raise AssertionError("ours: the stream ended before any content")


def _ours_new(url: str) -> Timing:
    from venice_jupyter.api._sync import VeniceClient

    client = VeniceClient(api_key="x", base_url=url)
    try:
        start = _start()
        # ChatStream.__iter__ is a generator: close() ends it and its connection.
        deltas = cast(Generator[Any, None, None], iter(client.stream(BODY)))
        _first_content(deltas)
        elapsed = _since(start)
        deltas.close()  # closes the connection, after the clock (as for the raw socket)
        return elapsed
    finally:
        client.close()


def _ours_warm(client: Any) -> Timing:
    start = _start()
    stream = client.stream(BODY)
    deltas = iter(stream)
    _first_content(deltas)
    elapsed = _since(start)
    for _ in deltas:  # drain, so the connection is reused next time
        pass
    if not stream.reply.complete:
        raise AssertionError("ours (keep-alive): the stream did not complete")
    return elapsed


def _construct(url: str) -> float:
    from venice_jupyter.api._sync import VeniceClient

    start = time.perf_counter()
    client = VeniceClient(api_key="x", base_url=url)
    elapsed = time.perf_counter() - start
    client.close()
    return elapsed


def measure(runs: int = 60) -> dict[str, list[float]]:
    """Seconds to the first content token for each way, ``runs`` times each: wall time under
    the way's name, this process's CPU time under ``<name>_cpu``."""
    from venice_jupyter.api._sync import VeniceClient

    args = ["-m", "bench.sse_server", "--chunks", "3", "--write", "event"]
    with server_process(args, ready=lambda line: line.startswith("http")) as server:
        url = server.url
        parts = urlsplit(url)
        address = (parts.hostname or "127.0.0.1", parts.port or 80)
        request = _request_bytes(url)
        warm = VeniceClient(api_key="x", base_url=url)
        try:
            ways: list[tuple[str, Callable[[], Timing]]] = [
                ("raw", lambda: _raw(address, request)),
                ("ours_new_connection", lambda: _ours_new(url)),
                ("ours_keepalive", lambda: _ours_warm(warm)),
            ]
            for _, way in ways * 3:
                way()  # warm-up: imports, caches, the keep-alive connection
            times: dict[str, list[float]] = {}
            for run in range(runs):
                shift = run % len(ways)
                for name, way in ways[shift:] + ways[:shift]:
                    wall, cpu = way()
                    times.setdefault(name, []).append(wall)
                    times.setdefault(f"{name}_cpu", []).append(cpu)
            times["client_construction"] = [_construct(url) for _ in range(min(runs, 20))]
        finally:
            warm.close()
    return times


def results(runs: int) -> list[Result]:
    times = measure(runs)
    ms = {name: median(values) * 1000 for name, values in times.items()}
    raw = ms["raw"]
    paired = median(
        [(o - r) * 1000 for o, r in zip(times["ours_new_connection"], times["raw"], strict=True)]
    )
    return [
        info("ttft_raw_socket", raw, "ms"),
        info("ttft_ours_new_connection", ms["ours_new_connection"], "ms"),
        info("ttft_ours_keepalive", ms["ours_keepalive"], "ms"),
        goal("ttft_overhead_new_connection", ms["ours_new_connection"] - raw, "ms", "<=", GOAL_MS),
        goal("ttft_overhead_keepalive", ms["ours_keepalive"] - raw, "ms", "<=", GOAL_MS),
        info("ttft_overhead_new_connection_paired_median", paired, "ms"),
        info("ttft_cpu_raw_socket", ms["raw_cpu"], "ms"),
        info("ttft_cpu_ours_new_connection", ms["ours_new_connection_cpu"], "ms"),
        info("ttft_cpu_ours_keepalive", ms["ours_keepalive_cpu"], "ms"),
        info("client_construction_not_in_ttft", ms["client_construction"], "ms"),
    ]


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    runs = 20 if args.quick else 60
    print(f"# median of {runs} runs each, wall time (perf_counter), loopback")
    report(results(runs), args.json_out)


if __name__ == "__main__":
    main()
