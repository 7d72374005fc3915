"""The real model offline (the ``local`` extra): tokens/s and TTFT through the offline server,
and the sampling lab's re-render time over its 49,152-token vocabulary.

- http: ``python -m venice_jupyter.offline --port 0`` in a subprocess (the model loads there),
  an ``httpx`` client streaming ``venice-offline-smollm2`` replies (seeded, T = 0.8, top_p 0.95,
  up to 200 tokens). TTFT is wall time from sending to the first non-empty content chunk;
  tokens/s is the usage chunk's ``completion_tokens`` over the wall time after the first
  token (the decode rate a reader sees), and over the whole request (``…_with_prompt``). A
  ~500-token prompt's TTFT is printed too: prompt processing dominates it.
- lab: ``sampling_lab(text, model=…)`` in this process (the model runs once, then never
  again); each slider move (top_p, temperature, min_p, top_k, the position) is timed from the
  value change to the widget's new HTML, in CPU time (``process_time``, the goal) and wall time.
  Without the extra the lab part runs on 49,152 synthetic logits (the lab's cost does not
  depend on where the logits came from) and the http part is skipped.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Result, bench_args, goal, info, median, report, server_process

__all__ = ["measure_http", "measure_lab", "results"]

GOAL_TPS = 50
GOAL_RERENDER_MS = 50
MODEL = "venice-offline-smollm2"
PROMPTS = (
    "Why is the sky blue?",
    "Explain how a bicycle stays upright.",
    "Write a short story about a lighthouse keeper.",
    "What should I pack for a week of hiking?",
)
TEXT = "The cat sat on the mat. The temperature of the"


def installed() -> bool:
    from venice_jupyter.offline.models import local_status

    return local_status().model is not None


def _stream(client: Any, url: str, body: dict[str, Any]) -> tuple[float, float, int]:
    """(ttft, total seconds, completion tokens) of one streamed request."""
    start = time.perf_counter()
    first = None
    tokens = 0
    with client.stream("POST", url, json=body) as response:
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            choices = chunk.get("choices") or []
            if first is None and choices and choices[0]["delta"].get("content"):
                first = time.perf_counter() - start
    total = time.perf_counter() - start
    return (first if first is not None else total), total, tokens


def measure_http(requests: int = 8, limit: int = 200) -> dict[str, list[float]]:
    import httpx

    args = ["-m", "venice_jupyter.offline", "--port", "0"]
    out: dict[str, list[float]] = {"ttft": [], "decode": [], "whole": [], "long_ttft": []}
    with (
        server_process(args, ready=lambda line: line.startswith("http")) as server,
        httpx.Client(timeout=300) as client,
    ):
        url = f"{server.url}/chat/completions"

        def body(i: int, prompt: str) -> dict[str, Any]:
            return {
                "model": MODEL,
                "messages": [{"role": "user", "content": prompt}],
                "stream": True,
                "seed": i + 1,
                "temperature": 0.8,
                "top_p": 0.95,
                "max_completion_tokens": limit,
            }

        _stream(client, url, body(0, PROMPTS[0]))  # warm-up
        for i in range(requests):
            ttft, total, tokens = _stream(client, url, body(i, PROMPTS[i % len(PROMPTS)]))
            out["ttft"].append(ttft)
            out["decode"].append((tokens - 1) / max(total - ttft, 1e-9))
            out["whole"].append(tokens / total)
        long_prompt = "Summarise this text. " + "The quick brown fox jumps over the lazy dog. " * 50
        for i in range(max(1, requests // 4)):
            ttft, _, _ = _stream(client, url, {**body(i, long_prompt), "max_completion_tokens": 8})
            out["long_ttft"].append(ttft)
    return out


class _Synthetic:
    """49,152 random logits at one position: the lab's cost without the model."""

    kind = "text"
    exact = True
    length = 1

    def __init__(self) -> None:
        import numpy as np

        from venice_jupyter.widgets.lab._sources import Point

        rng = np.random.default_rng(0)
        self.tokens: list[str] = []
        words = tuple(f" w{i}" for i in range(49_152))
        logits = rng.standard_normal(49_152) * 3
        self._point = Point(words, logits, (), None, "49,152 synthetic logits")

    def point(self, position: int) -> Any:
        return self._point


def measure_lab(moves: int = 6) -> tuple[list[float], list[float], int, str]:
    """(CPU ms, wall ms) per slider move, the number of candidates, and what the logits are."""
    from venice_jupyter.widgets.lab import SamplingLab, sampling_lab

    if installed():
        lab, what = sampling_lab(TEXT, model=MODEL), "SmolLM2 (real model)"
    else:
        lab, what = SamplingLab(_Synthetic()), "synthetic logits (no local extra)"
    cpu, wall = [], []
    steps: list[tuple[str, Any]] = []
    for k in range(moves):
        steps += [
            ("top_p", 0.5 + 0.45 * k / moves),
            ("temperature", 0.4 + 0.2 * k),
            ("min_p", 0.01 * (k + 1)),
            ("top_k", 10 * (k + 1)),
        ]
    for name, value in steps:
        c, t = time.process_time(), time.perf_counter()
        lab.controls[name].value = value
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    for position in range(lab.source.length):
        c, t = time.process_time(), time.perf_counter()
        lab.position = position
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    return cpu, wall, len(lab.point.tokens), what


def results(quick: bool) -> list[Result]:
    cpu, wall, candidates, what = measure_lab(3 if quick else 8)
    out = [
        goal("lab_rerender_cpu_ms", median(cpu), "ms", "<=", GOAL_RERENDER_MS),
        info("lab_rerender_wall_ms", median(wall), "ms"),
        info("lab_rerender_worst_wall_ms", max(wall), "ms"),
        info("lab_candidates", candidates),
    ]
    print(f"# lab: {candidates:,} candidates from {what}; {len(cpu)} slider moves")
    if not installed():
        print("# http: skipped, the `local` extra is not installed")
        return out
    http = measure_http(3 if quick else 8)
    return [
        goal("local_http_tokens_per_s", median(http["decode"]), "tokens/s", ">=", GOAL_TPS),
        info("local_http_tokens_per_s_with_prompt", median(http["whole"]), "tokens/s"),
        info("local_ttft_ms", median(http["ttft"]) * 1000, "ms"),
        info("local_ttft_500_token_prompt_ms", median(http["long_ttft"]) * 1000, "ms"),
        info("local_ttft_spread_ms", statistics.pstdev(http["ttft"]) * 1000, "ms"),
        *out,
    ]


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    report(results(args.quick), args.json_out)


if __name__ == "__main__":
    main()
