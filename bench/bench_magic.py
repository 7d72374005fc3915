"""``%%venice`` in a real kernel: iopub bytes per rendered byte, and kernel CPU per token.

An ``OfflineServer`` (in this process) answers with a ``reply`` fault carrying an ~8,000-token
Markdown answer from ``bench.markdown_answer`` (headings, paragraphs, lists, GFM tables, fenced
code of 20–80 lines). A kernel from ``testkit.kernel.running_kernel`` has ``VENICE_BASE_URL`` set to
it, loads the extension and runs one full-size warm-up cell (imports, model catalog, first
connection, pygments lexers); then each measured cell is ``%%venice --no-history`` with a
fresh answer.

What is counted, per cell:

- iopub bytes: every iopub message whose parent is that cell's execute_request, except
  ``status`` (so ``execute_input``, each ``display_data``, ``update_display_data``,
  ``clear_output`` and any ``stream``); each counted as the length of its ``content`` serialised
  the way jupyter_client sends it (``jupyter_client.session.json_packer``: UTF-8 JSON). Headers,
  metadata frames and signatures are not counted.
- rendered bytes: the ``data`` dict (every MIME type: HTML, Markdown, plain text, the reply
  JSON) of the final ``display_data``, the one the notebook keeps, serialised the same way.
- kernel CPU: user + system seconds of the kernel process (all its threads: shell, iopub,
  heartbeat) read with psutil just before ``execute`` and after the reply, divided by the
  reply's ``completion_tokens``.
- display updates: ``update_display_data`` messages; slots: ``display_data`` messages before the
  final one; duration: wall time from sending the cell to its execute_reply.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    Result,
    bench_args,
    child_cpu_seconds,
    goal,
    info,
    median,
    report,
)
from bench.markdown_answer import markdown_answer

__all__ = ["CellStats", "main", "measure"]

GOAL_RATIO = 3.0
CELL = "%%venice --no-history\nWrite a detailed design guide for a streaming data service."


@dataclass(frozen=True)
class CellStats:
    iopub_bytes: int
    final_bytes: int
    kernel_cpu_s: float
    completion_tokens: int
    updates: int
    slots: int
    messages: int
    duration_s: float

    @property
    def ratio(self) -> float:
        return self.iopub_bytes / self.final_bytes


def _kernel_pid(kernel: Any) -> int:
    provisioner = kernel.km.provisioner
    process = getattr(provisioner, "process", None)
    return int(process.pid if process is not None else provisioner.pid)


def cell_stats(messages: list[dict[str, Any]], cpu_s: float, duration_s: float) -> CellStats:
    from jupyter_client.session import json_packer

    final: dict[str, Any] | None = None
    for m in messages:
        if m["msg_type"] == "clear_output":
            final = None
        elif m["msg_type"] == "display_data":
            final = m
    if final is None:
        raise AssertionError(f"no final display_data: {[m['msg_type'] for m in messages]}")
    types = [m["msg_type"] for m in messages]
    tokens = final["content"]["metadata"]["venice"]["completion_tokens"]
    return CellStats(
        iopub_bytes=sum(len(json_packer(m["content"])) for m in messages),
        final_bytes=len(json_packer(final["content"]["data"])),
        kernel_cpu_s=cpu_s,
        completion_tokens=int(tokens),
        updates=types.count("update_display_data"),
        slots=types.count("display_data") - 1,
        messages=len(messages),
        duration_s=duration_s,
    )


def measure(tokens: int = 8000, cells: int = 3) -> tuple[list[CellStats], float]:
    """Stats of ``cells`` measured cells, and the kernel CPU seconds of an empty cell."""
    from testkit.kernel import running_kernel
    from venice_jupyter.offline import Fault, OfflineServer

    with (
        tempfile.TemporaryDirectory() as tmp,
        OfflineServer() as server,
        running_kernel(Path(tmp), VENICE_BASE_URL=server.base_url) as kernel,
    ):
        ex = kernel.execute("%load_ext venice_jupyter")
        assert ex.status == "ok", ex.error
        # Warm-up at full size: imports, the model catalog, the connection, and the pygments
        # lexers (compiled once per kernel, ~30 ms per language) are paid before measuring.
        server.inject(Fault("reply", text=markdown_answer(tokens, seed=10_000)))
        ex = kernel.execute(CELL, timeout=600)
        assert ex.status == "ok", ex.error
        pid = _kernel_pid(kernel)
        before = child_cpu_seconds(pid)
        kernel.execute("pass")
        empty = child_cpu_seconds(pid) - before
        stats = []
        for seed in range(cells):
            server.inject(Fault("reply", text=markdown_answer(tokens, seed=seed)))
            before = child_cpu_seconds(pid)
            start = time.perf_counter()
            ex = kernel.execute(CELL, timeout=600)
            duration = time.perf_counter() - start
            cpu = child_cpu_seconds(pid) - before
            assert ex.status == "ok", ex.error
            stats.append(cell_stats(ex.messages, cpu, duration))
    return stats, empty


def results(cells: int) -> list[Result]:
    stats, empty = measure(cells=cells)

    def med(attr: str) -> float:
        return median([float(getattr(s, attr)) for s in stats])

    per_token = median([s.kernel_cpu_s / s.completion_tokens for s in stats])
    return [
        goal("magic_iopub_over_rendered", med("ratio"), "×", "<=", GOAL_RATIO),
        info("magic_iopub_bytes", med("iopub_bytes"), "bytes"),
        info("magic_rendered_bytes", med("final_bytes"), "bytes"),
        info("magic_completion_tokens", med("completion_tokens"), "tokens"),
        info("magic_kernel_cpu_per_token", per_token * 1e6, "µs/token"),
        info("magic_kernel_cpu_per_cell", med("kernel_cpu_s") * 1000, "ms"),
        info("magic_kernel_cpu_empty_cell", empty * 1000, "ms"),
        info("magic_display_updates", med("updates"), "updates"),
        info("magic_display_slots", med("slots"), "displays"),
        info("magic_iopub_messages", med("messages"), "messages"),
        info("magic_cell_duration", med("duration_s") * 1000, "ms"),
    ]


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    cells = 3 if args.quick else 5
    print(f"# ~8,000-token Markdown reply, median of {cells} cells in one warm kernel")
    report(results(cells), args.json_out)


if __name__ == "__main__":
    main()
