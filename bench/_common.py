"""What every benchmark shares: result lines, goals, medians, server subprocesses, CPU clocks."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

# The goals were set on the n-gram models; with the `local` extra the offline default is the
# real model (bench_local names it). Servers, kernels and in-process runs inherit this.
os.environ.setdefault("VENICE_OFFLINE_DEFAULT", "venice-offline")

__all__ = [
    "REPO",
    "Result",
    "Server",
    "bench_args",
    "child_cpu_seconds",
    "goal",
    "info",
    "median",
    "report",
    "server_process",
]

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    """One measured number; ``goal`` is e.g. ``"≤ 0.67"`` and ``passed`` its verdict."""

    name: str
    value: float
    unit: str
    goal: str | None = None
    passed: bool | None = None

    def line(self) -> str:
        value = f"{self.value:,.4g}" if abs(self.value) < 1000 else f"{self.value:,.0f}"
        text = f"{self.name}: {value} {self.unit}".rstrip()
        if self.goal is not None:
            text += f" (goal {self.goal}: {'PASS' if self.passed else 'FAIL'})"
        return text


def goal(name: str, value: float, unit: str, op: str, target: float) -> Result:
    """A result with a goal; ``op`` is ``"<="`` or ``">="``."""
    shown = f"{target:,g}" if unit in ("", "×") else f"{target:,g} {unit}"
    if op == "<=":
        return Result(name, value, unit, f"≤ {shown}", value <= target)
    if op == ">=":
        return Result(name, value, unit, f"≥ {shown}", value >= target)
    raise ValueError(f"unknown comparison {op!r}")


def info(name: str, value: float, unit: str = "") -> Result:
    """A number reported for context, without a goal."""
    return Result(name, value, unit)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def bench_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a rough look)")
    parser.add_argument("--json-out", type=Path, help="also write the results here (run_all)")
    return parser.parse_args(argv)


def report(results: Sequence[Result], json_out: Path | None = None) -> None:
    """Print each result line; with ``json_out``, write them as JSON for ``run_all``."""
    for result in results:
        print(result.line(), flush=True)
    if json_out is not None:
        json_out.write_text(json.dumps([asdict(r) for r in results]))


class Server(NamedTuple):
    url: str  # the first stdout line the ``ready`` test accepted
    pid: int


@contextmanager
def server_process(args: Sequence[str], *, ready: Callable[[str], bool]) -> Iterator[Server]:
    """Run ``python ARGS`` from the repo; yield it once a stdout line passes ``ready``.

    The server runs in its own process so its CPU is never counted as the client's. It is
    terminated (then killed) on exit, whatever happened.
    """
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"server {args} exited with {proc.wait()} before it was ready")
            if ready(line.strip()):
                yield Server(line.strip(), proc.pid)
                return
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def child_cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of process ``pid`` so far (all its threads, not its children)."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - psutil ships with the test extras
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)
