"""The exchange log survives a kernel killed mid-stream (SIGKILL), and stays usable.

One kernel completes two exchanges and is killed while a third is streaming (after an
``update_display_data`` with answer text reached the front end). A new kernel on the same log
file shows the two exchanges with their text and the third as "interrupted"; SQLite's
``PRAGMA integrity_check`` says "ok"; and the new kernel logs a further exchange.
"""

from __future__ import annotations

import html
import os
import queue
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest
from jupyter_client.manager import KernelManager

from testkit.kernel import Execution, Kernel, isolated_env
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.storage._log import ExchangeLog

pytestmark = pytest.mark.kernel

PROMPTS = ["First question.", "Second question.", "Third question, cut short.", "Fourth."]


@contextmanager
def kernel_on(tmp: Path, log: Path, server: OfflineServer) -> Iterator[Kernel]:
    km = KernelManager(kernel_name="python3")
    env = isolated_env(tmp, VENICE_BASE_URL=server.base_url, VENICE_JUPYTER_LOG=str(log))
    km.start_kernel(env=env, cwd=str(tmp))
    kernel = Kernel(km)
    try:
        ex = kernel.execute("%load_ext venice_jupyter")
        assert ex.status == "ok", ex.error
        yield kernel
    finally:
        kernel.client.stop_channels()
        km.shutdown_kernel(now=True)  # also reaps a killed kernel


def answer(ex: Execution) -> str:
    assert ex.status == "ok", ex.error
    final = ex.of_type("display_data")[-1]["content"]["data"]
    return str(final["text/markdown"])


def wait_for_streamed_text(kernel: Kernel, msg_id: str, timeout: float = 30) -> dict[str, Any]:
    """Read iopub until the cell's answer (not the waiting line) has reached the front end."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kernel.client.get_iopub_msg(timeout=deadline - time.monotonic())
        except queue.Empty:
            break
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        assert msg["msg_type"] != "error", msg["content"]
        if msg["msg_type"] == "update_display_data":
            html = msg["content"]["data"].get("text/html", "")
            if html and "venice-waiting" not in html:
                return msg  # type: ignore[no-any-return]
    raise AssertionError("the third answer never started streaming")


def test_sigkill_mid_stream_then_a_new_kernel(server: OfflineServer, tmp_path: Path) -> None:
    log = tmp_path / "exchanges.sqlite3"
    cell = "%%venice --seed 5 --max-completion-tokens {n}\n{prompt}"
    with kernel_on(tmp_path / "first", log, server) as k:
        texts = [answer(k.execute(cell.format(n=20, prompt=p))) for p in PROMPTS[:2]]
        assert all(texts)
        pid = k.value("__import__('os').getpid()")
        server.inject(Fault("delay", seconds=0.05))  # 400 tokens: ~20 s unless killed
        before = len(server.requests)
        msg_id = k.client.execute(cell.format(n=400, prompt=PROMPTS[2]), allow_stdin=False)
        streamed = wait_for_streamed_text(k, msg_id)
        assert len(server.requests) == before + 1
        os.kill(pid, signal.SIGKILL)  # no finally, no atexit: the row stays "streaming"
        psutil.Process(pid).wait(10)
    assert not psutil.pid_exists(pid)
    assert streamed["content"]["data"]["text/html"]

    raw = sqlite3.connect(log)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = raw.execute("SELECT status, pid FROM exchanges ORDER BY id").fetchall()
    finally:
        raw.close()
    assert stored == [("complete", pid), ("complete", pid), ("streaming", pid)]

    entries = ExchangeLog(log).entries()
    assert [e.status for e in entries] == ["complete", "complete", "interrupted"]
    assert [e.prompt for e in entries] == PROMPTS[:3]
    assert [e.reply for e in entries[:2]] == texts
    assert all(e.usage and e.usage.completion_tokens > 0 for e in entries[:2])

    with kernel_on(tmp_path / "second", log, server) as k2:
        ex = k2.execute("%venice log")
        assert ex.status == "ok", ex.error
        table = ex.of_type("display_data")[0]["content"]["data"]["text/html"]
        rows = [html.unescape(row) for row in table.split("<tr>")[2:]]  # newest first
        assert len(rows) == 3 and "<td>interrupted</td>" in rows[0]
        assert all("<td>complete</td>" in row for row in rows[1:])
        assert texts[1][:40] in rows[1] and texts[0][:40] in rows[2]
        fourth = answer(k2.execute(cell.format(n=12, prompt=PROMPTS[3])))
        assert fourth
        assert k2.execute("import venice_jupyter").status == "ok"
        statuses = k2.value(
            "[e.status for e in venice_jupyter.workspace.current().log().entries()]"
        )
        assert statuses == ["complete", "complete", "interrupted", "complete"]

    entries = ExchangeLog(log).entries()
    assert [e.status for e in entries] == ["complete", "complete", "interrupted", "complete"]
    assert entries[3].prompt == PROMPTS[3] and entries[3].reply == fourth
    assert entries[3].pid != pid
    raw = sqlite3.connect(log)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        raw.close()
