"""The compare view: columns side by side on the shared session path, in-process and in a kernel."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import ipywidgets as w
import pytest

from testkit.kernel import Kernel, venice_kernel
from venice_jupyter.api import RateGate
from venice_jupyter.api._async import AsyncVeniceClient
from venice_jupyter.api._sync import VeniceClient
from venice_jupyter.conversation import Conversation
from venice_jupyter.errors import BadRequestError, ConfigError, ParameterError, StreamCancelled
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.reply import Choice, Delta, Reply, ResponseMeta
from venice_jupyter.request import _messages as msg
from venice_jupyter.session import Session
from venice_jupyter.widgets.compare._compare import CompareView, compare
from venice_jupyter.widgets.compare._plan import plan_columns

MODELS = ["venice-offline", "venice-offline-small", "venice-offline-reasoning"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Streams:
    """Counts streams in flight at the client, independently of the view's own bookkeeping."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.spans: list[tuple[float, float]] = []
        self.text_arrived = asyncio.Event()  # set by the first content delta


class CountingClient(AsyncVeniceClient):
    def __init__(self, streams: Streams, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.streams = streams

    def stream(self, body: dict[str, Any], **kwargs: Any) -> Any:
        inner, streams = super().stream(body, **kwargs), self.streams

        class Counted:
            @property
            def reply(self) -> Reply:
                return inner.reply

            async def __aiter__(self) -> AsyncIterator[Delta]:
                streams.now += 1
                streams.peak = max(streams.peak, streams.now)
                start = time.perf_counter()
                try:
                    async for delta in inner:
                        if delta.text:
                            streams.text_arrived.set()
                        yield delta
                finally:
                    streams.now -= 1
                    streams.spans.append((start, time.perf_counter()))

        return Counted()


def run(
    server: OfflineServer, body: Callable[[Session], Awaitable[Any]], streams: Streams | None = None
) -> Any:
    """Run ``body(session)`` on a fresh loop with a session on the offline server."""

    async def main() -> Any:
        client = VeniceClient(base_url=server.base_url)
        aclient = CountingClient(streams or Streams(), config=client.config)
        session = Session(client, aclient)
        try:
            return await body(session)
        finally:
            await aclient.aclose()
            client.close()

    return asyncio.run(main())


async def finished(view: CompareView) -> CompareView:
    await view.wait()
    return view


def sent_since(server: OfflineServer, mark: int) -> list[dict[str, Any]]:
    return server.requests[mark:]


# -- in-process --------------------------------------------------------------------------------


def test_three_models_fill_three_columns(server: OfflineServer) -> None:
    mark = len(server.requests)

    async def body(session: Session) -> CompareView:
        view = compare(
            "Tell me about bread.", MODELS, params={"max_completion_tokens": 180}, session=session
        )
        assert isinstance(view, CompareView) and not view.done  # returned before any answer
        await view.wait()
        return view

    view = run(server, body)
    results = view.results
    assert [r.model for r in results] == MODELS
    assert [r.label for r in results] == MODELS
    assert all(r.status == "done" and r.text.strip() and r.error is None for r in results), [
        (r.status, r.text, r.error) for r in results
    ]
    for r in results:
        assert r.completion_tokens and r.ttft_s is not None and r.tokens_per_s
        assert r.cost_usd is not None and r.finish_reason in ("stop", "length")
        assert r.served_model == r.model and r.params == {"max_completion_tokens": 180}
    assert sorted(b["model"] for b in sent_since(server, mark)) == sorted(MODELS)
    # The widget: a status bar with Stop, then one column per model with header/answer/stats.
    top, body_box = view.children
    assert view.stop_button in top.children
    assert isinstance(body_box, w.HBox) and len(body_box.children) == 3
    assert view.stop_button.disabled
    for column, model in zip(body_box.children, MODELS, strict=True):
        header, answer, stats = column.children
        assert model in header.value
        assert answer.value.strip() and "venice-waiting" not in answer.value
        assert "TTFT" in stats.value and "tok/s" in stats.value and "$" in stats.value
    table = view.table()
    assert [row["model"] for row in table] == MODELS
    assert {"label", "text", "ttft_s", "tokens_per_s", "cost_usd", "finish_reason"} <= set(table[0])
    assert table[0]["text"] == results[0].text
    json.dumps(table)  # plain data
    assert list(view.to_dataframe()["model"]) == MODELS  # pandas is in the test extra
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "pandas", None)  # as if it were not installed
        with pytest.raises(ConfigError, match="pandas"):
            view.to_dataframe()


def test_settings_mode_sends_each_setting(server: OfflineServer) -> None:
    mark = len(server.requests)
    settings = [{"temperature": 0.2}, {"temperature": 1.2, "top_p": 0.8}]

    async def body(session: Session) -> CompareView:
        view = compare(
            "Describe the moon.",
            "venice-offline",
            settings=settings,
            params={"max_completion_tokens": 20},
            session=session,
        )
        return await finished(view)

    view = run(server, body)
    sent = sent_since(server, mark)
    assert sorted(b["temperature"] for b in sent) == [0.2, 1.2]
    assert [b.get("top_p") for b in sorted(sent, key=lambda b: b["temperature"])] == [None, 0.8]
    assert all(b["max_completion_tokens"] == 20 for b in sent)
    assert [r.label for r in view.results] == ["temperature=0.2", "temperature=1.2 · top_p=0.8"]
    assert view.table()[0]["temperature"] == 0.2 and view.table()[0]["top_p"] is None


def test_samples_mode_gives_k_draws(server: OfflineServer) -> None:
    mark = len(server.requests)

    async def body(session: Session) -> tuple[Any, Any]:
        free = await compare(
            "Cooking tips.", samples=3, params={"max_completion_tokens": 20}, session=session
        ).wait()
        seeded = await compare(
            "Cooking tips.",
            samples=3,
            session=session,
            params={"max_completion_tokens": 20, "seed": 7},
        ).wait()
        return free, seeded

    free, seeded = run(server, body)
    assert len(free) == 3 and all(r.status == "done" and r.text for r in free)
    sent = sent_since(server, mark)
    assert [b.get("seed") for b in sent[:3]] == [None] * 3  # unseeded draws
    assert sorted(b["seed"] for b in sent[3:]) == [7, 8, 9]  # one seed per draw
    assert [r.label for r in seeded] == ["seed 7", "seed 8", "seed 9"]
    assert len({r.text for r in seeded}) > 1  # the draws differ


def test_grid_mode_is_the_cartesian_product(server: OfflineServer) -> None:
    mark = len(server.requests)
    grid = {"temperature": [0.2, 0.8, 1.4], "top_p": [0.5, 0.9]}

    async def body(session: Session) -> CompareView:
        view = compare("Stars.", grid=grid, params={"max_completion_tokens": 12}, session=session)
        return await finished(view)

    view = run(server, body)
    expected = set(itertools.product(grid["temperature"], grid["top_p"]))
    assert {(b["temperature"], b["top_p"]) for b in sent_since(server, mark)} == expected
    assert {(r.overrides["temperature"], r.overrides["top_p"]) for r in view.results} == expected
    assert all(r.params["temperature"] == r.overrides["temperature"] for r in view.results)
    assert view.results[0].label == "temperature=0.2 · top_p=0.5"
    grid_box = view.children[1]
    assert isinstance(grid_box, w.GridBox) and len(grid_box.children) == 6
    assert grid_box.layout.grid_template_columns.startswith("repeat(2,")


def test_an_invalid_column_sends_nothing(server: OfflineServer) -> None:
    mark = len(server.requests)

    async def body(session: Session) -> None:
        with pytest.raises(ParameterError, match="no-such-model"):
            compare("Hi.", ["venice-offline", "no-such-model"], session=session)
        with pytest.raises(ParameterError, match="temperature"):
            compare("Hi.", grid={"temperature": [0.5, 9.0]}, session=session)
        with pytest.raises(ParameterError, match="logprobs"):  # the small model lacks logprobs
            compare("Hi.", MODELS, params={"logprobs": True}, session=session)
        with pytest.raises(ParameterError, match="at most one"):
            compare("Hi.", samples=2, grid={"top_p": [0.5]}, session=session)
        assert asyncio.all_tasks() == {asyncio.current_task()}  # no column was launched

    run(server, body)
    assert sent_since(server, mark) == []


def test_a_failing_column_does_not_stop_the_others(server: OfflineServer) -> None:
    server.inject(Fault("status", status=400, message="Bad column on purpose"))

    async def body(session: Session) -> CompareView:
        view = compare("Tides.", MODELS, params={"max_completion_tokens": 180}, session=session)
        return await finished(view)

    view = run(server, body)
    failed = [r for r in view.results if r.status == "error"]
    assert len(failed) == 1 and isinstance(failed[0].error, BadRequestError)
    assert all(r.status == "done" and r.text for r in view.results if r is not failed[0])
    i = view.results.index(failed[0])
    column = view.children[1].children[i]
    assert "Bad column on purpose" in column.children[1].value
    assert "error" in column.children[2].value
    assert view.table()[i]["error"] and view.table()[i]["status"] == "error"


def test_concurrency_bound_is_respected(server: OfflineServer) -> None:
    server.inject(Fault("delay", seconds=0.02, times=4))
    streams = Streams()

    async def body(session: Session) -> CompareView:
        view = compare(
            "Bread.",
            samples=4,
            concurrency=2,
            session=session,
            params={"max_completion_tokens": 15},
        )
        return await finished(view)

    view = run(server, body, streams)
    assert all(r.status == "done" for r in view.results)
    assert streams.peak == 2  # measured at the client
    assert view.peak_in_flight == 2  # and the view agrees


def test_streams_run_concurrently(server: OfflineServer) -> None:
    server.inject(Fault("delay", seconds=0.02, times=4))
    streams = Streams()

    async def body(session: Session) -> CompareView:
        view = compare(
            "Astronomy.",
            samples=4,
            concurrency=4,
            session=session,
            params={"max_completion_tokens": 25},
        )
        await view.wait()
        return view

    view = run(server, body, streams)
    assert all(r.status == "done" for r in view.results)
    assert streams.peak == 4
    # Overlap, not speed (that is bench_widgets' compare_wall_over_slowest): every stream had
    # started before the first one ended.
    assert max(start for start, _ in streams.spans) < min(end for _, end in streams.spans)


def test_stop_cancels_all(server: OfflineServer) -> None:
    server.inject(Fault("delay", seconds=0.2, times=3))
    conversation = Conversation("c")
    streams = Streams()

    async def body(session: Session) -> CompareView:
        view = compare(
            "Moon.",
            MODELS,
            concurrency=2,
            conversation=conversation,
            params={"max_completion_tokens": 50},
            session=session,
        )
        await streams.text_arrived.wait()
        while view.peak_in_flight < 2:  # both running columns have started
            await asyncio.sleep(0.01)
        view.stop_button.click()
        await view.wait()
        return view

    # 0.2 s between events: the columns could not finish by themselves for seconds, so "stopped"
    # (not "done") shows the Stop cancelled them.
    view = run(server, body, streams)
    assert [r.status for r in view.results] == ["stopped"] * 3
    assert all(isinstance(r.error, StreamCancelled) for r in view.results)
    assert "Stopped before it started" in view.children[1].children[2].children[1].value
    assert view.stop_button.disabled and len(conversation) == 0


def test_stop_right_after_start(server: OfflineServer) -> None:
    mark = len(server.requests)

    async def body(session: Session) -> CompareView:
        view = compare("Moon.", MODELS, session=session)
        view.stop()  # before any task ran a step
        return await finished(view)

    view = run(server, body)
    assert [r.status for r in view.results] == ["stopped"] * 3 and view.done
    assert sent_since(server, mark) == []


def test_conversation_is_context_not_recorded(server: OfflineServer) -> None:
    mark = len(server.requests)
    conversation = Conversation("ctx", system="Answer briefly.")
    earlier = Reply(choices=[Choice(0, content="Bread needs flour.")], complete=True)
    conversation.record(msg.user("What does bread need?"), earlier)

    async def body(session: Session) -> CompareView:
        view = compare(
            "And yeast?",
            MODELS[:2],
            conversation=conversation,
            session=session,
            params={"max_completion_tokens": 15},
        )
        return await finished(view)

    view = run(server, body)
    assert all(r.status == "done" for r in view.results)
    for sent in sent_since(server, mark):
        roles = [m["role"] for m in sent["messages"]]
        assert roles == ["system", "user", "assistant", "user"]
        assert sent["messages"][1]["content"] == "What does bread need?"
    assert len(conversation) == 1  # nothing recorded, however many columns


def test_compare_needs_a_running_loop(server: OfflineServer) -> None:
    client = VeniceClient(base_url=server.base_url)
    try:
        with pytest.raises(ConfigError, match="running event loop"):
            compare("Hi.", ["venice-offline"], session=Session(client))
    finally:
        client.close()


def test_rate_gate() -> None:
    now = [1_000_000_000.0]
    gate = RateGate(clock=lambda: now[0])
    gate.note(ResponseMeta(ratelimit_remaining_requests=5, ratelimit_reset_requests=now[0] + 30))
    assert gate.delay() == 0  # plenty left
    gate.note(ResponseMeta(ratelimit_remaining_requests=1, ratelimit_reset_requests=now[0] + 30))
    assert gate.delay() == pytest.approx(30)  # a Unix timestamp
    now[0] += 40
    assert gate.delay() == 0
    gate.note(ResponseMeta(ratelimit_remaining_requests=0, ratelimit_reset_requests=12.5))
    assert gate.delay() == pytest.approx(12.5)  # seconds from now
    gate.note(ResponseMeta(ratelimit_remaining_requests=0, ratelimit_reset_requests=now[0] + 500))
    assert gate.delay() == pytest.approx(60)  # capped
    gate.note(ResponseMeta())  # a server without the headers changes nothing
    assert gate.delay() == pytest.approx(60)


def test_new_starts_wait_when_the_request_budget_is_spent() -> None:
    # 3 requests a minute: after the second, one is left (LOW_REMAINING), so the third waits for
    # the reset (capped at 0.4 s here instead of the window's end).
    streams = Streams()
    with OfflineServer(requests_per_minute=3) as limited:

        async def body(session: Session) -> CompareView:
            view = compare(
                "Hi.",
                samples=3,
                concurrency=1,
                session=session,
                params={"max_completion_tokens": 5},
            )
            view.gate.max_wait = 0.4
            return await finished(view)

        view = run(limited, body, streams)
    assert all(r.status == "done" for r in view.results)
    (_, end2), (start3, _) = streams.spans[1], streams.spans[2]
    third = view.results[2].reply
    assert third is not None
    window_rolled = third.meta.ratelimit_remaining_requests == 2
    assert start3 - end2 >= 0.35 or window_rolled


def test_public_entry_point_and_optional_pandas(
    server: OfflineServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import venice_jupyter

    async def body(session: Session) -> CompareView:
        view = venice_jupyter.compare(
            "Hi.", samples=2, session=session, params={"max_completion_tokens": 5}
        )
        return await finished(view)

    view = run(server, body)
    assert len(view.results) == 2
    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda rows: ("DataFrame", rows)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pandas", fake)
    assert view.to_dataframe() == ("DataFrame", view.table())


def test_plan_columns_labels() -> None:
    cols = plan_columns(["a", "b"], settings=[{"temperature": 0.5}, {}])
    assert [c.label for c in cols] == [
        "a · temperature=0.5",
        "a · (defaults)",
        "b · temperature=0.5",
        "b · (defaults)",
    ]
    with pytest.raises(ParameterError):
        plan_columns(["a"], samples=0)
    with pytest.raises(ParameterError, match="at most 64"):
        plan_columns(["a"], grid={"seed": list(range(1, 100))})


# -- a real kernel -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel(
    venice_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    tmp = tmp_path_factory.mktemp("compare-kernel")
    with venice_kernel(tmp, venice_server.base_url) as k:
        yield k


@pytest.mark.kernel
def test_magic_compare_in_a_kernel(kernel: Kernel, server: OfflineServer) -> None:
    mark = len(server.requests)
    server.inject(Fault("delay", seconds=0.01, times=3))
    ex = kernel.execute(
        "%%venice --compare venice-offline,venice-offline-small,venice-offline-reasoning "
        "--max-completion-tokens 180 --temperature 0.5\nTell me about the moon."
    )
    assert ex.status == "ok", ex.error
    assert ex.of_type("comm_open")
    views = [
        m
        for m in ex.of_type("display_data", "execute_result")
        if WIDGET_VIEW in m["content"]["data"]
    ]
    assert len(views) == 1
    # The cell did not wait for the answers (each takes > 1 s with the delay fault).
    states = kernel.value("[r.status for r in _.results]")
    assert "done" not in states or len(set(states)) > 1, states
    ex = kernel.execute(
        "view = _\n"
        "results = await view.wait()\n"
        "import json, venice_jupyter\n"
        "print(json.dumps([[r.model, r.status, r.text] for r in results]))\n"
        "print(len(venice_jupyter.workspace.current().conversations.get()))",
        timeout=60,
    )
    assert ex.status == "ok", ex.error
    *rows, recorded = ex.stdout.strip().splitlines()
    results = json.loads(rows[-1])
    assert [r[0] for r in results] == MODELS
    assert all(status == "done" and text.strip() for _, status, text in results)
    assert recorded == "0"  # the conversation was context, not recorded
    sent = sent_since(server, mark)
    assert sorted(b["model"] for b in sent) == sorted(MODELS)
    assert all(b["temperature"] == 0.5 and b["max_completion_tokens"] == 180 for b in sent)


@pytest.mark.kernel
def test_magic_samples_in_a_kernel(kernel: Kernel, server: OfflineServer) -> None:
    mark = len(server.requests)
    ex = kernel.execute("%%venice --samples 2 --seed 11 -o draws --max-completion-tokens 10\nHi.")
    assert ex.status == "ok", ex.error
    assert kernel.value("len(await draws.wait())") == 2
    assert sorted(b["seed"] for b in sent_since(server, mark)) == [11, 12]


@pytest.mark.kernel
def test_magic_compare_invalid_model_sends_nothing(kernel: Kernel, server: OfflineServer) -> None:
    mark = len(server.requests)
    ex = kernel.execute("%%venice --compare venice-offline,nope-model\nHi.")
    assert ex.status == "error" and "nope-model" in str(ex.error)
    assert sent_since(server, mark) == []
