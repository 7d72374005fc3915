"""LoggedSink: the one way every front end logs an exchange, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from venice_jupyter.api._sync import VeniceClient
from venice_jupyter.conversation import Conversation
from venice_jupyter.errors import ConnectionLostError, StreamCancelled, VeniceError
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared, Session
from venice_jupyter.sinks._logged import PROMPT_CHARS, LoggedSink, prompt_text
from venice_jupyter.storage._log import ExchangeLog


class Events:
    """An inner sink that records what reached it."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_start(self, prepared: Prepared) -> None:
        self.seen.append("start")

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        if self.seen[-1] != "delta":
            self.seen.append("delta")

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        pass

    def on_finish(self, reply: Reply) -> None:
        self.seen.append("finish")

    def on_error(self, error: VeniceError) -> None:
        self.seen.append(type(error).__name__)


def session(server: OfflineServer) -> Session:
    return Session(VeniceClient(base_url=server.base_url), model="venice-offline")


def test_a_complete_exchange_is_one_complete_row(server: OfflineServer, tmp_path: Path) -> None:
    log, inner, warnings = ExchangeLog(tmp_path / "log.sqlite3"), Events(), []
    s = session(server)
    conv = Conversation("notes")
    prepared = s.prepare("Tell me about tides.", params={"max_tokens": 12}, conversation=conv)
    reply = s.run(prepared, LoggedSink(inner, log, on_warning=warnings.append))
    (entry,) = log.entries()
    assert (entry.status, entry.conversation, entry.model) == (
        "complete",
        "notes",
        "venice-offline",
    )
    assert entry.prompt == "Tell me about tides." and entry.reply == reply.text != ""
    assert inner.seen == ["start", "delta", "finish"] and warnings == []


def test_a_dropped_stream_is_an_error_row_with_the_text_so_far(
    server: OfflineServer, tmp_path: Path
) -> None:
    log, inner = ExchangeLog(tmp_path / "log.sqlite3"), Events()
    server.inject(Fault("drop", after_tokens=5))
    s = session(server)
    prepared = s.prepare("Tell me about tides.", params={"max_tokens": 40})
    with pytest.raises(ConnectionLostError) as info:
        s.run(prepared, LoggedSink(inner, log, on_warning=print, conversation="(compare)"))
    (entry,) = log.entries()
    assert (entry.status, entry.conversation) == ("error", "(compare)")
    assert info.value.partial is not None and entry.reply == info.value.partial.text != ""
    assert inner.seen == ["start", "delta", "ConnectionLostError"]


def test_a_cancelled_stream_is_an_interrupted_row(server: OfflineServer, tmp_path: Path) -> None:
    log, inner = ExchangeLog(tmp_path / "log.sqlite3"), Events()
    server.inject(Fault("delay", seconds=0.5))  # far slower than the cancel below
    s = session(server)
    prepared = s.prepare("Tell me about tides.", params={"max_tokens": 40})

    async def cancel_after_the_first_text() -> None:
        task = asyncio.create_task(s.arun(prepared, LoggedSink(inner, log, on_warning=print)))
        while "delta" not in inner.seen:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await s.aclient.aclose()

    asyncio.run(cancel_after_the_first_text())
    (entry,) = log.entries()
    assert entry.status == "interrupted" and entry.reply != ""
    assert inner.seen == ["start", "delta", "StreamCancelled"]


def test_a_broken_log_warns_once_and_loses_nothing(server: OfflineServer, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")  # a file where the log's directory should be
    inner, warnings = Events(), []
    s = session(server)
    prepared = s.prepare("Tell me about tides.", params={"max_tokens": 12})
    logged = LoggedSink(inner, ExchangeLog(blocker / "log.sqlite3"), on_warning=warnings.append)
    reply = s.run(prepared, logged)
    assert reply.complete and reply.text
    assert inner.seen == ["start", "delta", "finish"]
    assert len(warnings) == 1 and "not-a-directory" in warnings[0]


def test_no_log_writes_nothing_and_passes_everything_through(server: OfflineServer) -> None:
    inner = Events()
    s = session(server)
    s.run(s.prepare("Hi.", params={"max_tokens": 5}), LoggedSink(inner, None, on_warning=print))
    assert inner.seen == ["start", "delta", "finish"]


def test_an_error_before_start_is_not_logged(tmp_path: Path) -> None:
    log, inner = ExchangeLog(tmp_path / "log.sqlite3"), Events()
    logged = LoggedSink(inner, log, on_warning=print)
    logged.on_error(StreamCancelled("Stopped before it was sent."))
    assert log.entries() == [] and inner.seen == ["StreamCancelled"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("plain text", "plain text"),
        ([{"type": "text", "text": "hi"}], '[{"type": "text", "text": "hi"}]'),
    ],
)
def test_prompt_text(content: Any, expected: str) -> None:
    assert prompt_text({"role": "user", "content": content}) == expected


def test_prompt_text_of_a_huge_image_message_is_cut() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 50_000}}
    assert len(prompt_text({"role": "user", "content": [image]})) == PROMPT_CHARS
