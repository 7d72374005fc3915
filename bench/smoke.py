"""Each benchmark's core on a tiny input, checked for sane numbers (no timing goals here).

    python -m bench.smoke            the checks that need no kernel
    python -m bench.smoke --kernel   the ones that drive a real IPython kernel

Prints ``ok NAME`` per check and exits 1 on the first failure; ``tests/test_bench_smoke.py``
runs it as a subprocess, so the test suite never imports the benchmarks.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable

from bench import (
    bench_batch,
    bench_hostile,
    bench_load_ext,
    bench_magic,
    bench_offline,
    bench_stream_cpu,
    bench_ttft,
)
from bench._common import goal, info
from bench.markdown_answer import markdown_answer
from bench.sse_server import body_pieces, expected_text
from venice_jupyter.api._sse import SSEDecoder, parse_data
from venice_jupyter.offline.models import tokenize


def check_result_lines_say_value_unit_goal_and_verdict() -> None:
    assert goal("t", 3.0, "ms", "<=", 5).line() == "t: 3 ms (goal ≤ 5 ms: PASS)"
    assert goal("r", 0.9, "×", "<=", 0.67).line() == "r: 0.9 × (goal ≤ 0.67: FAIL)"
    assert (
        goal("s", 12_345.0, "tokens/s", ">=", 5000).line().endswith("(goal ≥ 5,000 tokens/s: PASS)")
    )
    assert info("n", 7, "updates").line() == "n: 7 updates"


def check_sse_body_decodes_to_the_expected_text() -> None:
    for write in (None, 4096):
        pieces = body_pieces(50, write)
        head, _, first = pieces[0].partition(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head
        body = b"".join([first, *pieces[1:]])
        decoder, chunks = SSEDecoder(), []
        while body != b"0\r\n\r\n":  # undo the chunked framing
            size, _, rest = body.partition(b"\r\n")
            n = int(size, 16)
            chunks += [parse_data(e) for e in decoder.feed(rest[:n])]
            body = rest[n + 2 :]
        text = "".join(
            c["choices"][0]["delta"].get("content", "") for c in chunks[:-1] if c and c["choices"]
        )
        assert text == expected_text(50)
        assert chunks[-1] is None  # [DONE]


def check_stream_cpu_measures_both_clients() -> None:
    times = bench_stream_cpu.measure(chunks=200, reps=1)
    assert len(times["ours"]) == len(times["openai"]) == 1
    assert all(t > 0 for t in times["ours"] + times["openai"])


def check_ttft_measures_every_way() -> None:
    times = bench_ttft.measure(runs=2)
    ways = {"raw", "ours_new_connection", "ours_keepalive"}
    assert set(times) == ways | {f"{w}_cpu" for w in ways} | {"client_construction"}
    assert all(0 < t < 5 for values in times.values() for t in values)


def check_offline_throughput_in_process_and_over_http() -> None:
    [(tokens, cpu)] = bench_offline.measure_generate(rounds=1, completions=2)
    assert tokens > 0 and cpu > 0
    assert all(rate > 0 for rate in bench_offline.measure_sample(rounds=1, tokens=200))
    [(received, wall, cpu)] = bench_offline.measure_http(rounds=1, requests=1)
    assert received > 0 and wall > 0 and cpu > 0
    [built] = bench_offline.measure_build(rounds=1)
    assert built > 0


def check_hostile_costs_are_measured_for_the_named_answers() -> None:
    results = bench_hostile.results(quick=True, names={"script-block", "dollar paragraphs"})
    by_name = {r.name: r for r in results}
    assert {"hostile_render_whole_worst_s", "interpolate_1mb_cell_worst_s"} <= set(by_name)
    assert all(r.value >= 0 for r in results)
    assert by_name["interpolate_1mb_cell_worst_s"].value > 0


def check_batch_throughput_cache_and_memory_are_measured() -> None:
    from venice_jupyter.offline import OfflineServer

    with OfflineServer() as server:
        numbers = bench_batch.measure_throughput(server.base_url, rows=20, sample=3, latency=0.01)
        assert numbers["sequential_per_row"] >= 0.01 and numbers["wall"] > 0
        assert numbers["cpu"] > 0 and numbers["cached_wall"] > 0
        assert bench_batch.measure_memory(server.base_url, rows=20) > 0


def check_markdown_answer_is_long_varied_markdown() -> None:
    text = markdown_answer(3000, seed=3)
    assert len(tokenize(text)) >= 3000
    assert re.search(r"^## ", text, re.M) and re.search(r"^- ", text, re.M)
    assert re.search(r"^\d+\. ", text, re.M) and re.search(r"^\| --- ", text, re.M)
    assert re.search(r"^```(python|javascript|sql|bash)$", text, re.M)
    assert markdown_answer(3000, seed=3) == text != markdown_answer(3000, seed=4)


def kernel_check_magic_cell_stats_in_a_real_kernel() -> None:
    [stats], empty = bench_magic.measure(tokens=300, cells=1)
    assert stats.completion_tokens >= 300
    assert stats.final_bytes > 0 and stats.iopub_bytes > stats.final_bytes
    assert stats.kernel_cpu_s > 0 and stats.duration_s > 0 and empty >= 0


def kernel_check_load_ext_timing_and_importtime() -> None:
    inside, replies = bench_load_ext.measure(kernels=1)
    assert 0 < inside[0] < 10 and 0 < replies[0] < 10
    rows = bench_load_ext.importtime_top(runs=1)
    modules = [module for module, _, _ in rows]
    assert "venice_jupyter.ipython._magics" in modules
    assert not any(m.startswith("IPython") for m in modules)


def check_local_model_lab_and_http_are_measured() -> None:
    from bench import bench_local

    cpu, wall, candidates, _ = bench_local.measure_lab(moves=1)
    assert candidates == 49_152 and all(t > 0 for t in wall) and len(cpu) == len(wall)
    if bench_local.installed():  # the http part needs the `local` extra
        http = bench_local.measure_http(requests=1, limit=8)
        assert http["ttft"][0] > 0 and http["decode"][0] > 0 and http["long_ttft"][0] > 0


def check_tool_round_and_turn_are_measured() -> None:
    from bench import bench_tools

    assert all(t > 0 for t in bench_tools.measure_round(5))


def main(argv: list[str]) -> int:
    prefix = "kernel_check_" if "--kernel" in argv else "check_"
    checks: list[tuple[str, Callable[[], None]]] = [
        (name, fn) for name, fn in globals().items() if name.startswith(prefix) and callable(fn)
    ]
    for name, check in checks:
        try:
            check()
        except Exception:
            traceback.print_exc()
            print(f"FAILED {name}", flush=True)
            return 1
        print(f"ok {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
