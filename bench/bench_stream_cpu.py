"""Stream-consumption CPU: our ``VeniceClient`` vs the ``openai`` SDK on the same SSE stream.

A server subprocess (``bench.sse_server``) sends 20,000 ``chat.completion.chunk`` events, a
finish chunk, a usage chunk and ``[DONE]``; its CPU is not ours. In this process each client,
already constructed and holding a warm keep-alive connection, sends the request and consumes the
whole stream: ours iterates every ``Delta`` of ``client.stream(body)``; openai iterates
``chat.completions.create(..., stream=True)`` and reads ``choice.delta.content``. We take
``time.process_time()`` around that, after one warm-up each, alternating which client goes
first, and compare medians. Both are checked to have received every token.

Two wire shapes, same events: one SSE event per write and per HTTP chunk (a token-streaming
server; the goal line), and 4 KB writes that split events anywhere.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Result, bench_args, goal, info, median, report, server_process
from bench.sse_server import expected_text

__all__ = ["main", "measure"]

CHUNKS = 20_000
GOAL_RATIO = 0.67
MESSAGES = [{"role": "user", "content": "Write a long answer."}]


def _ours(client: Any, chunks: int) -> float:
    start = time.process_time()
    stream = client.stream({"model": "bench-model", "messages": MESSAGES})
    count = 0
    for _ in stream:
        count += 1
    elapsed = time.process_time() - start
    if count != chunks or len(stream.reply.text) != len(expected_text(chunks)):
        raise AssertionError(f"ours got {count} deltas of {chunks}")
    return elapsed


def _openai(client: Any, chunks: int) -> float:
    start = time.process_time()
    stream = client.chat.completions.create(model="bench-model", messages=MESSAGES, stream=True)
    parts = []
    for chunk in stream:
        for choice in chunk.choices:
            content = choice.delta.content
            if content:
                parts.append(content)
    elapsed = time.process_time() - start
    if len(parts) != chunks or len("".join(parts)) != len(expected_text(chunks)):
        raise AssertionError(f"openai got {len(parts)} content chunks of {chunks}")
    return elapsed


def measure(chunks: int = CHUNKS, reps: int = 5, write: str = "event") -> dict[str, list[float]]:
    """CPU seconds per full stream for each client, ``reps`` times each (after a warm-up)."""
    from openai import OpenAI

    from venice_jupyter.api._sync import VeniceClient

    args = ["-m", "bench.sse_server", "--chunks", str(chunks), "--write", write]
    with server_process(args, ready=lambda line: line.startswith("http")) as server:
        url = server.url
        ours = VeniceClient(api_key="x", base_url=url)
        theirs = OpenAI(base_url=url, api_key="x", max_retries=0)
        try:
            runners: list[tuple[str, Callable[[], float]]] = [
                ("ours", lambda: _ours(ours, chunks)),
                ("openai", lambda: _openai(theirs, chunks)),
            ]
            for _, run in runners:
                run()  # warm-up: imports, connection, caches
            times: dict[str, list[float]] = {"ours": [], "openai": []}
            for rep in range(reps):
                for name, run in runners if rep % 2 == 0 else runners[::-1]:
                    times[name].append(run())
        finally:
            ours.close()
            theirs.close()
    return times


def results(chunks: int, reps: int) -> list[Result]:
    out = []
    for write, label in (("event", ""), ("4096", "_4kb_writes")):
        times = measure(chunks, reps, write)
        ours, theirs = median(times["ours"]), median(times["openai"])
        out += [
            goal(f"stream_cpu_ratio_ours_over_openai{label}", ours / theirs, "×", "<=", GOAL_RATIO),
            info(f"stream_cpu_ours{label}", ours * 1e6 / chunks, "µs/chunk"),
            info(f"stream_cpu_openai{label}", theirs * 1e6 / chunks, "µs/chunk"),
        ]
    return out


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    reps = 3 if args.quick else 7
    print(f"# {CHUNKS:,} chunks per stream, median of {reps} runs per client (process_time)")
    report(results(CHUNKS, reps), args.json_out)


if __name__ == "__main__":
    main()
