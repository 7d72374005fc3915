"""batch(): many prompts against the offline server on loopback, faults injected, in plain
Python (the call runs its own loop) and in async code (the rows are tasks on the caller's)."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.leakscan import TEST_KEY
from tests.test_images import JPEG, PNG
from venice_jupyter.api import FailureBudget, ModelCatalog
from venice_jupyter.batching import BatchRun, DryRun, abatch, batch
from venice_jupyter.batching._entry import _BUDGETS
from venice_jupyter.batching._inputs import rows_from
from venice_jupyter.batching._plan import plan
from venice_jupyter.batching._progress import TextProgress
from venice_jupyter.batching._throttle import Throttle
from venice_jupyter.errors import CapabilityError, ParameterError
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.request import ChatParams
from venice_jupyter.workspace import VeniceSettings, Workspace

pd = pytest.importorskip("pandas")  # in the test extra; the no-pandas path is simulated below

SAME = ["prompt", "answer", "status", "finish_reason", "prompt_tokens", "completion_tokens",
        "cost_usd", "error"]  # fmt: skip


def prompts(n: int, word: str = "bread") -> list[str]:
    return [f"Tell me about {word}, part {i}." for i in range(n)]


def sent_since(server: OfflineServer, mark: int) -> list[dict[str, Any]]:
    return server.requests[mark:]


class Watch:
    """A progress display for tests: an event once ``n`` rows are done."""

    def __init__(self, run: BatchRun, n: int) -> None:
        self.run, self.n = run, n
        self.reached = asyncio.Event()

    def ping(self, final: bool = False) -> None:
        if sum(r.status == "done" for r in self.run.rows) >= self.n:
            self.reached.set()


# -- the table ------------------------------------------------------------------------------


def test_every_prompt_gets_a_row_in_input_order(home: Workspace, server: OfflineServer) -> None:
    mark = len(server.requests)
    asked = prompts(12)
    table = batch(asked, workspace=home, concurrency=4, max_completion_tokens=20, seed=3)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == [
        "prompt", "answer", "status", "finish_reason", "prompt_tokens", "completion_tokens",
        "cost_usd", "ttft_s", "latency_s", "attempts", "cached", "error",
    ]  # fmt: skip
    assert list(table["prompt"]) == asked and list(table.index) == list(range(12))
    assert set(table["status"]) == {"done"} and all(a.strip() for a in table["answer"])
    assert (table["completion_tokens"] > 0).all() and (table["cost_usd"] > 0).all()
    assert table["ttft_s"].notna().all() and table["latency_s"].notna().all()
    assert list(table["attempts"]) == [1] * 12 and not table["cached"].any()
    bodies = sent_since(server, mark)
    assert sorted(b["messages"][-1]["content"] for b in bodies) == sorted(asked)
    assert all(b["seed"] == 3 and b["max_completion_tokens"] == 20 for b in bodies)


def test_a_dataframe_with_a_template_keeps_its_index(home: Workspace) -> None:
    frame = pd.DataFrame(
        {"text": ["good bread", "stale bread"], "lang": ["French", "Italian"]},
        index=pd.Index(["a", "b"], name="id"),
    )
    table = batch(frame, template="Say '{text}' in {lang}.", workspace=home,
                  max_completion_tokens=8)  # fmt: skip
    assert list(table.index) == ["a", "b"] and table.index.name == "id"
    assert list(table["prompt"]) == ["Say 'good bread' in French.", "Say 'stale bread' in Italian."]
    joined = frame.join(table["answer"])  # as the README shows: answers beside the input
    assert list(joined.columns) == ["text", "lang", "answer"]
    assert list(joined["answer"]) == list(table["answer"])
    series = pd.Series(["Rye", "Spelt"], index=[10, 20], name="grain")
    table = batch(series, template="What is {grain}?", workspace=home, max_completion_tokens=8)
    assert list(table.index) == [10, 20]
    assert list(table["prompt"]) == ["What is Rye?", "What is Spelt?"]


def test_without_pandas_the_result_is_plain_records(
    home: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if it were not installed
    records = batch(["Hi.", "Bye."], workspace=home, max_completion_tokens=5)
    assert isinstance(records, list) and [r["row"] for r in records] == [0, 1]
    assert [r["prompt"] for r in records] == ["Hi.", "Bye."]
    assert all(r["status"] == "done" and r["answer"] for r in records)
    json.dumps(records)  # plain data


def test_schema_fields_become_columns(home: Workspace) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "people": {"type": "integer"}},
        "required": ["city", "people"],
        "additionalProperties": False,
    }
    table = batch(["Name a city.", "Name another."], workspace=home, schema=schema)
    assert list(table.columns[:4]) == ["prompt", "answer", "city", "people"]
    for _, row in table.iterrows():
        assert json.loads(row["answer"]) == {"city": row["city"], "people": row["people"]}


def test_tools_work_per_row(home: Workspace, server: OfflineServer) -> None:
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]},
    }}]  # fmt: skip
    mark = len(server.requests)
    table = batch(["Weather in Paris?", "Weather in Rome?"], workspace=home, tools=tools,
                  tool_choice="required")  # fmt: skip
    assert list(table["finish_reason"]) == ["tool_calls", "tool_calls"]
    for calls in table["tool_calls"]:
        assert calls[0]["name"] == "get_weather" and "city" in json.loads(calls[0]["arguments"])
    assert all(b["tools"] == tools for b in sent_since(server, mark))
    again = batch(["Weather in Paris?", "Weather in Rome?"], workspace=home, tools=tools,
                  tool_choice="required")  # fmt: skip
    assert again["cached"].all() and list(again["tool_calls"]) == list(table["tool_calls"])


def test_images_go_with_their_own_row(home: Workspace, server: OfflineServer) -> None:
    # A catalog where every model has vision (the offline small one has none).
    models = httpx.get(f"{server.base_url}/models", timeout=10).json()
    for model in models["data"]:
        model["model_spec"]["capabilities"]["supportsVision"] = True
    catalog = ModelCatalog.from_payloads(models)
    inputs = rows_from(
        ["What is this?", "And these?", "No image."], images=[PNG, [PNG, JPEG], None]
    )
    planned = plan(home.session(), inputs, params=ChatParams(), model="venice-offline",
                   system=None, catalog=catalog)  # fmt: skip
    parts = [p.body["messages"][-1]["content"] for p in planned.prepared]
    assert [sum(x["type"] == "image_url" for x in p) for p in parts[:2]] == [1, 2]
    assert parts[1][2]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert parts[2] == "No image."
    frame = pd.DataFrame({"q": ["What is this?"], "picture": [PNG]})
    inputs = rows_from(frame, template="{q}", images="picture")
    assert inputs.rows[0].images == (PNG,)
    # Against the real offline catalog: the capability check names the row, nothing is sent.
    mark = len(server.requests)
    with pytest.raises(CapabilityError, match=r"Row 0: .*image.*Nothing was sent"):
        batch(["What is this?"], images=[PNG], model="venice-offline-small", workspace=home)
    assert sent_since(server, mark) == []


# -- faults -----------------------------------------------------------------------------------


def test_faults_one_at_a_time_every_row_ends_answered_or_with_its_error(
    home: Workspace, server: OfflineServer
) -> None:
    # One row in flight at a time, so each fault meets a known attempt (the queue is FIFO;
    # a zero delay is a clean answer).
    clean = Fault("delay", seconds=0)
    server.inject(
        Fault("status", status=429, retry_after=0.3),  # row 0: 429, then answered
        clean,
        Fault("status", status=500),  # row 1: 500, dropped stream, in-band error: out of retries
        Fault("drop", after_tokens=2),
        Fault("inband_error", after_tokens=1, retry_after=0.01),
        Fault("status", status=400, message="Bad row"),  # row 2: not worth a retry
        clean,  # row 3
        Fault("reset"),  # row 4: connection reset before any answer, then answered
    )
    mark = len(server.requests)
    start = time.monotonic()
    table = batch(prompts(6), workspace=home, concurrency=1, retries=2, max_completion_tokens=15)
    elapsed = time.monotonic() - start
    assert list(table["prompt"]) == prompts(6)
    assert list(table["status"]) == ["done", "error", "error", "done", "done", "done"]
    assert list(table["attempts"]) == [2, 3, 1, 1, 2, 1]
    assert "model_overloaded" in table["error"][1] or "overloaded" in table["error"][1].lower()
    assert "Bad row" in table["error"][2]
    assert table["error"][[0, 3, 4, 5]].isna().all()
    assert all(table["answer"][i].strip() for i in (0, 3, 4, 5))
    assert len(sent_since(server, mark)) == table["attempts"].sum() == 10
    assert elapsed >= 0.3  # the Retry-After was honoured before row 0 went again


def test_faults_under_concurrency_the_server_saw_exactly_the_attempts(
    home: Workspace, server: OfflineServer
) -> None:
    faults = [
        Fault("status", status=500, times=3),
        Fault("status", status=429, retry_after=0.05, times=2),
        Fault("status", status=503, times=1),
        Fault("drop", after_tokens=1, times=2),
        Fault("inband_error", after_tokens=2, retry_after=0.01, times=2),
        Fault("malformed", after_tokens=1),
    ]
    server.inject(*faults)
    mark = len(server.requests)
    table = batch(prompts(30), workspace=home, concurrency=8, retries=20, max_completion_tokens=12)
    assert list(table["prompt"]) == prompts(30)
    assert set(table["status"]) == {"done"} and table["error"].isna().all()
    assert len(sent_since(server, mark)) == table["attempts"].sum() == 30 + 11


def test_the_error_budget_is_never_exceeded(home: Workspace, server: OfflineServer) -> None:
    # A small budget on this workspace (5 failures per 0.5 s) so the test need not wait 30 s.
    _BUDGETS[home] = budget = FailureBudget(limit=5, window=0.5)
    server.inject(Fault("status", status=500, times=40))
    table = batch(prompts(12), workspace=home, concurrency=8, retries=5, max_completion_tokens=8)
    assert set(table["status"]) <= {"done", "error"}
    failed = sorted(e.finished or 0 for e in home.log().entries() if e.status == "error")
    assert len(failed) >= 30  # it really was failing hard
    worst = max(sum(1 for f in failed if end - 0.5 < f <= end) for end in failed)
    assert worst <= 5 and budget.most_in_window <= 5


def test_concurrency_is_bounded_and_used(home: Workspace, server: OfflineServer) -> None:
    server.inject(Fault("delay", seconds=0.01, times=12))

    async def main() -> BatchRun:
        run = batch(prompts(12), workspace=home, concurrency=3, max_completion_tokens=20)
        await run
        return run

    run = asyncio.run(main())
    assert run.peak_in_flight == 3


# -- the cache: re-runs are free, interrupted runs resume ---------------------------------------


def test_a_second_run_sends_nothing_and_returns_the_same_table(
    home: Workspace, server: OfflineServer
) -> None:
    first = batch(prompts(10), workspace=home, max_completion_tokens=20)
    mark = len(server.requests)
    second = batch(prompts(10), workspace=home, max_completion_tokens=20)
    assert sent_since(server, mark) == []
    assert second[SAME].equals(first[SAME])
    assert second["cached"].all() and (second["attempts"] == 0).all()
    # cache=False sends again; a different parameter is a different request.
    batch(prompts(2), workspace=home, max_completion_tokens=20, cache=False)
    batch(prompts(2), workspace=home, max_completion_tokens=21)
    assert len(sent_since(server, mark)) == 4


def test_an_interrupted_batch_resumes_where_it_stopped(
    home: Workspace, server: OfflineServer
) -> None:
    server.inject(Fault("delay", seconds=0.02, times=100))

    async def main() -> Any:
        run = batch(prompts(12), workspace=home, concurrency=2, max_completion_tokens=30)
        watch = Watch(run, 4)
        run.displays.append(watch)  # type: ignore[arg-type]
        await asyncio.wait_for(watch.reached.wait(), 120)
        run.stop()
        return await run

    stopped = asyncio.run(main())
    server.clear_faults()
    done = list(stopped["status"] == "done")
    assert 4 <= sum(done) < 12 and set(stopped["status"]) == {"done", "stopped"}
    interrupted = [e for e in home.log().entries() if e.status == "interrupted"]
    assert 1 <= len(interrupted) <= 2  # the rows in flight when Stop came
    mark = len(server.requests)
    resumed = batch(prompts(12), workspace=home, concurrency=2, max_completion_tokens=30)
    assert len(sent_since(server, mark)) == 12 - sum(done)  # only what had not finished
    assert set(resumed["status"]) == {"done"}
    assert list(resumed["cached"]) == done
    kept = stopped[stopped["status"] == "done"]
    assert resumed.loc[kept.index, "answer"].equals(kept["answer"])


def test_retry_failed_redoes_only_what_failed(home: Workspace, server: OfflineServer) -> None:
    server.inject(Fault("status", status=400, message="not now", times=3))

    async def main() -> tuple[Any, Any, int]:
        run = batch(prompts(8), workspace=home, concurrency=1, max_completion_tokens=10)
        failed = (await run).copy()
        mark = len(server.requests)
        again = await run.retry_failed()
        return failed, again, len(server.requests) - mark

    failed, again, resent = asyncio.run(main())
    assert list(failed["status"]) == ["error"] * 3 + ["done"] * 5
    assert resent == 3 and set(again["status"]) == {"done"}
    assert again["answer"][3:].equals(failed["answer"][3:])


# -- bad input: a specific message, nothing sent ----------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda h: batch(pd.DataFrame({"text": ["a"]}), template="{txt}", workspace=h),
         r"template: '\{txt\}' .*a placeholder naming a column: text.*Row 0 has no 'txt'"),
        (lambda h: batch([], workspace=h), r"prompts: \[\] .*at least one prompt"),
        (lambda h: batch(pd.DataFrame({"text": []}), template="{text}", workspace=h),
         "at least one row"),
        (lambda h: batch(["ok", 42], workspace=h), r"prompts\[1\]: 42 .*a string \(the prompt\)"),
        (lambda h: batch(["ok", "  "], workspace=h), "not blank"),
        (lambda h: batch("one prompt", workspace=h), "venice_jupyter.chat"),
        (lambda h: batch(["a"], concurrency=0, workspace=h),
         r"concurrency: 0 .*a whole number from 1 to 20"),
        (lambda h: batch(["a"], concurrency=-3, workspace=h), "concurrency: -3"),
        (lambda h: batch(["a"], concurrency=True, workspace=h), "concurrency: true"),
        (lambda h: batch(["a"], concurrency=64, workspace=h), "error budget|failed requests"),
        (lambda h: batch(["a"], retries=-1, workspace=h), "retries"),
        (lambda h: batch(["a", "b"], temperature=9, workspace=h), "temperature"),
        (lambda h: batch(["a"], images=[PNG, PNG], workspace=h), "one entry"),
        (lambda h: batch(pd.DataFrame({"a": ["x"], "b": ["y"]}), workspace=h), "template"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_before_anything_is_sent(
    home: Workspace, server: OfflineServer, call: Any, match: str
) -> None:
    mark = len(server.requests)
    with pytest.raises(ParameterError, match=match):
        call(home)
    assert sent_since(server, mark) == []


def test_one_bad_row_among_many_names_the_row(home: Workspace, server: OfflineServer) -> None:
    frame = pd.DataFrame({"n": [1, 2, 3]}, index=["x", "y", "z"])
    mark = len(server.requests)
    with pytest.raises(
        ParameterError, match=r"Row 'x': placeholder \{n.real.nope\}.*Nothing was sent"
    ):
        batch(frame, template="{n.real.nope}", workspace=home)
    assert sent_since(server, mark) == []


# -- cost before spending -----------------------------------------------------------------------


def test_a_dry_run_returns_the_requests_and_an_estimate(
    home: Workspace, server: OfflineServer
) -> None:
    batch(prompts(2), workspace=home, max_completion_tokens=50)  # these two are now cached
    mark = len(server.requests)
    dry = batch(prompts(5), workspace=home, max_completion_tokens=50, dry_run=True)
    assert sent_since(server, mark) == []
    assert isinstance(dry, DryRun) and dry.cached == [True, True, False, False, False]
    assert [b["messages"][-1]["content"] for b in dry.requests] == prompts(5)[2:]
    est = dry.estimate
    assert (est.requests, est.cached, est.completion_tokens) == (3, 2, 150)
    assert est.prompt_tokens == sum(len(p) // 4 + 4 for p in prompts(5)[2:])
    info = home.session().catalog().resolve("venice-offline")  # type: ignore[union-attr]
    assert info.pricing is not None
    expected = (est.prompt_tokens * info.pricing.input.usd + 150 * info.pricing.output.usd) / 1e6
    assert est.cost_usd == pytest.approx(expected)
    assert "3 requests" in str(est) and "2 answered from the cache" in str(est)


def test_a_costly_batch_asks_first(home: Workspace, server: OfflineServer) -> None:
    home.settings.batch_confirm_usd = 0.0  # anything that costs at all is "costly"
    mark = len(server.requests)
    with pytest.raises(
        ParameterError, match=r"batch_confirm_usd=\$0.*confirm=True.*Nothing was"
    ) as e:
        batch(prompts(3), workspace=home, max_completion_tokens=10)
    assert "..." not in str(e.value) and "≤30 completion tokens" in str(e.value)  # said whole
    assert sent_since(server, mark) == []
    table = batch(prompts(3), workspace=home, max_completion_tokens=10, confirm=True)
    assert set(table["status"]) == {"done"} and len(sent_since(server, mark)) == 3
    # Answered from the cache, nothing is left to pay for: no question asked.
    assert set(batch(prompts(3), workspace=home, max_completion_tokens=10)["cached"]) == {True}


# -- plain Python and async code ------------------------------------------------------------------


def test_in_a_running_loop_batch_schedules_tasks_and_never_runs_a_loop_itself(
    home: Workspace,
) -> None:
    async def main() -> Any:
        # Why the two paths: a loop of one's own cannot run inside a running one.
        blocked = asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="running event loop"):
            asyncio.run(blocked)
        blocked.close()
        run = batch(prompts(3), workspace=home, max_completion_tokens=10)
        assert isinstance(run, BatchRun) and run.running and not run.done  # returned at once
        table = await run
        assert run.done
        return table, await abatch(prompts(3), workspace=home, max_completion_tokens=10)

    table, again = asyncio.run(main())
    assert set(table["status"]) == {"done"} and again["cached"].all()


def test_plain_python_gets_the_table_and_a_progress_line(
    server: OfflineServer, tmp_path: Path
) -> None:
    script = (
        "import venice_jupyter\n"
        "table = venice_jupyter.batch(['Hi.', 'Bye.'], max_completion_tokens=5)\n"
        "print(type(table).__name__, list(table['status']))\n"
    )
    env = {**os.environ, "VENICE_BASE_URL": server.base_url, "VENICE_API_KEY": TEST_KEY,
           "VENICE_JUPYTER_LOG": str(tmp_path / "log.sqlite3"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "DataFrame ['done', 'done']"
    assert done.stderr.startswith("batch 2/2") and "spent" in done.stderr


def test_the_top_level_name_is_the_function() -> None:
    # The package is venice_jupyter.batching: a subpackage named batch would replace this
    # attribute with itself the moment it is imported.
    import venice_jupyter.batching

    assert venice_jupyter.batch is batch and venice_jupyter.abatch is abatch


# -- progress ---------------------------------------------------------------------------------


def test_the_throttle_bounds_redraws_and_never_loses_the_last() -> None:
    async def main() -> tuple[list[float], int, float]:
        shown: list[float] = []
        last = asyncio.Event()

        def show() -> None:
            shown.append(time.monotonic())
            last.set()

        throttle = Throttle(show, per_second=20)
        start = time.monotonic()
        for i in range(20_000):
            throttle.ping()
            if i % 500 == 0:
                await asyncio.sleep(0)  # let a pending redraw run
        elapsed, during = time.monotonic() - start, len(shown)
        throttle.ping()
        last.clear()
        throttle.ping()  # within the interval of the one before: left to the timer
        await asyncio.wait_for(last.wait(), 10)  # which shows it
        return shown, during, elapsed

    shown, during, elapsed = asyncio.run(main())
    assert 1 <= during <= 20 * elapsed + 1
    gaps = [b - a for a, b in itertools.pairwise(shown)]
    assert min(gaps) >= 0.05 * 0.9  # never faster than 20 a second (timer granularity aside)


def test_the_progress_line_says_what_happened(home: Workspace, server: OfflineServer) -> None:
    server.inject(Fault("status", status=400, message="no"))
    out = io.StringIO()

    async def main() -> BatchRun:
        run = batch(prompts(4), workspace=home, concurrency=1, progress=False,
                    max_completion_tokens=5)  # fmt: skip
        run.displays.append(Throttle(TextProgress(run, out).show, 4))
        await run
        return run

    asyncio.run(main())
    line = out.getvalue()
    assert line.count("\n") == 1  # not a terminal: the last line only
    assert line.startswith("batch 4/4 · 1 errors") and "tokens" in line and "spent" in line
    assert "rate limit: " in line and "requests" in line


def test_ctrl_c_in_plain_python_keeps_finished_rows_and_the_next_call_resumes(
    server: OfflineServer, tmp_path: Path
) -> None:
    log = tmp_path / "log.sqlite3"
    script = (
        "import venice_jupyter\n"
        "venice_jupyter.batch([f'Tell me about oats, part {i}.' for i in range(40)],\n"
        "                     concurrency=2, max_completion_tokens=30)\n"
    )
    env = {**os.environ, "VENICE_BASE_URL": server.base_url, "VENICE_API_KEY": TEST_KEY,
           "VENICE_JUPYTER_LOG": str(log),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip
    server.inject(Fault("delay", seconds=0.03, times=200))
    mark = len(server.requests)
    child = subprocess.Popen([sys.executable, "-c", script], env=env, stderr=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        assert server.wait_for_requests(mark + 8, timeout=120)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode != 0 and "KeyboardInterrupt" in err
    assert "batch stopped:" in err and "call batch() again" in err
    server.clear_faults()
    home = Workspace(VeniceSettings(base_url=server.base_url, log_path=str(log)))
    try:
        finished = [e for e in home.log().entries() if e.status == "complete"]
        assert 4 <= len(finished) < 40
        assert not [e for e in home.log().entries() if e.status == "streaming"]  # all closed
        mark = len(server.requests)
        table = batch([f"Tell me about oats, part {i}." for i in range(40)], workspace=home,
                      concurrency=2, max_completion_tokens=30)  # fmt: skip
        assert set(table["status"]) == {"done"}
        assert len(sent_since(server, mark)) == 40 - len(finished) == (~table["cached"]).sum()
    finally:
        home.close()
