"""The fault matrix: every server and network fault, through the magic and through the panel.

Each fault is injected into one offline server and a prompt is sent in the middle of a
conversation, once with ``%%venice`` in a real kernel and once with the control panel
(in-process, on an ``asyncio.run`` loop as in a kernel). For every row both drivers must show a
specific message, retry only what the retry policy allows (counted as requests the server
received), keep text that had already streamed, leave the conversation consistent (no orphan or
duplicated turn; the next request's history alternates user/assistant), release the connection
and then answer the next request normally.

Backoff is shortened to 10-20 ms and ``max_retries`` to 1 (so "retried once, then gives up" is
two requests); the read timeout is 1 s so the timeout rows stay quick. The module prints
``faults survived: n/n`` (visible with ``pytest -s``) and fails if any scenario did not survive.
"""

from __future__ import annotations

import asyncio
import html
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from testkit.kernel import Execution, Kernel, running_kernel
from tests.spec_validator import validate_request
from venice_jupyter.api._retry import RetryPolicy
from venice_jupyter.api._sync import VeniceClient
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.offline.http._faults import SPLIT_UTF8_TEXT, U2028_TEXT
from venice_jupyter.render._markdown import render_markdown
from venice_jupyter.storage._log import ExchangeLog
from venice_jupyter.widgets.panel import Panel
from venice_jupyter.widgets.panel import panel as open_panel
from venice_jupyter.workspace import VeniceSettings, Workspace

pytestmark = pytest.mark.kernel

READ_TIMEOUT = 1.0
RETRY = {"max_retries": 1, "base_delay": 0.01, "max_delay": 0.02}
OPTS = "--seed 11 --max-completion-tokens 30"
FIRST, SECOND, THIRD = "First question.", "Second question.", "Third question."


@dataclass(frozen=True)
class Case:
    name: str
    fault: Fault
    requests: int  # chat requests the server receives for the faulted prompt
    error: str | None = None  # what the user is told; None: the prompt gets its answer
    streamed: int = 0  # content tokens delivered before the fault, which must stay visible
    answer: str | None = None  # the exact answer the fault imposes
    min_seconds: float = 0.0  # Retry-After must be waited for


CASES = [
    Case("429 Retry-After", Fault("status", status=429, retry_after=0.3), 2, min_seconds=0.3),
    Case("429 twice", Fault("status", status=429, retry_after=0, times=2), 2, "API error 429"),
    *[Case(f"{s}", Fault("status", status=s), 2) for s in (500, 502, 503, 504)],
    *[
        Case(f"{s} twice", Fault("status", status=s, times=2), 2, f"Venice API error {s}")
        for s in (500, 502, 503, 504)
    ],
    Case("reset before headers", Fault("reset"), 2),
    Case("reset twice", Fault("reset", times=2), 2, "Could not get a response"),
    Case("drop mid-stream", Fault("drop", after_tokens=3), 1, "was lost mid-reply", 3),
    Case("malformed SSE", Fault("malformed", after_tokens=3), 1, "is not valid JSON", 3),
    Case("in-band error", Fault("inband_error", after_tokens=3), 1, "model is overloaded", 3),
    Case("usage without choices", Fault("usage_no_choices"), 1),
    Case("U+2028 in data", Fault("u2028"), 1, answer=U2028_TEXT),
    Case("UTF-8 split across reads", Fault("split_utf8"), 1, answer=SPLIT_UTF8_TEXT),
    # After a 200 the server has taken the request (and may bill it): not sent again.
    Case("read timeout after 200", Fault("delay", seconds=1.6), 1, "Timed out (read)"),
    Case("never answers", Fault("hang"), 2),
    Case("never answers twice", Fault("hang", times=2), 2, "Timed out (read)"),
]
IDS = [c.name for c in CASES]


# -- shared fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tally() -> Iterator[dict[str, int]]:
    counts = {"ran": 0, "survived": 0}
    yield counts
    print(f"\nfaults survived: {counts['survived']}/{counts['ran']}")
    assert counts["survived"] == counts["ran"], counts


@pytest.fixture(scope="module")
def fault_server() -> Iterator[OfflineServer]:
    server = OfflineServer().start()
    yield server
    server.stop()  # also releases the handlers still hanging on "hang" faults
    for body in server.requests:
        validate_request(body)


@pytest.fixture
def srv(fault_server: OfflineServer) -> Iterator[OfflineServer]:
    fault_server.clear_faults()
    yield fault_server
    fault_server.clear_faults()


def replay(server: OfflineServer, body: dict[str, Any]) -> list[str]:
    """The content deltas a clean run of ``body`` streams (seeded, so the same every time)."""
    with VeniceClient(base_url=server.base_url) as fresh:
        return [d.text for d in fresh.stream(body) if d.kind == "content"]


def roles(body: dict[str, Any]) -> list[str]:
    return [m["role"] for m in body["messages"]]


def alternating(turns: int) -> list[str]:
    return ["user", "assistant"] * turns + ["user"]


def sent_for(
    server: OfflineServer, before: int, case: Case, after: int | None = None
) -> list[dict[str, Any]]:
    """The bodies of the faulted prompt: the right number of attempts, all the same request."""
    sent = server.requests[before:after]
    assert len(sent) == case.requests, (case.name, len(sent))
    assert all(body == sent[0] for body in sent)  # a retry sends exactly the same request
    return sent


def expected_text(server: OfflineServer, body: dict[str, Any], case: Case) -> str:
    """What the user must see after the fault: the streamed prefix, or the whole answer."""
    if case.answer is not None:
        return case.answer
    if case.error is not None and not case.streamed:
        return ""
    tokens = replay(server, body)
    if case.streamed:
        assert len(tokens) > case.streamed  # the fault really cut the answer short
        return "".join(tokens[: case.streamed])
    return "".join(tokens)


# -- the magic in a real kernel --------------------------------------------------------------

# The kernel's clients get the short backoff, through the workspace's retry policy.
KERNEL_SETUP = f"""
%load_ext venice_jupyter
import venice_jupyter
from venice_jupyter.api import RetryPolicy
venice_jupyter.workspace.current().retry = RetryPolicy(**{RETRY!r})
%venice set timeout={READ_TIMEOUT}
"""
# Everything checked about the kernel after a prompt, read in one round trip.
STATE = """(lambda home: {
    "pool": [(c.is_closed(), c.is_idle())
             for c in home.session().client._http._transport._pool.connections],
    "pid": __import__("os").getpid(),
    "turns": len(home.conversations.get()),
    "log": home.log().entries()[-1].status,
})(venice_jupyter.workspace.current())"""


@pytest.fixture(scope="module")
def kernel(
    fault_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    tmp = tmp_path_factory.mktemp("fault-kernel")
    with running_kernel(tmp, VENICE_BASE_URL=fault_server.base_url) as k:
        ex = k.execute(KERNEL_SETUP)
        assert ex.status == "ok", ex.error
        assert k.value("venice_jupyter.workspace.current().session().client.retry.max_retries") == 1
        yield k
        assert k.execute("%venice set timeout=120").status == "ok"  # restored
        assert (
            k.value("venice_jupyter.workspace.current().session().client.config.timeouts.read")
            == 120
        )


def kept_outputs(ex: Execution) -> list[dict[str, Any]]:
    """The display_data a notebook keeps: those after the last clear_output."""
    kept: list[dict[str, Any]] = []
    for m in ex.messages:
        if m["msg_type"] == "clear_output":
            kept = []
        elif m["msg_type"] == "display_data":
            kept.append(m["content"])
    return kept


def established(pid: int, port: int) -> int:
    """The process's open TCP connections to the server (from the OS, not from httpx)."""
    conns = psutil.Process(pid).net_connections(kind="tcp")
    return sum(1 for c in conns if c.raddr and c.raddr.port == port and c.status == "ESTABLISHED")


def kernel_state(k: Kernel, port: int, turns: int, log: str) -> None:
    """The conversation and the log are as expected; no connection is busy with a response,
    and no socket to the server is open outside httpx's pool."""
    state = k.value(STATE.replace("\n", " "))
    assert (state["turns"], state["log"]) == (turns, log)
    assert not [c for c in state["pool"] if not c[0] and not c[1]], state  # none active
    open_in_pool = sum(1 for closed, _ in state["pool"] if not closed)
    assert established(state["pid"], port) == open_in_pool


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_magic_survives(
    kernel: Kernel, srv: OfflineServer, case: Case, tally: dict[str, int]
) -> None:
    tally["ran"] += 1
    k = kernel
    assert k.execute("%venice reset").status == "ok"
    assert k.execute(f"%%venice {OPTS}\n{FIRST}").status == "ok"
    before = len(srv.requests)
    srv.inject(case.fault)
    t0 = time.monotonic()
    ex = k.execute(f"%%venice {OPTS}\n{SECOND}")
    took = time.monotonic() - t0
    sent = sent_for(srv, before, case)
    assert roles(sent[0]) == alternating(1)
    assert took >= case.min_seconds
    text = expected_text(srv, sent[0], case)
    kept = kept_outputs(ex)
    if case.error is None:
        assert ex.status == "ok", ex.error
        assert len(kept) == 1 and kept[0]["data"]["text/markdown"] == text
        meta = kept[0]["metadata"]["venice"]
        assert meta["complete"] is True and meta["completion_tokens"] > 0  # usage arrived
        assert "\ufffd" not in text
    else:
        assert ex.status == "error" and ex.error is not None
        assert ex.error["ename"] == "UsageError", ex.error
        assert case.error in ex.error["evalue"], ex.error["evalue"]
        assert "venice_jupyter" not in "".join(ex.error["traceback"])
        if case.streamed:  # what streamed stays, with the reason under it
            assert len(kept) == 1 and kept[0]["data"]["text/markdown"] == text
            assert "venice-error" in kept[0]["data"]["text/html"]
            assert kept[0]["metadata"]["venice"]["complete"] is False
        else:
            assert kept == []
    # No orphan user turn after an error; the log row says how the exchange ended.
    kernel_state(k, srv.port, 1 if case.error else 2, "error" if case.error else "complete")
    # The next request works and carries a consistent history.
    assert k.execute(f"%%venice --max-completion-tokens 8\n{THIRD}").status == "ok"
    body = srv.requests[-1]
    turns = 1 if case.error else 2
    assert roles(body) == alternating(turns)
    contents = [m["content"] for m in body["messages"][::2]]
    assert contents == ([FIRST, THIRD] if case.error else [FIRST, SECOND, THIRD])
    if case.error is None:
        assert body["messages"][3]["content"] == text
    kernel_state(k, srv.port, turns + 1, "complete")
    tally["survived"] += 1


def test_magic_survives_an_interrupt(
    kernel: Kernel, srv: OfflineServer, tally: dict[str, int]
) -> None:
    tally["ran"] += 1
    k = kernel
    assert k.execute("%venice reset").status == "ok"
    assert k.execute(f"%%venice {OPTS}\n{FIRST}").status == "ok"
    before = len(srv.requests)
    srv.inject(Fault("delay", seconds=0.05))
    streaming = threading.Event()

    def watch(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "update_display_data" and "venice-waiting" not in str(msg):
            streaming.set()

    result: list[Execution] = []
    cell = f"%%venice --seed 11 --max-completion-tokens 400\n{SECOND}"
    runner = threading.Thread(target=lambda: result.append(k.execute(cell, on_message=watch)))
    runner.start()
    assert streaming.wait(30), "the stream never started"
    k.interrupt()
    runner.join(30)
    assert result, "the cell did not end after the interrupt"
    ex = result[0]
    assert len(srv.requests) == before + 1  # an interrupt is never retried
    assert ex.error is not None and ex.error["ename"] == "UsageError"
    assert "Interrupted. The partial answer stays visible" in ex.error["evalue"]
    kept = kept_outputs(ex)
    assert len(kept) == 1
    shown = kept[0]["data"]["text/markdown"]
    full = "".join(replay(srv, srv.requests[before]))
    assert shown and full.startswith(shown) and len(shown) < len(full)
    assert kept[0]["metadata"]["venice"]["complete"] is False
    kernel_state(k, srv.port, 1, "interrupted")
    assert k.execute(f"%%venice --max-completion-tokens 8\n{THIRD}").status == "ok"
    assert roles(srv.requests[-1]) == alternating(1)
    kernel_state(k, srv.port, 2, "complete")
    tally["survived"] += 1


# -- the panel, in-process -------------------------------------------------------------------


@pytest.fixture
def panel(srv: OfflineServer, tmp_path: Path) -> Iterator[Panel]:
    settings = VeniceSettings()
    settings.base_url = srv.base_url
    settings.timeout = READ_TIMEOUT
    settings.log_path = str(tmp_path / "log.sqlite3")
    state = Workspace(settings, retry=RetryPolicy(**RETRY))
    p = open_panel(workspace=state, updates_per_second=100)
    p.controls.controls["seed"].value = 11
    p.controls.controls["max_completion_tokens"].value = 30
    yield p
    state.close()


def active_connections(panel: Panel) -> int:
    pool = panel.workspace.session().aclient._http._transport._pool
    return sum(1 for c in pool.connections if not (c.is_closed() or c.is_idle()))


def panel_status(panel: Panel) -> str:
    return html.unescape(panel.status.value)


def conversation_length(panel: Panel) -> int:
    return len(panel.workspace.conversations.get(panel.conversation.value))


def log_statuses(panel: Panel) -> list[str]:
    return [e.status for e in ExchangeLog(panel.workspace.settings.log_path).entries()]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_panel_survives(
    panel: Panel, srv: OfflineServer, case: Case, tally: dict[str, int]
) -> None:
    tally["ran"] += 1
    seen: dict[str, Any] = {}

    async def flow() -> None:
        assert panel.ask(FIRST) is not None and await panel.wait() is not None
        seen["before"] = len(srv.requests)
        srv.inject(case.fault)
        t0 = time.monotonic()
        assert panel.ask(SECOND) is not None
        seen["reply"] = await panel.wait()
        seen["took"], seen["after"] = time.monotonic() - t0, len(srv.requests)
        seen["status"], seen["output"] = panel_status(panel), panel.output.value
        seen["length"], seen["active"] = conversation_length(panel), active_connections(panel)
        seen["error"] = panel.last_error
        assert panel.ask(THIRD) is not None and await panel.wait() is not None
        seen["active_after"], seen["third"] = active_connections(panel), srv.requests[-1]
        await panel.workspace.session().aclient.aclose()

    asyncio.run(flow())
    sent = sent_for(srv, seen["before"], case, seen["after"])
    assert roles(sent[0]) == alternating(1)
    assert seen["took"] >= case.min_seconds
    text = expected_text(srv, sent[0], case)
    if case.error is None:
        assert seen["error"] is None and seen["status"] == ""
        assert seen["reply"] is not None and seen["reply"].text == text
        assert seen["reply"].timings.attempts == case.requests  # the client's own count
        assert seen["reply"].usage is not None and seen["reply"].usage.completion_tokens > 0
        assert render_markdown(text) in seen["output"] and "venice-footer" in seen["output"]
        assert seen["length"] == 2
    else:
        assert case.error in seen["status"], seen["status"]
        assert "venice-error" in seen["output"] and case.error in html.unescape(seen["output"])
        assert seen["error"] is not None and seen["error"].partial.text == text
        assert seen["error"].partial.timings.attempts == case.requests
        if case.streamed:  # what streamed stays, above the reason
            assert text and render_markdown(text) in seen["output"]
        assert seen["length"] == 1  # no orphan user turn
    assert seen["active"] == 0 and seen["active_after"] == 0
    body = seen["third"]
    turns = 1 if case.error else 2
    assert roles(body) == alternating(turns)
    contents = [m["content"] for m in body["messages"][::2]]
    assert contents == ([FIRST, THIRD] if case.error else [FIRST, SECOND, THIRD])
    assert conversation_length(panel) == turns + 1
    middle = "error" if case.error else "complete"
    assert log_statuses(panel) == ["complete", middle, "complete"]
    tally["survived"] += 1


def test_panel_survives_stop(panel: Panel, srv: OfflineServer, tally: dict[str, int]) -> None:
    tally["ran"] += 1
    panel.controls.controls["max_completion_tokens"].value = 400
    seen: dict[str, Any] = {}

    async def flow() -> None:
        assert panel.ask(FIRST) is not None and await panel.wait() is not None
        seen["before"] = len(srv.requests)
        srv.inject(Fault("delay", seconds=0.05))
        streaming = asyncio.Event()

        def update(change: dict[str, Any]) -> None:
            if "venice-waiting" not in change["new"]:
                streaming.set()

        panel.output.observe(update, names="value")
        task = panel.ask(SECOND)
        assert task is not None
        await asyncio.wait_for(streaming.wait(), 30)
        panel.output.unobserve(update, names="value")
        assert panel.stop()
        assert await panel.wait() is None and task.cancelled()
        seen["status"], seen["output"] = panel_status(panel), panel.output.value
        seen["length"], seen["active"] = conversation_length(panel), active_connections(panel)
        seen["partial"] = panel.last_reply.text if panel.last_reply else ""
        assert panel.ask(THIRD) is not None and await panel.wait() is not None
        seen["third"] = srv.requests[-1]
        await panel.workspace.session().aclient.aclose()

    asyncio.run(flow())
    assert len(srv.requests) == seen["before"] + 2  # the stopped one (never retried), the next
    full = "".join(replay(srv, srv.requests[seen["before"]]))
    shown = seen["partial"]
    assert shown and full.startswith(shown) and len(shown) < len(full)
    assert render_markdown(shown) in seen["output"]  # what streamed stays visible
    assert "Stopped" in seen["status"] and "Stopped." in seen["output"]
    assert seen["length"] == 1 and seen["active"] == 0
    assert roles(seen["third"]) == alternating(1)
    assert log_statuses(panel) == ["complete", "interrupted", "complete"]
    tally["survived"] += 1
