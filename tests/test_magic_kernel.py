"""``%%venice`` in a real IPython kernel against the offline server over loopback HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.kernel import Execution, Kernel, running_kernel, venice_kernel
from venice_jupyter.offline import Fault, OfflineServer

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def kernel(
    venice_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    tmp = tmp_path_factory.mktemp("kernel")
    with venice_kernel(tmp, venice_server.base_url) as k:
        yield k


@pytest.fixture
def k(kernel: Kernel, server: OfflineServer) -> Kernel:
    ex = kernel.execute("%venice reset\n%venice unset temperature top_p seed")
    assert ex.status == "ok", ex.error
    return kernel


def bundle_of(msg: dict[str, Any]) -> dict[str, Any]:
    return msg["content"]["data"]  # type: ignore[no-any-return]


def final_output(ex: Execution) -> dict[str, Any]:
    """The display_data sent after the last clear_output: what the notebook keeps."""
    kept: list[dict[str, Any]] = []
    for m in ex.messages:
        if m["msg_type"] == "clear_output":
            kept = []
        elif m["msg_type"] == "display_data":
            kept.append(m)
    assert len(kept) == 1, [m["msg_type"] for m in ex.messages]
    return kept[0]["content"]  # type: ignore[no-any-return]


def test_cell_streams_then_leaves_one_rich_output(k: Kernel, server: OfflineServer) -> None:
    ex = k.execute("%%venice --seed 5 --max-completion-tokens 120\nTell me about baking bread.")
    assert ex.status == "ok", ex.error
    types = [m["msg_type"] for m in ex.messages]
    first_display = types.index("display_data")
    assert "update_display_data" in types[first_display:]
    ids = {m["content"]["transient"]["display_id"] for m in ex.of_type("update_display_data")}
    displayed = {
        m["content"]["transient"]["display_id"]
        for m in ex.of_type("display_data")
        if "display_id" in m["content"].get("transient", {})
    }
    assert ids <= displayed  # every update targets a display made in this cell
    assert types[-2:] == ["clear_output", "display_data"]
    final = final_output(ex)
    data, meta = final["data"], final["metadata"]["venice"]
    assert data["text/markdown"].strip()
    assert data["text/markdown"] in data["text/plain"]
    assert "venice-footer" in data["text/html"] and "tokens" in data["text/html"]
    assert meta["model"] == "venice-offline" and meta["completion_tokens"] > 0
    assert meta["request"]["seed"] == 5 and meta["request"]["max_completion_tokens"] == 120
    assert meta["complete"] is True
    assert server.requests[-1]["seed"] == 5


def test_conversation_history_across_cells(k: Kernel, server: OfflineServer) -> None:
    assert k.execute("%%venice --max-completion-tokens 20\nFirst question.").status == "ok"
    assert k.execute("%%venice --max-completion-tokens 20\nSecond question.").status == "ok"
    sent = server.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[0]["content"] == "First question." and sent[2]["content"] == "Second question."
    ex = k.execute("%%venice -c other --max-completion-tokens 10\nSeparate thread.")
    assert ex.status == "ok"
    assert [m["role"] for m in server.requests[-1]["messages"]] == ["user"]
    assert k.execute("%%venice --no-history --max-completion-tokens 10\nOne-off.").status == "ok"
    assert len(server.requests[-1]["messages"]) == 1
    assert k.value("len(__import__('venice_jupyter').workspace.current().conversations.get())") == 2


def test_failed_stream_keeps_text_and_conversation_consistent(
    k: Kernel, server: OfflineServer
) -> None:
    assert k.execute("%%venice --max-completion-tokens 10\nHello.").status == "ok"
    server.inject(Fault(kind="drop", after_tokens=5))
    ex = k.execute("%%venice --max-completion-tokens 50\nThis one breaks.")
    assert ex.status == "error" and ex.error is not None
    assert ex.error["ename"] == "UsageError"
    assert "connection" in ex.error["evalue"].lower()
    final = final_output(ex)
    assert final["data"]["text/markdown"]  # the partial text stays visible
    assert "venice-error" in final["data"]["text/html"]
    assert final["metadata"]["venice"]["complete"] is False
    # no orphan user turn: the conversation still has exactly the first exchange
    assert k.value("len(__import__('venice_jupyter').workspace.current().conversations.get())") == 1
    # the next request works and sends a consistent history
    assert k.execute("%%venice --max-completion-tokens 10\nAgain.").status == "ok"
    assert [m["role"] for m in server.requests[-1]["messages"]] == ["user", "assistant", "user"]


def test_interrupt_mid_stream(k: Kernel, server: OfflineServer) -> None:
    server.inject(Fault(kind="delay", seconds=0.05))
    streaming = threading.Event()

    def watch(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "update_display_data" and "venice-waiting" not in str(msg):
            streaming.set()

    result: list[Execution] = []
    runner = threading.Thread(
        target=lambda: result.append(
            k.execute("%%venice --max-completion-tokens 400\nA long answer.", on_message=watch)
        )
    )
    runner.start()
    assert streaming.wait(30), "the stream never started"
    k.interrupt()
    runner.join(30)
    assert result, "the cell did not finish after the interrupt"
    ex = result[0]
    assert ex.error is not None and "Interrupted" in ex.error["evalue"]
    final = final_output(ex)
    assert final["data"]["text/markdown"]  # what was shown is kept
    assert final["metadata"]["venice"]["complete"] is False
    assert k.value("len(__import__('venice_jupyter').workspace.current().conversations.get())") == 0
    assert k.execute("%%venice --max-completion-tokens 5\nStill alive?").status == "ok"


BAD_INPUTS = [
    ("%%venice --temprature 0.5\nhi", "--temperature"),
    ("%%venice --temperature 3\nhi", "temperature: 3"),
    ("%%venice --top-p 1.5\nhi", "top_p"),
    ("%%venice -m no-such-model\nhi", "no-such-model"),
    ("%%venice --json-schema missing_var\nhi", "missing_var"),
    ("bad_schema = 42", None),
    ("%%venice --json-schema bad_schema\nhi", "JSON Schema"),
    ("%%venice\nHello {In.nope}", "In.nope"),
    ("%%venice\n   \n", "cell"),
    ("%%venice -m venice-offline-small --logprobs true\nhi", "logprobs"),
    ("%%venice --image /no/such/file.png\nhi", "/no/such/file.png"),
    ("%venice frobnicate", "frobnicate"),
]


@pytest.mark.parametrize(("code", "needle"), BAD_INPUTS)
def test_bad_input_is_answered_and_nothing_is_sent(
    k: Kernel, server: OfflineServer, code: str, needle: str | None
) -> None:
    before = len(server.requests)
    ex = k.execute(code)
    if needle is None:
        assert ex.status == "ok"
        return
    assert ex.status == "error" and ex.error is not None
    assert ex.error["ename"] == "UsageError", ex.error
    assert needle in ex.error["evalue"], ex.error["evalue"]
    assert "venice_jupyter" not in "".join(ex.error["traceback"])
    assert len(server.requests) == before


def test_dry_run_shows_the_exact_body_and_sends_nothing(k: Kernel, server: OfflineServer) -> None:
    before = len(server.requests)
    ex = k.execute("%%venice --dry-run --temperature 0.3 --web-search on\nWhat is new?")
    assert ex.status == "ok", ex.error
    data = bundle_of(ex.of_type("display_data")[0])
    body = data["application/json"]
    assert body["temperature"] == 0.3
    assert body["venice_parameters"] == {
        "enable_web_search": "on",
        "include_search_results_in_stream": True,
    }
    assert body["messages"][-1] == {"role": "user", "content": "What is new?"}
    assert len(server.requests) == before


def test_out_variable_json_schema_and_interpolation(k: Kernel, server: OfflineServer) -> None:
    code = (
        "topic = 'sourdough'\n"
        "schema = {'type': 'object', 'properties': {'name': {'type': 'string'},"
        " 'rating': {'type': 'integer', 'minimum': 1, 'maximum': 5}},"
        " 'required': ['name', 'rating'], 'additionalProperties': False}"
    )
    assert k.execute(code).status == "ok"
    ex = k.execute("%%venice --json-schema schema -o r\nRate {topic} as JSON {{literal}}.")
    assert ex.status == "ok", ex.error
    assert server.requests[-1]["messages"][-1]["content"] == "Rate sourdough as JSON {literal}."
    assert server.requests[-1]["response_format"]["type"] == "json_schema"
    result = ex.of_type("execute_result")[0]["content"]["data"]["text/plain"]
    assert "'rating'" in result
    assert k.value("type(r).__name__") == "dict"  # -o holds the parsed answer
    assert k.value("sorted(r)") == ["name", "rating"]


def test_line_commands(k: Kernel, tmp_path: Path) -> None:
    assert k.execute("%%venice --max-completion-tokens 8\nHi.").status == "ok"
    for line in ["%venice models", "%venice show", "%venice conversations", "%venice usage",
                 "%venice history", "%venice log", "%venice help", "%venice set temperature=0.4",
                 "%venice use default", "%venice fork copy", "%venice switch default"]:  # fmt: skip
        ex = k.execute(line)
        assert ex.status == "ok", (line, ex.error)
    path = tmp_path / "conv.json"
    assert k.execute(f"%venice export {path}").status == "ok"
    assert k.execute(f"%venice import {path} restored").status == "ok"
    assert (
        k.value(
            "len(__import__('venice_jupyter').workspace.current().conversations.get('restored'))"
        )
        == 1
    )
    assert k.execute("%venice undo").status == "ok"
    ex = k.execute("%venice set temperature=9")
    assert ex.status == "error" and "temperature" in ex.error["evalue"]  # type: ignore[index]


def test_format_text_and_code(k: Kernel, server: OfflineServer) -> None:
    server.inject(Fault(kind="reply", text="## Title\n\n<b>bold?</b> plain & simple\n"))
    ex = k.execute("%%venice --format text --no-history\nAnything.")
    assert ex.status == "ok", ex.error
    html = final_output(ex)["data"]["text/html"]
    assert '<pre class="venice-text"' in html and "## Title" in html and "<h2" not in html
    assert "&lt;b&gt;bold?&lt;/b&gt; plain &amp; simple" in html
    answer = "Here you go:\n\n```python\nprint('hi')\n```\n\nAnd also:\n\n```\nx = 1\n```\n"
    server.inject(Fault(kind="reply", text=answer))
    ex = k.execute("%%venice --format code --no-history\nWrite code.")
    assert ex.status == "ok", ex.error
    payload = ex.reply["content"]["payload"]
    assert payload and payload[0]["source"] == "set_next_input"
    assert payload[0]["text"] == "print('hi')\n\nx = 1"


def test_no_key_for_venice_is_a_clear_message(tmp_path: Path) -> None:
    """Pointed at the real Venice API with no key: a specific message, no request attempted."""
    with running_kernel(tmp_path, VENICE_BASE_URL="https://api.venice.ai/api/v1") as k:
        k.execute("import os; os.environ.pop('VENICE_API_KEY', None)")
        assert k.execute("%load_ext venice_jupyter").status == "ok"
        ex = k.execute("%%venice\nHello?")
        assert ex.error is not None and ex.error["ename"] == "UsageError"
        assert "No Venice API key" in ex.error["evalue"]
        assert "%venice key" in ex.error["evalue"]


def test_json_schema_from_a_pydantic_model_returns_an_instance(k: Kernel) -> None:
    code = (
        "from pydantic import BaseModel, Field\n"
        "class Dish(BaseModel):\n"
        "    name: str\n"
        "    minutes: int = Field(ge=5, le=120)\n"
    )
    assert k.execute(code).status == "ok"
    ex = k.execute("%%venice --json-schema Dish --no-history -o raw\nA dish as JSON.")
    assert ex.status == "ok", ex.error
    assert k.value("type(_).__name__") == "Dish"
    assert 5 <= k.value("_.minutes") <= 120
