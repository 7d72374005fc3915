"""Widgets: compare wall ÷ slowest single stream (4 models); cell latency during a panel stream.

1. ``compare_wall_over_slowest``: each of 4 offline models streams the same seeded prompt alone
   (one at a time, through ``Session.arun``), then all 4 at once through ``venice_jupyter.compare``
   (concurrency 4). Ratio = compare wall time ÷ the slowest single stream (goal ≤ 1.1). The server
   runs in its own process and paces every event by ``DELAY`` s, like a real model.
2. ``cell_latency_during_panel_stream``: in a real kernel, a panel stream runs (paced, several
   seconds); meanwhile ``1+1`` cells are executed one after another and each round trip
   (execute_request → execute_reply, client side) is timed. Median goal ≤ 100 ms; the idle
   median is printed beside it.
3. ``panel_stop_from_a_cell``: then a cell runs ``p.stop(); await p.wait()`` while the stream is
   still going: its round trip, goal ≤ 1 s (the tests prove the stop by a cancelled task).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench._common import Result, bench_args, goal, info, median, report, server_process

DELAY = 0.01
TOKENS = 60
MODELS = ("venice-offline", "venice-offline-small", "venice-offline-reasoning",
          "venice-offline-legacy")  # fmt: skip
PROMPT = "Explain how bread rises."


def _faults(url: str, n: int, seconds: float) -> None:
    body = {"faults": [{"kind": "delay", "seconds": seconds, "times": n}]}
    httpx.post(f"{url}/_offline/faults", json=body, timeout=10).raise_for_status()


async def _compare_round(url: str) -> tuple[list[float], float]:
    from venice_jupyter import compare
    from venice_jupyter.api._sync import VeniceClient
    from venice_jupyter.request._params import ChatParams
    from venice_jupyter.session import Session

    session = Session(VeniceClient(base_url=url))
    params = ChatParams(seed=5, max_completion_tokens=TOKENS)
    singles = []
    for model in MODELS:
        _faults(url, 1, DELAY)
        view = compare(PROMPT, [model], params=params, session=session)
        start = time.perf_counter()
        await view.wait()
        singles.append(time.perf_counter() - start)
    _faults(url, len(MODELS), DELAY)
    view = compare(PROMPT, list(MODELS), params=params, session=session, concurrency=4)
    start = time.perf_counter()
    results = await view.wait()
    wall = time.perf_counter() - start
    assert all(r.reply is not None and r.reply.complete for r in results), results
    return singles, wall


def measure_compare(url: str, rounds: int) -> list[float]:
    ratios = []
    for _ in range(rounds):
        singles, wall = asyncio.run(_compare_round(url))
        ratios.append(wall / max(singles))
    return ratios


def _roundtrip(kernel: object, code: str) -> float:
    start = time.perf_counter()
    ex = kernel.execute(code)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    assert ex.status == "ok", ex.error
    return elapsed


def measure_latency(url: str, cells: int) -> tuple[list[float], list[float], bool, float]:
    from testkit.kernel import running_kernel

    with (
        tempfile.TemporaryDirectory() as tmp,
        running_kernel(Path(tmp), VENICE_BASE_URL=url) as kernel,
    ):
        for code in ("%load_ext venice_jupyter", "import venice_jupyter",
                     "p = venice_jupyter.panel()"):  # fmt: skip
            _roundtrip(kernel, code)
        idle = [_roundtrip(kernel, "1+1") for _ in range(cells)]
        _faults(url, 1, 0.02)  # ~20 s for 1000 tokens: outlasts the measured cells
        _roundtrip(kernel, "t = p.ask('Tell me everything about bread.')")
        busy = [_roundtrip(kernel, "1+1") for _ in range(cells)]
        ex = kernel.execute("print(not t.done())")  # type: ignore[attr-defined]
        still_streaming = ex.stdout.strip() == "True"
        stop = _roundtrip(kernel, "p.stop()\nawait p.wait()")
    return idle, busy, still_streaming, stop


def results(quick: bool) -> list[Result]:
    with server_process(
        ["-m", "venice_jupyter.offline", "--port", "0"], ready=lambda line: "/api/v1" in line
    ) as server:
        ratios = measure_compare(server.url, 2 if quick else 5)
        idle, busy, streaming, stop = measure_latency(server.url, 10 if quick else 30)
    assert streaming, "the panel stream ended before the latency cells finished"
    busy_sorted = sorted(busy)
    return [
        goal("compare_wall_over_slowest", median(ratios), "×", "<=", 1.1),
        goal("cell_latency_during_panel_stream", median(busy) * 1000, "ms", "<=", 100),
        info(
            "cell_latency_during_panel_stream_p95",
            busy_sorted[int(0.95 * (len(busy_sorted) - 1))] * 1000,
            "ms",
        ),
        info("cell_latency_idle", median(idle) * 1000, "ms"),
        goal("panel_stop_from_a_cell", stop * 1000, "ms", "<=", 1000),
    ]


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    print(
        f"# 4 offline models paced at {DELAY * 1000:.0f} ms/event; 1+1 cells during a panel stream"
    )
    report(results(args.quick), args.json_out)


if __name__ == "__main__":
    main()
