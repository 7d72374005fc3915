"""Run every benchmark, each in its own fresh interpreter, then print one summary.

python -m bench                  # or: python bench/run_all.py
python -m bench --quick          # fewer repetitions
python -m bench --only ttft magic
python -m bench --strict         # exit 1 when a goal is missed (2 when a benchmark fails)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, Result

__all__ = ["BENCHMARKS", "main"]

BENCHMARKS = ("stream_cpu", "ttft", "offline", "magic", "load_ext", "widgets", "hostile", "batch",
              "tools", "local")  # fmt: skip
# ipykernel's start-up warning about TCP without CurveZMQ keys: noise here, on loopback.
_NOISE = "Kernel is running over TCP without encryption"


def run_one(name: str, quick: bool) -> tuple[list[Result], bool, float]:
    """(results, ran cleanly, wall seconds) of ``bench.bench_<name>`` in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        command = [sys.executable, "-m", f"bench.bench_{name}", "--json-out", str(out)]
        if quick:
            command.append("--quick")
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        for line in done.stderr.splitlines():
            if _NOISE not in line:
                print(line, file=sys.stderr)
        if done.returncode != 0 or not out.exists():
            return [], False, elapsed
        return [Result(**r) for r in json.loads(out.read_text())], True, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run just these")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    args = parser.parse_args(argv)
    collected: list[Result] = []
    broken: list[str] = []
    for name in args.only or BENCHMARKS:
        print(f"\n== bench_{name}", flush=True)
        results, ok, elapsed = run_one(name, args.quick)
        print(f"   ({elapsed:.1f} s)", flush=True)
        collected += results
        if not ok:
            broken.append(name)
    goals = [r for r in collected if r.goal is not None]
    failed = [r for r in goals if not r.passed]
    print("\n== summary (goals)")
    for result in goals:
        print(f"  {result.line()}")
    print(
        f"\n{len(goals) - len(failed)}/{len(goals)} goals met"
        + (f"; FAILED to run: {', '.join(broken)}" if broken else "")
    )
    if broken:
        return 2
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
