"""batch(): concurrency that delivers, the client's cost per row, cache hits, memory at scale.

1. ``batch_wall_over_ideal`` (goal ≤ 1.2): 2,000 distinct prompts against the offline server
   (its own process) where every request waits ``LATENCY`` s before its first byte
   (``slow_first_byte``), at concurrency 16. Ideal = sequential time ÷ 16, where sequential
   time is 2,000 × the per-row wall time of a sequential run (concurrency 1) of a sample.
2. ``batch_client_cpu_per_row``: this process's CPU time (``process_time``) during that run ÷
   rows: preparing, sending, parsing, logging and tabulating one row.
3. ``batch_cache_hit_per_row`` (goal ≤ 1 ms): the same 2,000 prompts again, every one answered
   from the exchange log: wall time of the whole ``batch()`` call (prepare, hash, look up,
   rebuild, tabulate) ÷ rows.
4. ``batch_peak_memory_10k_rows``: ``tracemalloc`` peak of Python allocations during a
   10,000-row batch (unpaced, 4-token answers, concurrency 16), and the same ÷ rows.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx

from bench._common import Result, bench_args, goal, info, report, server_process

LATENCY = 0.1
CONCURRENCY = 16
ROWS = 2_000
SAMPLE = 40  # rows of the sequential run
MEMORY_ROWS = 10_000
TOKENS = 4


def _pace(url: str, n: int, seconds: float) -> None:
    faults = [{"kind": "slow_first_byte", "seconds": seconds, "times": n}]
    httpx.post(f"{url}/_offline/faults", json={"faults": faults}, timeout=10).raise_for_status()


def _workspace(url: str, tmp: str) -> Any:
    from venice_jupyter.workspace import VeniceSettings, Workspace

    settings = VeniceSettings(base_url=url, log_path=str(Path(tmp) / "log.sqlite3"))
    return Workspace(settings)


def _run(home: Any, prompts: list[str], concurrency: int, cache: bool) -> Any:
    from venice_jupyter import batch

    table = batch(prompts, workspace=home, concurrency=concurrency, cache=cache, confirm=True,
                  progress=False, max_completion_tokens=TOKENS)  # fmt: skip
    assert set(table["status"]) == {"done"}, table["error"].dropna().head()
    return table


def measure_throughput(url: str, rows: int, sample: int, latency: float) -> dict[str, float]:
    """Sequential per-row time, concurrent wall and CPU, and cache-hit wall, for ``rows``."""
    prompts = [f"Tell me about bread, question {i}." for i in range(rows)]
    with tempfile.TemporaryDirectory() as tmp:
        home = _workspace(url, tmp)
        try:
            _run(home, ["warm up"], 1, cache=False)  # imports, catalog, the log file
            _pace(url, sample, latency)
            start = time.perf_counter()
            _run(home, [f"Sequential question {i}." for i in range(sample)], 1, cache=False)
            per_row = (time.perf_counter() - start) / sample
            _pace(url, rows, latency)
            start, cpu = time.perf_counter(), time.process_time()
            first = _run(home, prompts, CONCURRENCY, cache=False)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            start = time.perf_counter()
            again = _run(home, prompts, CONCURRENCY, cache=True)
            cached = time.perf_counter() - start
            assert again["cached"].all() and list(again["answer"]) == list(first["answer"])
        finally:
            home.close()
    return {"sequential_per_row": per_row, "wall": wall, "cpu": cpu, "cached_wall": cached}


def measure_memory(url: str, rows: int) -> float:
    """tracemalloc's peak (bytes) during a ``rows``-row batch."""
    prompts = [f"Tell me about rye, question {i}." for i in range(rows)]
    with tempfile.TemporaryDirectory() as tmp:
        home = _workspace(url, tmp)
        try:
            _run(home, ["warm up"], 1, cache=False)
            tracemalloc.start()
            try:
                _run(home, prompts, CONCURRENCY, cache=False)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        finally:
            home.close()
    return float(peak)


def results(quick: bool) -> list[Result]:
    rows = 500 if quick else ROWS
    with server_process(
        ["-m", "venice_jupyter.offline", "--port", "0"], ready=lambda line: "/api/v1" in line
    ) as server:
        numbers = measure_throughput(server.url, rows, SAMPLE // 2 if quick else SAMPLE, LATENCY)
        memory_rows = 2_000 if quick else MEMORY_ROWS
        peak = measure_memory(server.url, memory_rows)
    ideal = numbers["sequential_per_row"] * rows / CONCURRENCY
    return [
        goal("batch_wall_over_ideal", numbers["wall"] / ideal, "×", "<=", 1.2),
        info("batch_wall", numbers["wall"], "s"),
        info("batch_sequential_per_row", numbers["sequential_per_row"] * 1000, "ms"),
        info("batch_client_cpu_per_row", numbers["cpu"] / rows * 1000, "ms"),
        goal("batch_cache_hit_per_row", numbers["cached_wall"] / rows * 1000, "ms", "<=", 1),
        info(f"batch_peak_memory_{memory_rows // 1000}k_rows", peak / 1e6, "MB"),
        info("batch_peak_memory_per_row", peak / memory_rows / 1000, "KB"),
    ]


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    print(
        f"# {ROWS:,} prompts, each request paced at {LATENCY * 1000:.0f} ms before its first "
        f"byte, concurrency {CONCURRENCY}; then the same from the cache; {MEMORY_ROWS:,} rows "
        "for memory"
    )
    report(results(args.quick), args.json_out)


if __name__ == "__main__":
    main()
