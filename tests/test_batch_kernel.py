"""batch() in a real IPython kernel: rows are tasks on the kernel's loop, the progress widget
is the cell's output and its buttons work; ``%venice cache`` and ``%venice set cache=``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from testkit.kernel import Kernel, venice_kernel
from venice_jupyter.offline import Fault, OfflineServer

pytestmark = pytest.mark.kernel

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SETUP = (
    "import json, venice_jupyter\n"
    "from venice_jupyter.workspace import current\n"
    "def prompts(n, word='bread'):\n"
    "    return [f'Tell me about {word}, part {i}.' for i in range(n)]\n"
)


@pytest.fixture(scope="module")
def kernel(
    venice_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    tmp = tmp_path_factory.mktemp("batch-kernel")
    with venice_kernel(tmp, venice_server.base_url, SETUP) as k:
        yield k


def ok(kernel: Kernel, code: str, timeout: float = 120) -> Any:
    ex = kernel.execute(code, timeout=timeout)
    assert ex.status == "ok", ex.error
    return ex


def printed(ex: Any) -> Any:
    return json.loads(ex.stdout.strip().splitlines()[-1])


def test_a_batch_with_faults_runs_as_tasks_and_shows_a_live_widget(
    kernel: Kernel, server: OfflineServer
) -> None:
    server.inject(
        Fault("delay", seconds=0.02, times=2),
        Fault("status", status=429, retry_after=0.1),
        Fault("status", status=500),
        Fault("drop", after_tokens=2),
        Fault("inband_error", after_tokens=1, retry_after=0.05),
        Fault("delay", seconds=0.02, times=20),
    )
    mark = len(server.requests)
    ex = ok(
        kernel, "run = venice_jupyter.batch(prompts(16), max_completion_tokens=30, seed=1)\nrun"
    )
    views = [m for m in ex.of_type("display_data", "execute_result")
             if WIDGET_VIEW in m["content"]["data"]]  # fmt: skip
    assert len(views) == 1 and ex.of_type("comm_open")
    # The cell returned while the rows were still on their way (each takes a while).
    assert kernel.value("run.done") is False
    ex = ok(
        kernel,
        "table = await run\n"
        "print(json.dumps([list(table['prompt']), list(table['status']), "
        "[int(a) for a in table['attempts']], bool(table['answer'].str.strip().all())]))",
    )
    asked, statuses, attempts, answered = printed(ex)
    assert asked == kernel.value("prompts(16)")  # input order
    assert statuses == ["done"] * 16 and answered
    assert sum(attempts) == len(server.requests) - mark == 16 + 4
    assert "16/16" in kernel.value("run.view.numbers.value")
    assert kernel.value("run.view.stop_button.disabled") is True  # nothing left to stop


def test_stop_keeps_what_finished_and_the_next_call_resumes(
    kernel: Kernel, server: OfflineServer
) -> None:
    server.inject(Fault("delay", seconds=0.03, times=200))
    ok(kernel, "run = venice_jupyter.batch(prompts(20, 'rye'), concurrency=2, "
               "max_completion_tokens=40)")  # fmt: skip
    # Wait (in the kernel, without blocking its loop) until a few rows are done, then click.
    ok(
        kernel,
        "import asyncio\n"
        "while sum(r.status == 'done' for r in run.rows) < 3:\n"
        "    await asyncio.sleep(0.01)\n"
        "run.view.stop_button.click()\n"
        "table = await run\n"
        "done = [s == 'done' for s in table['status']]",
    )
    done = kernel.value("done")
    assert 3 <= sum(done) < 20
    assert set(kernel.value("list(table['status'])")) == {"done", "stopped"}
    server.clear_faults()
    mark = len(server.requests)
    ex = ok(
        kernel,
        "again = await venice_jupyter.batch(prompts(20, 'rye'), concurrency=2, "
        "max_completion_tokens=40)\n"
        "print(json.dumps([list(again['status']), [bool(c) for c in again['cached']]]))",
    )
    statuses, cached = printed(ex)
    assert statuses == ["done"] * 20 and cached == done
    assert len(server.requests) - mark == 20 - sum(done)


def test_progress_updates_are_rate_bounded(kernel: Kernel, server: OfflineServer) -> None:
    # One cell: the redraws of tasks it started are that cell's messages.
    ex = ok(
        kernel,
        "run = venice_jupyter.batch(prompts(300, 'oats'), concurrency=16, "
        "max_completion_tokens=4)\n"
        "table = await run\n"
        "print(json.dumps([run.view.numbers.model_id, len(table)]))",
    )
    model_id, rows = printed(ex)
    assert rows == 300
    updates = [
        m
        for m in ex.of_type("comm_msg")
        if m["content"]["comm_id"] == model_id and m["content"]["data"].get("method") == "update"
    ]
    assert updates  # it did show progress
    times = [datetime.fromisoformat(str(m["header"]["date"])) for m in updates]
    span = (max(times) - min(times)).total_seconds()
    # At most 4 redraws a second, plus the widget's first value, the first and the last
    # redraw and the end of the run: never one per row.
    assert len(updates) <= 4 * span + 4 and len(updates) < 300 / 4


def test_a_costly_batch_waits_for_send(kernel: Kernel, server: OfflineServer) -> None:
    mark = len(server.requests)
    ok(
        kernel,
        "current().settings.batch_confirm_usd = 0.0\n"
        "run = venice_jupyter.batch(prompts(3, 'spelt'), max_completion_tokens=5)",
    )
    assert kernel.value("run.confirmation is not None and not run.running") is True
    assert "estimated above your limit" in kernel.value("run.view.question.value")
    assert len(server.requests) == mark  # nothing sent before the yes
    ex = ok(kernel, "run.view.send_button.click()\ntable = await run\n"
                    "print(json.dumps(list(table['status'])))")  # fmt: skip
    assert printed(ex) == ["done"] * 3 and len(server.requests) == mark + 3
    ok(kernel, "current().settings.batch_confirm_usd = 1.0")


def test_cache_commands_and_setting(kernel: Kernel, server: OfflineServer) -> None:
    ok(kernel, "await venice_jupyter.batch(prompts(4, 'barley'), max_completion_tokens=5)")
    ex = ok(kernel, "%venice cache stats")
    assert "cached requests" in str(ex.of_type("display_data"))
    ex = ok(kernel, "%venice cache clear")
    assert "Forgot" in ex.stdout and "sent again" in ex.stdout
    mark = len(server.requests)
    ok(kernel, "await venice_jupyter.batch(prompts(4, 'barley'), max_completion_tokens=5)")
    assert len(server.requests) == mark + 4  # cleared: sent again
    ok(kernel, "%venice set cache=on")
    assert kernel.value("current().settings.cache") is True
    ok(kernel, "%venice set cache=off")
    assert kernel.value("current().settings.cache") is False
    ex = kernel.execute("%venice set cache=maybe")
    assert ex.status == "error" and "on or off" in str(ex.error)
    ex = kernel.execute("%venice cache purge")
    assert ex.status == "error" and "stats or clear" in str(ex.error)
