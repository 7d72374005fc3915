"""The exchange log: durable rows, honest statuses, no secrets, clear errors. Never in $HOME."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from venice_jupyter.errors import ConfigError, ParameterError
from venice_jupyter.reply import Choice, Cost, Reply, ResponseMeta, Timings, Usage
from venice_jupyter.storage._log import ExchangeLog, default_path, scrub_params

KEY = "vk-THIS-IS-A-FAKE-KEY-0123456789"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME and XDG_DATA_HOME, so nothing can reach the real ones."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("VENICE_JUPYTER_LOG", raising=False)
    return home


@pytest.fixture
def log(tmp_path: Path) -> Iterator[ExchangeLog]:
    opened = ExchangeLog(tmp_path / "logs" / "log.sqlite3")
    yield opened
    opened.close()


def a_reply(text: str = "The answer is 42.") -> Reply:
    return Reply(
        id="chatcmpl-7",
        model="venice-uncensored",
        choices=[Choice(0, content=text, reasoning="thinking…", finish_reason="stop")],
        usage=Usage(prompt_tokens=10, completion_tokens=6, total_tokens=16),
        cost=Cost(usd=0.00042),
        meta=ResponseMeta(request_id="8f00-CDG"),
        timings=Timings(ttfb=0.1, ttft=0.2, total=1.5, attempts=2),
        complete=True,
    )


# -- where the log lives ------------------------------------------------------------------


def test_default_path_under_home(isolated_home: Path) -> None:
    assert default_path() == isolated_home / ".local/share/venice-jupyter/log.sqlite3"


def test_default_path_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "venice-jupyter" / "log.sqlite3"


def test_env_var_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("VENICE_JUPYTER_LOG", str(tmp_path / "mine.db"))
    assert ExchangeLog().path == tmp_path / "mine.db"


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "no"])
def test_env_var_can_turn_the_log_off(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENICE_JUPYTER_LOG", value)
    assert default_path() is None
    assert not ExchangeLog().enabled


def test_file_is_created_lazily_with_its_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "log.sqlite3"
    log = ExchangeLog(path)
    assert log.search() == [] and log.entries() == [] and log.get(1) is None
    assert not path.parent.exists()  # reading an absent log creates nothing
    log.start("default", "m", {}, "hi")
    assert path.is_file()
    log.close()


def test_wal_mode(log: ExchangeLog) -> None:
    log.start("default", "m", {}, "hi")
    assert log.path is not None
    with sqlite3.connect(log.path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- round trip --------------------------------------------------------------------------


def test_round_trip(log: ExchangeLog) -> None:
    row = log.start(
        "research", "venice-uncensored", {"temperature": 0.3}, "What is 6×7?", notebook="nb.ipynb"
    )
    streaming = log.get(row)
    assert streaming is not None
    assert streaming.status == "streaming" and streaming.pid == os.getpid()
    assert streaming.reply == "" and streaming.finished is None
    log.finish(row, a_reply())
    entry = log.get(row)
    assert entry is not None
    assert entry.status == "complete"
    assert (entry.conversation, entry.model, entry.notebook) == (
        "research",
        "venice-uncensored",
        "nb.ipynb",
    )
    assert entry.prompt == "What is 6×7?" and entry.params == {"temperature": 0.3}
    assert entry.reply == "The answer is 42." and entry.reasoning == "thinking…"
    assert entry.finish_reason == "stop" and entry.error is None
    assert entry.usage == Usage(prompt_tokens=10, completion_tokens=6, total_tokens=16)
    assert entry.cost_usd == pytest.approx(0.00042)
    assert entry.timings == Timings(ttfb=0.1, ttft=0.2, total=1.5, attempts=2)
    assert (entry.request_id, entry.completion_id) == ("8f00-CDG", "chatcmpl-7")
    assert entry.finished is not None and entry.finished >= entry.created


def test_reply_without_usage_or_cost(log: ExchangeLog) -> None:
    row = log.start("default", "m", {}, "hi")
    log.finish(row, Reply(choices=[Choice(0, content="hello")]))
    entry = log.get(row)
    assert entry is not None and entry.usage is None and entry.cost_usd is None


@pytest.mark.parametrize("status", ["error", "interrupted"])
def test_fail_keeps_the_partial_text(log: ExchangeLog, status: str) -> None:
    row = log.start("default", "m", {}, "Tell me a story")
    log.fail(row, status, "The connection dropped", "Once upon a ti")
    entry = log.get(row)
    assert entry is not None
    assert (entry.status, entry.error, entry.reply) == (
        status,
        "The connection dropped",
        "Once upon a ti",
    )


def test_fail_rejects_other_statuses(log: ExchangeLog) -> None:
    row = log.start("default", "m", {}, "hi")
    with pytest.raises(ParameterError, match="'error' or 'interrupted'"):
        log.fail(row, "complete", "", "")


def test_start_is_committed_before_the_reply(log: ExchangeLog) -> None:
    log.start("default", "m", {}, "still streaming")
    assert log.path is not None
    with sqlite3.connect(log.path) as other:
        assert other.execute("SELECT status, prompt FROM exchanges").fetchall() == [
            ("streaming", "still streaming")
        ]


def test_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    first = ExchangeLog(path)
    first.finish(first.start("default", "m", {}, "before the restart"), a_reply())
    first.close()
    (entry,) = ExchangeLog(path).entries()
    assert entry.prompt == "before the restart" and entry.status == "complete"


# -- secrets -----------------------------------------------------------------------------


def test_api_key_is_never_stored_in_params(log: ExchangeLog) -> None:
    params = {
        "temperature": 0.7,
        "max_tokens": 100,
        "api_key": KEY,
        "API-KEY": KEY,
        "apiKey": KEY,
        "Authorization": f"Bearer {KEY}",
        "headers": {"Authorization": f"Bearer {KEY}", "X-Api-Key": KEY, "Accept": "json"},
        "clients": [{"client_secret": KEY, "name": "a"}],
        "venice_parameters": {"include_venice_system_prompt": False},
    }
    prompt = f"My key is {KEY}, is that safe?"
    row = log.start("default", "m", params, prompt)
    entry = log.get(row)
    assert entry is not None
    assert entry.params == {
        "temperature": 0.7,
        "max_tokens": 100,
        "headers": {"Accept": "json"},
        "clients": [{"name": "a"}],
        "venice_parameters": {"include_venice_system_prompt": False},
    }
    assert KEY not in repr(entry.params)
    assert entry.prompt == prompt  # the user typed it: stored as given
    assert log.path is not None
    with sqlite3.connect(log.path) as raw:
        (stored,) = raw.execute("SELECT params FROM exchanges").fetchone()
    assert KEY not in stored and "Bearer" not in stored


def test_scrub_params_leaves_the_input_alone() -> None:
    params = {"api_key": KEY, "nested": {"authorization": KEY}}
    assert scrub_params(params) == {"nested": {}}
    assert params["api_key"] == KEY


def test_params_json_cannot_hold_are_stored_as_text(log: ExchangeLog) -> None:
    row = log.start("default", "m", {"stop": ("a", "b"), "when": Path("/x")}, "hi")
    entry = log.get(row)
    assert entry is not None and entry.params == {"stop": ["a", "b"], "when": "/x"}


# -- search --------------------------------------------------------------------------------


def fill(log: ExchangeLog) -> None:
    for prompt, text in [
        ("Explain Python decorators", "A decorator wraps a function."),
        ("Translate 'street' to German", "Straße"),
        ("What is 50% of 8?", "4"),
        ("Name a snake", "A python."),
    ]:
        log.finish(log.start("default", "m", {}, prompt), a_reply(text))


def test_search_newest_first_over_prompt_and_reply(log: ExchangeLog) -> None:
    fill(log)
    assert [e.prompt for e in log.search("PYTHON")] == [
        "Name a snake",  # matched in the reply
        "Explain Python decorators",  # matched in the prompt
    ]


def test_search_folds_unicode_case(log: ExchangeLog) -> None:
    fill(log)
    assert [e.reply for e in log.search("STRASSE")] == ["Straße"]
    assert [e.reply for e in log.search("straße")] == ["Straße"]


def test_search_treats_like_wildcards_literally(log: ExchangeLog) -> None:
    fill(log)
    assert [e.prompt for e in log.search("50%")] == ["What is 50% of 8?"]
    assert log.search("5_%") == [] and log.search("%") != []


def test_empty_search_lists_newest_first_with_a_limit(log: ExchangeLog) -> None:
    fill(log)
    assert [e.prompt for e in log.search(limit=2)] == ["Name a snake", "What is 50% of 8?"]
    assert len(log.search()) == 4 and log.search(limit=0) == []
    assert log.entries()[0].prompt == "Explain Python decorators"  # oldest first


@pytest.mark.parametrize("limit", [-1, 1.5, "3", True])
def test_search_limit_must_be_a_count(log: ExchangeLog, limit: object) -> None:
    with pytest.raises(ParameterError, match="limit"):
        log.search("x", limit=limit)  # type: ignore[arg-type]


# -- interrupted kernels -----------------------------------------------------------------

WRITE_ROW = """
import sys
from venice_jupyter.storage._log import ExchangeLog
log = ExchangeLog(sys.argv[1])
print(log.start("default", "m", {}, "killed mid-stream"), flush=True)
"""


def test_streaming_row_of_a_finished_process_reads_as_interrupted(log: ExchangeLog) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WRITE_ROW, str(log.path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    entry = log.get(int(done.stdout))
    assert entry is not None
    assert entry.status == "interrupted" and entry.prompt == "killed mid-stream"
    assert entry.pid != os.getpid()
    assert [e.status for e in log.search("killed")] == ["interrupted"]


@pytest.mark.skipif(os.name == "nt", reason="process liveness is only checked on POSIX")
def test_streaming_row_of_a_live_process_is_still_streaming(log: ExchangeLog) -> None:
    code = WRITE_ROW + "sys.stdin.read()\n"
    with subprocess.Popen(
        [sys.executable, "-c", code, str(log.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stdin is not None
        row = int(proc.stdout.readline())
        entry = log.get(row)
        assert entry is not None and entry.status == "streaming"
        proc.stdin.close()
        proc.wait(timeout=60)
    entry = log.get(row)
    assert entry is not None and entry.status == "interrupted"


# -- concurrency -----------------------------------------------------------------------------


def test_two_logs_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    first, second = ExchangeLog(path), ExchangeLog(path)
    a = first.start("a", "m", {}, "from the first")
    b = second.start("b", "m", {}, "from the second")
    first.finish(b, a_reply("finished by the first"))
    second.fail(a, "error", "failed by the second", "")
    assert [(e.prompt, e.status) for e in first.entries()] == [
        ("from the first", "error"),
        ("from the second", "complete"),
    ]
    assert [e.id for e in second.entries()] == [a, b]
    first.close()
    second.close()


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite3"
    logs = [ExchangeLog(path) for _ in range(4)]
    errors: list[BaseException] = []

    def work(log: ExchangeLog, n: int) -> None:
        try:
            for i in range(25):
                log.finish(log.start(f"c{n}", "m", {"i": i}, f"prompt {n}-{i}"), a_reply())
                log.search("prompt", limit=5)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(log, n)) for n, log in enumerate(logs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    entries = ExchangeLog(path).entries()
    assert len(entries) == 100 and len({e.id for e in entries}) == 100
    assert {e.status for e in entries} == {"complete"}
    for log in logs:
        log.close()


def test_one_log_shared_by_threads(log: ExchangeLog) -> None:
    def work() -> None:
        for _ in range(20):
            log.start("t", "m", {}, "x")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(log.entries()) == 80


# -- broken files --------------------------------------------------------------------------


def test_corrupt_file_is_a_clear_config_error(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    path.write_bytes(b"this is not a database\x00\xff" * 64)
    log = ExchangeLog(path)
    for call in (
        lambda: log.start("default", "m", {}, "hi"),
        log.search,
        log.entries,
        lambda: log.finish(1, a_reply()),
        lambda: log.fail(1, "error", "x", ""),
    ):
        with pytest.raises(ConfigError) as info:
            call()
        message = str(info.value)
        assert str(path) in message and "file is not a database" in message
        assert "VENICE_JUPYTER_LOG=off" in message and "ExchangeLog.disabled()" in message
    assert path.read_bytes().startswith(b"this is not a database")  # left for the user


def test_unwritable_location_is_a_clear_config_error(tmp_path: Path) -> None:
    # A regular file where a directory should be: fails even for root, unlike chmod.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    log = ExchangeLog(blocker / "log.sqlite3")
    with pytest.raises(ConfigError, match=r"not-a-directory.*VENICE_JUPYTER_LOG=off"):
        log.start("default", "m", {}, "hi")


def test_directory_as_the_log_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be used"):
        ExchangeLog(tmp_path).start("default", "m", {}, "hi")


# -- opting out ------------------------------------------------------------------------------


def test_disabled_log_stores_nothing(tmp_path: Path, isolated_home: Path) -> None:
    log = ExchangeLog.disabled()
    assert not log.enabled and log.path is None
    row = log.start("default", "m", {"api_key": KEY}, "hi")
    assert row == 0
    log.finish(row, a_reply())
    log.fail(row, "error", "x", "partial")
    assert log.search() == [] and log.search("hi") == [] and log.entries() == []
    assert log.get(row) is None
    log.close()
    assert repr(log) == "ExchangeLog.disabled()"
    assert list(isolated_home.iterdir()) == []


def test_disabled_log_still_checks_its_arguments() -> None:
    with pytest.raises(ParameterError):
        ExchangeLog.disabled().fail(0, "done", "", "")
