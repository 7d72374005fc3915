"""``%load_ext venice_jupyter`` in a fresh kernel, and what importing the magics costs.

For each of several fresh kernels (``testkit.kernel.running_kernel``), the first cell runs::

    _s = time.perf_counter()
    get_ipython().run_line_magic('load_ext', 'venice_jupyter')
    print(time.perf_counter() - _s)

so the figure is the extension's own cost inside the kernel (imports + registering the magics),
not kernel start-up or messaging; the execute_reply's ``date - metadata.started`` (the whole
cell as the kernel saw it) is reported too. Medians over the kernels.

Then ``python -X importtime`` in a fresh interpreter that has first imported what a kernel
already holds (``ipykernel.ipkernel``, ``IPython``): only modules imported after that point are
listed, IPython's own excluded, top offenders by self time (median of a few runs).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, Result, bench_args, goal, info, median, report

__all__ = ["importtime_top", "main", "measure"]

GOAL_MS = 150.0
CELL = (
    "import time as _t\n"
    "_s = _t.perf_counter()\n"
    "get_ipython().run_line_magic('load_ext', 'venice_jupyter')\n"
    "print(_t.perf_counter() - _s)"
)
_MARK = "--venice-bench-mark--"
_PRELUDE = (
    "import ipykernel.ipkernel, IPython, sys; "
    f"print({_MARK!r}, file=sys.stderr, flush=True); "
    "import venice_jupyter.ipython._magics"
)
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def _iso(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def measure(kernels: int = 5) -> tuple[list[float], list[float]]:
    """Seconds per fresh kernel: (in-kernel perf_counter, execute_reply date − started)."""
    from testkit.kernel import running_kernel

    inside, replies = [], []
    for _ in range(kernels):
        with tempfile.TemporaryDirectory() as tmp, running_kernel(Path(tmp)) as kernel:
            ex = kernel.execute(CELL)
            assert ex.status == "ok", ex.error
            inside.append(float(ex.stdout.strip().splitlines()[-1]))
            started = _iso(ex.reply["metadata"]["started"])
            replies.append((_iso(ex.reply["header"]["date"]) - started).total_seconds())
    return inside, replies


def importtime_top(runs: int = 5, top: int = 12) -> list[tuple[str, float, float]]:
    """(module, self ms, cumulative ms), worst self time first; medians over ``runs``."""
    samples: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", _PRELUDE],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        after = done.stderr.split(_MARK, 1)[1]
        for match in _LINE.finditer(after):
            module = match.group(4)
            if module.split(".")[0] == "IPython":
                continue
            samples.setdefault(module, []).append(
                (int(match.group(1)) / 1000, int(match.group(2)) / 1000)
            )
    rows = [
        (module, median([s for s, _ in pairs]), median([c for _, c in pairs]))
        for module, pairs in samples.items()
    ]
    return sorted(rows, key=lambda row: -row[1])[:top]


def results(kernels: int) -> tuple[list[Result], list[tuple[str, float, float]]]:
    inside, replies = measure(kernels)
    rows = importtime_top()
    out = [
        goal("load_ext_in_kernel", median(inside) * 1000, "ms", "<=", GOAL_MS),
        info("load_ext_cell_execute_reply", median(replies) * 1000, "ms"),
    ]
    whole = next((c for m, _, c in rows if m == "venice_jupyter.ipython._magics"), None)
    if whole is not None:
        out.append(info("importtime_venice_jupyter_magics_cumulative", whole, "ms"))
    return out, rows


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    kernels = 5 if args.quick else 7
    print(f"# median over {kernels} fresh kernels; importtime: median of 5 interpreters")
    out, rows = results(kernels)
    report(out, args.json_out)
    print("# -X importtime after ipykernel+IPython, IPython.* excluded, by self time:")
    for module, self_ms, cumulative_ms in rows:
        print(f"#   {module:<45} self {self_ms:7.2f} ms   cumulative {cumulative_ms:7.2f} ms")


if __name__ == "__main__":
    main()
