"""The benchmarks still run: ``python -m bench.smoke`` runs each one's core on a tiny input and
checks the numbers are sane (goals are never asserted; they live in bench/). A subprocess, so
the tests never import the benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _smoke(*args: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.smoke", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return [line.split()[1] for line in done.stdout.splitlines() if line.startswith("ok ")]


def test_every_benchmark_core_runs_on_a_tiny_input() -> None:
    ran = _smoke()
    assert {
        "check_stream_cpu_measures_both_clients",
        "check_offline_throughput_in_process_and_over_http",
        "check_hostile_costs_are_measured_for_the_named_answers",
        "check_batch_throughput_cache_and_memory_are_measured",
        "check_local_model_lab_and_http_are_measured",
    } <= set(ran)


@pytest.mark.kernel
def test_the_kernel_benchmarks_run_on_a_tiny_input() -> None:
    assert set(_smoke("--kernel")) == {
        "kernel_check_magic_cell_stats_in_a_real_kernel",
        "kernel_check_load_ext_timing_and_importtime",
    }
