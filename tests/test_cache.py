"""The exchange log as a response cache, and opening a fresh log from many connections at once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from venice_jupyter.api import VeniceClient
from venice_jupyter.conversation import Conversation
from venice_jupyter.errors import VeniceError
from venice_jupyter.offline import OfflineServer
from venice_jupyter.render import footer_text
from venice_jupyter.reply import Choice, Citation, Cost, Delta, Reply, Timings, ToolCall, Usage
from venice_jupyter.session import Prepared, Session
from venice_jupyter.sinks import LoggedSink, QuietSink
from venice_jupyter.storage import ExchangeLog, ReplyCache, request_key

BODY: dict[str, Any] = {
    "model": "venice-offline",
    "messages": [{"role": "user", "content": "What is 6×7?"}],
    "temperature": 0.2,
    "stream": True,
    "stream_options": {"include_usage": True},
}


@pytest.fixture
def log(tmp_path: Path) -> Iterator[ExchangeLog]:
    opened = ExchangeLog(tmp_path / "log.sqlite3")
    yield opened
    opened.close()


def a_reply(text: str = "42.") -> Reply:
    return Reply(
        id="chatcmpl-1",
        model="venice-offline",
        created=1700000000,
        choices=[
            Choice(
                0,
                text,
                "thinking",
                [ToolCall(0, "call_1", name="calc", arguments="{}")],
                finish_reason="tool_calls",
            ),
            Choice(1, "Forty-two.", finish_reason="stop"),
        ],
        usage=Usage(prompt_tokens=9, completion_tokens=3, total_tokens=12),
        cost=Cost(usd=0.0004, diem=0.1, estimated=True),
        citations=[Citation("A page", "https://example.org/a", date="2024-01-01")],
        venice_parameters={"web_search": False},
        timings=Timings(ttfb=0.1, ttft=0.2, total=0.9, attempts=2),
        complete=True,
    )


def logged(log: ExchangeLog, body: dict[str, Any], reply: Reply | None = None) -> int:
    row = log.start("c", str(body["model"]), {}, "What is 6×7?", body=body)
    if reply is not None:
        log.finish(row, reply)
    return row


# -- the key ------------------------------------------------------------------------------


def test_the_key_is_the_exact_request_not_how_it_is_delivered() -> None:
    plain = {k: v for k, v in BODY.items() if k not in ("stream", "stream_options")}
    assert request_key(BODY) == request_key({**plain, "stream": False}) == request_key(plain)
    assert request_key(BODY) == request_key(dict(reversed(list(BODY.items()))))  # key order
    assert request_key(BODY) != request_key({**BODY, "temperature": 0.3})
    assert request_key(BODY) != request_key({**BODY, "seed": 1})
    assert request_key(BODY, "offline") != request_key(BODY, "https://api.venice.ai/api/v1")


# -- recall ---------------------------------------------------------------------------------


def test_a_complete_reply_is_rebuilt_whole_and_marked_cached(log: ExchangeLog) -> None:
    logged(log, BODY, a_reply())
    got = log.recall(BODY)
    assert got is not None and got.cached and got.complete
    original = a_reply()
    assert got.choices == original.choices  # both choices, the tool call, the finish reasons
    assert (got.text, got.reasoning, got.finish_reason) == ("42.", "thinking", "tool_calls")
    assert (got.id, got.model, got.created) == (original.id, original.model, original.created)
    assert got.usage == original.usage and got.cost == original.cost
    assert got.citations == original.citations
    assert got.venice_parameters == {"web_search": False}
    # How the answer was made, and that no attempt was made now.
    assert (got.timings.ttft, got.timings.total, got.timings.attempts) == (0.2, 0.9, 0)


def test_only_complete_rows_answer_and_the_newest_wins(log: ExchangeLog) -> None:
    assert log.recall(BODY) is None  # nothing logged yet (and no file created)
    assert log.path is not None and not log.path.exists()
    row = logged(log, BODY)  # still streaming
    assert log.recall(BODY) is None
    log.fail(row, "error", "boom", "par")
    assert log.recall(BODY) is None
    logged(log, BODY, a_reply("first"))
    logged(log, BODY, a_reply("second"))
    got = log.recall(BODY)
    assert got is not None and got.text == "second"
    interrupted = logged(log, BODY)
    log.fail(interrupted, "interrupted", "stopped", "")
    got = log.recall(BODY)
    assert got is not None and got.text == "second"


def test_a_row_logged_without_its_body_is_not_a_cache_entry(log: ExchangeLog) -> None:
    log.finish(log.start("c", "venice-offline", {}, "What is 6×7?"), a_reply())
    assert log.recall(BODY) is None


def test_the_scope_keeps_servers_apart(log: ExchangeLog) -> None:
    log.scope = "offline (built-in server)"
    logged(log, BODY, a_reply())
    log.scope = "https://api.venice.ai/api/v1"
    assert log.recall(BODY) is None
    log.scope = "offline (built-in server)"
    assert log.recall(BODY) is not None


def test_recall_many_keeps_input_order_and_gives_each_caller_its_own_reply(
    log: ExchangeLog,
) -> None:
    bodies = [{**BODY, "seed": i} for i in range(1200)]  # more than one query's worth of keys
    for i in range(0, 1200, 3):
        logged(log, bodies[i], a_reply(f"answer {i}"))
    got = log.recall_many([*bodies, bodies[0]])
    assert [r.text if r else None for r in got[:6]] == ["answer 0", None, None, "answer 3", None,
                                                        None]  # fmt: skip
    assert sum(r is not None for r in got) == 401
    first, again = got[0], got[-1]
    assert first is not None and again is not None and first is not again
    first.choices[0].content = "changed"
    assert again.text == "answer 0"


def test_stats_and_clear(log: ExchangeLog) -> None:
    cache = ReplyCache(log)
    assert cache.stats().requests == 0
    logged(log, BODY, a_reply())
    logged(log, BODY, a_reply())
    logged(log, {**BODY, "seed": 3}, a_reply())
    logged(log, {**BODY, "seed": 4})  # started, never finished: no answer to serve
    stats = cache.stats()
    assert (stats.requests, stats.answers) == (2, 3)
    assert stats.cost_usd == pytest.approx(0.0012)
    assert cache.clear() == 3  # the same count `cache stats` showed
    assert cache.stats().requests == 0 and log.recall(BODY) is None
    assert len(log.entries()) == 4  # the history stays


def test_a_hand_edited_row_is_a_miss(log: ExchangeLog) -> None:
    row = logged(log, BODY, a_reply())
    assert log.path is not None
    with sqlite3.connect(log.path) as raw:
        raw.execute("UPDATE exchanges SET extras = '{not json' WHERE id = ?", (row,))
    assert log.recall(BODY) is None


def test_a_log_written_before_the_cache_gets_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as raw:  # the schema of the first release
        raw.execute(
            "CREATE TABLE exchanges (id INTEGER PRIMARY KEY, created REAL NOT NULL, finished "
            "REAL, pid INTEGER NOT NULL, status TEXT NOT NULL, conversation TEXT NOT NULL, "
            "notebook TEXT, model TEXT NOT NULL, params TEXT NOT NULL, prompt TEXT NOT NULL, "
            "reply TEXT NOT NULL DEFAULT '', reasoning TEXT NOT NULL DEFAULT '', finish_reason "
            "TEXT, usage TEXT, cost_usd REAL, timings TEXT, request_id TEXT, completion_id "
            "TEXT, error TEXT)"
        )
        raw.execute(
            "INSERT INTO exchanges (created, pid, status, conversation, model, params, prompt, "
            "reply) VALUES (1, 1, 'complete', 'c', 'm', '{}', 'old prompt', 'old reply')"
        )
    log = ExchangeLog(path)
    assert [e.reply for e in log.entries()] == ["old reply"]
    assert log.recall(BODY) is None
    logged(log, BODY, a_reply())
    assert log.recall(BODY) is not None
    log.close()


# -- opening one fresh file from many connections -------------------------------------------


def test_many_connections_opening_a_fresh_file_at_once_all_succeed(tmp_path: Path) -> None:
    # The set-up (journal mode, table) used to fail with "database is locked" now and then:
    # SQLite does not call the busy handler while switching a file to WAL. Eight connections
    # released together on a fresh file, many times over, must all get through.
    for trial in range(40):
        path = tmp_path / f"fresh-{trial}.sqlite3"
        logs = [ExchangeLog(path) for _ in range(8)]
        barrier = threading.Barrier(len(logs))
        errors: list[BaseException] = []

        def first_write(
            log: ExchangeLog, barrier: threading.Barrier = barrier, errors: list[Any] = errors
        ) -> None:
            barrier.wait()
            try:
                log.finish(logged(log, BODY), a_reply())
            except BaseException as exc:  # collected: a thread's failure must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=first_write, args=(log,)) for log in logs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == [], f"trial {trial}: {errors[0]}"
        assert len(logs[0].entries()) == 8
        for log in logs:
            log.close()


# -- the cache step on the request path -------------------------------------------------------


class ListSink:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.text = ""

    def on_start(self, prepared: Prepared) -> None:
        self.events.append("start")

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        self.events.append(delta.kind)
        self.text += delta.text if delta.kind == "content" else ""

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        self.events.append("retry")

    def on_finish(self, reply: Reply) -> None:
        self.events.append("finish")

    def on_error(self, error: VeniceError) -> None:
        self.events.append("error")


def test_a_repeated_request_is_answered_without_a_call(
    server: OfflineServer, log: ExchangeLog
) -> None:
    session = Session(VeniceClient(base_url=server.base_url))
    cache = ReplyCache(log)
    try:
        first = Conversation("c")
        prepared = session.prepare("Tell me about bread.", conversation=first,
                                   params={"max_completion_tokens": 12, "seed": 4})  # fmt: skip
        assert cache.answer(session, prepared, ListSink()) is None  # a miss does nothing
        mark = len(server.requests)
        sent = session.run(prepared, LoggedSink(QuietSink(), log, on_warning=print))
        assert len(server.requests) == mark + 1 and not sent.cached

        again = Conversation("c")
        repeat = session.prepare("Tell me about bread.", conversation=again,
                                 params={"max_completion_tokens": 12, "seed": 4})  # fmt: skip
        sink = ListSink()
        reply = cache.answer(session, repeat, sink)
        assert len(server.requests) == mark + 1  # no call
        assert reply is not None and reply.cached and cache.hits == 1
        assert reply.text == sent.text and sink.text == sent.text
        assert sink.events[0] == "start" and sink.events[-1] == "finish"
        assert reply.cost is not None and sent.cost is not None
        assert reply.cost.usd == pytest.approx(sent.cost.usd)  # the original cost, kept
        assert len(again) == 1 and again.turns[0].reply.text == sent.text  # recorded as usual
        footer = footer_text(reply)
        assert "cached (no new cost, first cost $" in footer
        assert footer.count("$") == 1  # no new cost shown beside it
    finally:
        session.close()
