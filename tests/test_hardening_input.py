"""Bad input, everywhere it can come in: the magics (a real kernel), the panel, the Python API.

Every row is answered with a specific message that names what is wrong (the field) and what is
allowed; nothing reaches the server; the magic reports a ``UsageError`` with no frame from the
package; the API raises a ``VeniceError`` subclass. The module prints ``bad inputs answered:
n/n`` (visible with ``pytest -s``) and fails unless every row was answered.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from testkit.kernel import Kernel, venice_kernel
from venice_jupyter import errors as e
from venice_jupyter.api._sync import VeniceClient
from venice_jupyter.offline import OfflineServer
from venice_jupyter.request._params import ChatParams, coerce
from venice_jupyter.session import Session
from venice_jupyter.widgets.compare._compare import compare
from venice_jupyter.widgets.panel import Panel
from venice_jupyter.widgets.panel import panel as open_panel
from venice_jupyter.workspace import VeniceSettings, Workspace

pytestmark = pytest.mark.kernel

TYPED_KEY = "vk-typed-on-the-line-0c1d2e"
POOL = "venice_jupyter.workspace.current().session().client._http._transport._pool.connections"
TOOLS = '[{"type":"function","function":{"name":"f"}}]'
DEEP = "[" * 5000


@dataclass(frozen=True)
class Bad:
    id: str
    input: Any  # a cell for the magic; a callable for the panel and the API
    field: str  # the message must name this
    allowed: str  # and say this about what is allowed


MAGIC = [
    Bad("range high", "%%venice --temperature 3\nhi", "temperature", "a number from 0 to 2"),
    Bad("range top_p", "%%venice --top-p 1.5\nhi", "top_p", "a number from 0 to 1"),
    Bad("range negative", "%%venice --top-k -1\nhi", "top_k", "a whole number ≥ 0"),
    Bad("range zero tokens", "%%venice --max-completion-tokens 0\nhi", "max_completion_tokens",
        "a whole number ≥ 1"),
    Bad("range seed", "%%venice --seed 0\nhi", "seed", "a whole number > 0"),
    Bad("range penalty", "%%venice --frequency-penalty -3\nhi", "frequency_penalty",
        "a number from -2 to 2"),
    Bad("range model cap", "%%venice --max-completion-tokens 99999999\nhi",
        "max_completion_tokens", "at most 8192"),
    Bad("nan", "%%venice --temperature nan\nhi", "temperature", "NaN and infinity"),
    Bad("type number", "%%venice --temperature abc\nhi", "temperature", "a number from 0 to 2"),
    Bad("type whole", "%%venice --max-completion-tokens 1.5\nhi", "max_completion_tokens",
        "a whole number"),
    Bad("type bool", "%%venice --logprobs maybe\nhi", "logprobs", "true/false, yes/no"),
    Bad("choice", "%%venice --reasoning-effort extreme\nhi", "reasoning_effort",
        "one of 'none', 'minimal', 'low'"),
    Bad("choice tool_choice", "%%venice --tool-choice bogus\nhi", "tool_choice",
        "one of 'auto', 'none', 'required'"),
    Bad("magic choice", "%%venice --format yaml\nhi", "--format",
        "choose from 'markdown', 'text', 'code', 'json'"),
    Bad("unknown option", "%%venice --temprature 0.5\nhi", "--temprature",
        "Did you mean --temperature"),
    Bad("unbalanced quotes", '%%venice --system "abc\nhi', "options", "balanced quotes"),
    Bad("cross field", "%%venice --min-temp 1.5 --max-temp 0.5\nhi", "min_temp",
        "a number ≤ max_temp (0.5)"),
    Bad("needs logprobs", "%%venice --top-logprobs 3\nhi", "top_logprobs",
        "only together with logprobs=true"),
    Bad("empty stop", "%%venice --stop '[\"\"]'\nhi", "stop", "1 to 4 non-empty strings"),
    Bad("deep JSON", f"%%venice --stop '{DEEP}'\nhi", "stop", "not valid JSON"),
    Bad("samples", "%%venice --samples 0\nhi", "--samples", "a whole number ≥ 1"),
    Bad("unknown model", "%%venice -m no-such-model\nhi", "model",
        "a model id, trait or alias Venice lists"),
    Bad("unknown compared model", "%%venice --compare venice-offline,nope\nhi", "'nope'",
        "a model id, trait or alias Venice lists"),
    Bad("bad suffix", "%%venice -m 'venice-offline:foo=bar'\nhi", "model",
        "a feature suffix key=value with key one of strip_thinking_response"),
    Bad("no logprobs on small", "%%venice -m venice-offline-small --logprobs true\nhi",
        "logprobs", "logprobs support, which venice-offline-small lacks"),
    Bad("no tools on small", f"%%venice -m venice-offline-small --tools '{TOOLS}'\nhi",
        "tools", "function calling support, which venice-offline-small lacks"),
    Bad("no schema on small", "%%venice -m venice-offline-small --json-schema schema\nhi",
        "response_format", "structured output support, which venice-offline-small lacks"),
    Bad("no effort on small", "%%venice -m venice-offline-small --reasoning-effort high\nhi",
        "reasoning_effort", "reasoning effort support, which venice-offline-small lacks"),
    Bad("schema variable missing", "%%venice --json-schema missing_var\nhi", "--json-schema",
        "the name of a variable holding a JSON Schema dict or a pydantic model, or literal JSON"),
    Bad("schema not a schema", "%%venice --json-schema bad_schema\nhi", "--json-schema",
        "a dict (a JSON Schema) or a pydantic model"),
    Bad("malformed schema",
        "%%venice --response-format '{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}'"
        "\nhi", "response_format.json_schema.schema", "a JSON Schema object"),
    Bad("image path", "%%venice --image /no/such/file.png\nhi", "--image",
        "an existing image file"),
    Bad("image not an image", "%%venice --image {tmp}/notes.txt\nhi", "--image",
        "a PNG, JPEG, GIF or WEBP image"),
    Bad("missing attribute", "%%venice\nHello {bad_schema.nope}", "bad_schema.nope",
        "an attribute or index that exists"),
    Bad("empty cell", "%%venice\n   \n", "cell", "a message: write the prompt below"),
    Bad("huge cell", "%%venice\n" + "x" * 2_000_001, "cell", "at most 2,000,000 characters"),
    Bad("import garbage", "%venice import {tmp}/garbage.json", "not valid JSON",
        "line 1, column 1"),
    Bad("import not UTF-8", "%venice import {tmp}/binary.json", "utf-8",
        "Expected a UTF-8 .json file saved by `%venice export`"),
    Bad("import newer version", "%venice import {tmp}/v99.json", "version", "should be 1"),
    Bad("import wrong document", "%venice import {tmp}/list.json", "the document",
        "should be a JSON object with 'format'"),
    Bad("import bad turn", "%venice import {tmp}/badturn.json", "turns[0].user",
        "should be a user message"),
    Bad("import nested", "%venice import {tmp}/deep.json", "nested too deeply",
        "saved by `%venice export`"),
    Bad("import missing", "%venice import {tmp}/nope.json", "There is no file", "nope.json"),
    Bad("set range", "%venice set temperature=9", "temperature", "a number from 0 to 2"),
    Bad("set unknown", "%venice set nonsense=1", "%venice set", "a request parameter or a setting"),
    Bad("set no value", "%venice set temperature", "%venice set", "KEY=VALUE"),
    Bad("set negative timeout", "%venice set timeout=-5", "timeout",
        "a finite number of seconds > 0"),
    Bad("set timeout text", "%venice set timeout=abc", "timeout",
        "a finite number of seconds > 0"),
    Bad("set zero updates", "%venice set updates_per_second=0", "updates_per_second",
        "a finite number > 0"),
    Bad("set negative history", "%venice set history_turns=-1", "history_turns",
        "a whole number ≥ 0"),
    Bad("set bad URL", "%venice set base_url=notaurl", "base_url", "an http(s) URL"),
    Bad("set bad URL type", "%venice set base_url=ftp://x", "base_url", "an http(s) URL"),
    Bad("key on the line", f"%venice key {TYPED_KEY}", "%venice key", "no argument"),
    Bad("unknown command", "%venice frobnicate", "%venice", "one of: cache, conversations, switch"),
    Bad("use unknown model", "%venice use no-such-model", "model",
        "a model id, trait or alias Venice lists"),
]  # fmt: skip


def _prepare(*args: Any, **kwargs: Any) -> Callable[[OfflineServer], Any]:
    return lambda srv: Session(VeniceClient(base_url=srv.base_url)).prepare(*args, **kwargs)


def _compare(*args: Any, **kwargs: Any) -> Callable[[OfflineServer], Any]:
    async def go(srv: OfflineServer) -> Any:
        session = Session(VeniceClient(base_url=srv.base_url))
        try:
            return compare(*args, session=session, **kwargs)
        finally:
            await session.aclient.aclose()

    return lambda srv: asyncio.run(go(srv))


def _client(**kwargs: Any) -> Callable[[OfflineServer], Any]:
    return lambda srv: VeniceClient(**{"base_url": srv.base_url, **kwargs})


def _const(make: Callable[[], Any]) -> Callable[[OfflineServer], Any]:
    return lambda _srv: make()


NO_SCHEMA = {"type": "json_schema", "json_schema": {"name": "a"}}
API = [
    Bad("ChatParams range", _const(lambda: ChatParams(temperature=3)), "temperature",
        "a number from 0 to 2"),
    Bad("ChatParams type", _const(lambda: ChatParams(temperature="hot")), "temperature",
        "a number from 0 to 2"),
    Bad("ChatParams bool for int", _const(lambda: ChatParams(max_tokens=True)), "max_tokens",
        "a whole number ≥ 1"),
    Bad("ChatParams unknown", _const(lambda: ChatParams(bogus=1)), "bogus",
        "a known parameter name"),
    Bad("ChatParams empty list", _const(lambda: ChatParams(stop=[])), "stop",
        "a list of 1 to 4 non-empty strings"),
    Bad("ChatParams malformed tool", _const(lambda: ChatParams(tools=[{"type": "function"}])),
        "tools[0].function", "a function object"),
    Bad("ChatParams malformed schema", _const(lambda: ChatParams(response_format=NO_SCHEMA)),
        "response_format.json_schema.schema", "a JSON Schema object"),
    Bad("ChatParams nested choice", _const(lambda: ChatParams(reasoning={"effort": "max!"})),
        "reasoning.effort", "one of 'none', 'minimal'"),
    Bad("ChatParams n", _const(lambda: ChatParams(n=0)), "n", "a whole number ≥ 1"),
    Bad("ChatParams nan", _const(lambda: ChatParams(temperature=float("nan"))), "temperature",
        "NaN and infinity"),
    Bad("ChatParams lone surrogate", _const(lambda: ChatParams(user="\ud800")), "user",
        "cannot be sent as UTF-8"),
    Bad("coerce deep JSON", _const(lambda: coerce("tools", DEEP)), "tools", "not valid JSON"),
    Bad("prepare unknown model", _prepare("hi", model="no-such-model"), "model",
        "a model id, trait or alias Venice lists"),
    Bad("prepare capability", _prepare("hi", model="venice-offline-small",
        params=ChatParams(logprobs=True)), "logprobs", "logprobs support"),
    Bad("prepare output cap", _prepare("hi", params={"max_completion_tokens": 10**6}),
        "max_completion_tokens", "at most 8192"),
    Bad("prepare image path", _prepare("hi", images=["/no/such.png"]), "images[0]",
        "a data:image/… URL or an https:// URL"),
    Bad("prepare empty prompt", _prepare("   "), "user", "a non-empty string"),
    Bad("prepare prompt type", _prepare(42), "user", "a non-empty string"),
    Bad("prepare params type", _prepare("hi", params=0.7), "params",
        "a ChatParams or a dict of parameters"),
    Bad("prepare lone surrogate", _prepare("a \udc80 b"), "messages[0].content",
        "valid Unicode text"),
    Bad("prepare bad suffix", _prepare("hi", model="venice-offline:x=1"), "model",
        "a feature suffix key=value"),
    Bad("client URL", _client(base_url="ftp://x"), "base_url", "an http(s) URL"),
    Bad("client URL type", _client(base_url=5), "base_url", "an http(s) URL"),
    Bad("client timeout", _client(timeouts=-1), "timeouts.read",
        "a finite number of seconds > 0"),
    Bad("client timeout type", _client(timeouts="9"), "timeouts", "seconds (a number > 0)"),
    Bad("client key type", _client(api_key=123), "api_key", "the key as a string"),
    Bad("client key with a line break", _client(api_key=TYPED_KEY + "\nx"), "api_key",
        "the key exactly as https://venice.ai/settings/api shows it"),
    Bad("compare concurrency", _compare("hi", concurrency=0), "concurrency",
        "a whole number ≥ 1"),
    Bad("compare one bad model", _compare("hi", ["venice-offline", "nope"]), "model",
        "a model id, trait or alias Venice lists"),
    Bad("compare bad setting", _compare("hi", settings=[{}, {"temperature": 5}]),
        "temperature", "a number from 0 to 2"),
    Bad("compare samples", _compare("hi", samples=0), "samples", "a whole number ≥ 1"),
    Bad("compare two plans", _compare("hi", settings=[{}], samples=2), "compare",
        "at most one of settings, samples and grid"),
]  # fmt: skip


def _touch(**values: Any) -> Callable[[Panel], None]:
    def setup(panel: Panel) -> None:
        for name, value in values.items():
            panel.controls.controls[name].value = value

    return setup


def _small(**values: Any) -> Callable[[Panel], None]:
    def setup(panel: Panel) -> None:
        panel.model.value = "venice-offline-small"
        _touch(**values)(panel)

    return setup


PANEL = [
    Bad("empty prompt", (None, "   "), "message", "Write a message first"),
    Bad("min above max", (_touch(min_temp=1.5, max_temp=0.5), "hi"), "min_temp",
        "a number ≤ max_temp (0.5)"),
    Bad("top_logprobs alone", (_touch(top_logprobs=3), "hi"), "top_logprobs",
        "only together with logprobs=true"),
    Bad("five stops", (_touch(stop="a,b,c,d,e"), "hi"), "stop",
        "a list of 1 to 4 non-empty strings"),
    Bad("logprobs on small", (_small(logprobs=True), "hi"), "logprobs",
        "logprobs support, which venice-offline-small lacks"),
    Bad("effort on small", (_small(reasoning_effort="high"), "hi"), "reasoning_effort",
        "reasoning effort support, which venice-offline-small lacks"),
    Bad("X search unsupported", (_touch(enable_x_search=True), "hi"), "enable_x_search",
        "X search support, which venice-offline lacks"),
    Bad("unknown model", ("open", "no-such-model"), "model",
        "a model id, trait or alias Venice lists"),
]  # fmt: skip


def test_the_table_has_every_kind_of_bad_input() -> None:
    assert len(MAGIC) + len(PANEL) + len(API) >= 30
    assert min(len(MAGIC), len(PANEL), len(API)) >= 8


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def answered() -> Iterator[dict[str, int]]:
    counts = {"ran": 0, "answered": 0}
    yield counts
    print(f"\nbad inputs answered: {counts['answered']}/{counts['ran']}")
    assert counts["answered"] == counts["ran"], counts


@pytest.fixture(scope="module")
def input_server() -> Iterator[OfflineServer]:
    with OfflineServer() as server:
        yield server


def write_files(tmp: Path) -> None:
    version = {"format": "venice-jupyter.conversation", "version": 99, "name": "x", "turns": []}
    bad_turn = {**version, "version": 1, "turns": [{"user": 5, "assistant": {}}]}
    (tmp / "garbage.json").write_text("this is not JSON {{{")
    (tmp / "binary.json").write_bytes(b"\x00\xff\xfe garbage")
    (tmp / "v99.json").write_text(json.dumps(version))
    (tmp / "list.json").write_text("[1, 2]")
    (tmp / "badturn.json").write_text(json.dumps(bad_turn))
    (tmp / "deep.json").write_text(DEEP + "]" * 5000)
    (tmp / "notes.txt").write_text("not an image")


@pytest.fixture(scope="module")
def kernel(
    input_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Kernel, Path]]:
    tmp = tmp_path_factory.mktemp("input-kernel")
    write_files(tmp)
    with venice_kernel(
        tmp, input_server.base_url, "schema = {'type': 'object'}\nbad_schema = 42"
    ) as k:
        yield k, tmp


# -- the magic -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", MAGIC, ids=[b.id for b in MAGIC])
def test_magic_bad_input(
    kernel: tuple[Kernel, Path], input_server: OfflineServer, bad: Bad, answered: dict[str, int]
) -> None:
    answered["ran"] += 1
    k, tmp = kernel
    before = len(input_server.requests)
    ex = k.execute(bad.input.replace("{tmp}", str(tmp)))
    assert ex.status == "error" and ex.error is not None
    assert ex.error["ename"] == "UsageError", ex.error
    message = ex.error["evalue"]
    assert bad.field in message and bad.allowed in message, message
    assert "venice_jupyter" not in "".join(ex.error["traceback"])
    assert TYPED_KEY not in message + ex.stdout + ex.stderr
    assert len(input_server.requests) == before  # nothing was sent
    answered["answered"] += 1


def test_settings_survive_bad_sets_and_hold_no_stray_socket(
    kernel: tuple[Kernel, Path], input_server: OfflineServer
) -> None:
    """After the refused sets the kernel works, and a settings change closes the old client."""
    k, _ = kernel
    assert k.execute("import gc, venice_jupyter").status == "ok"
    defaults = {"timeout": "120.0", "updates_per_second": "10.0", "history_turns": "0"}
    settings = "venice_jupyter.workspace.current().settings"
    shown = k.value(f"{{n: str(getattr({settings}, n)) for n in {list(defaults)!r}}}")
    assert shown == defaults  # every refused set left its setting alone
    pid = k.value("__import__('os').getpid()")
    assert k.execute("gc.disable()").status == "ok"  # only an explicit close frees a socket
    try:
        for temperature in (0.2, 0.4, 0.6):
            assert k.execute(f"%venice set temperature={temperature}").status == "ok"
            assert k.execute("%%venice --max-completion-tokens 4\nhi").status == "ok"
            assert input_server.requests[-1]["temperature"] == temperature
        pool = k.value(f"[c.is_closed() for c in {POOL}]")
        conns = psutil.Process(pid).net_connections(kind="tcp")
        mine = [c for c in conns if c.raddr and c.raddr.port == input_server.port]
        assert len([c for c in mine if c.status == "ESTABLISHED"]) == pool.count(False) == 1
    finally:
        assert k.execute("gc.enable()\n%venice unset temperature").status == "ok"


# -- the panel -----------------------------------------------------------------------------


@pytest.fixture
def panel_state(input_server: OfflineServer) -> Iterator[Workspace]:
    settings = VeniceSettings()
    settings.base_url = input_server.base_url
    settings.log = False
    state = Workspace(settings)
    yield state
    state.close()


@pytest.mark.parametrize("bad", PANEL, ids=[b.id for b in PANEL])
def test_panel_bad_input(
    panel_state: Workspace, input_server: OfflineServer, bad: Bad, answered: dict[str, int]
) -> None:
    answered["ran"] += 1
    setup, prompt = bad.input
    before = len(input_server.requests)
    if setup == "open":
        with pytest.raises(e.ParameterError) as info:
            open_panel(workspace=panel_state, model=prompt)
        message = str(info.value)
    else:
        panel = open_panel(workspace=panel_state, model="venice-offline")
        if setup is not None:
            setup(panel)

        async def send() -> Any:
            return panel.ask(prompt)

        assert asyncio.run(send()) is None  # refused: no task was started
        assert not panel.busy and len(panel.picker.get()) == 0
        message = html.unescape(panel.status.value)
        assert "venice-error" in panel.status.value or "venice-warn" in panel.status.value
    assert bad.field in message and bad.allowed in message, message
    assert len(input_server.requests) == before
    answered["answered"] += 1


# -- the Python API --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", API, ids=[b.id for b in API])
def test_api_bad_input(input_server: OfflineServer, bad: Bad, answered: dict[str, int]) -> None:
    answered["ran"] += 1
    before = len(input_server.requests)
    with pytest.raises(e.VeniceError) as info:
        bad.input(input_server)
    message = str(info.value)
    assert message == info.value.message and type(info.value) is not e.VeniceError
    assert bad.field in message and bad.allowed in message, (bad.id, message)
    assert TYPED_KEY not in message and TYPED_KEY not in repr(info.value)
    assert len(input_server.requests) == before
    answered["answered"] += 1
