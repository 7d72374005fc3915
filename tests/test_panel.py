"""The control panel: in-process against the offline server, then in a real kernel.

In-process tests drive the public methods (``send``/``stop``/``retry``/``clear``/``wait``) from a
coroutine under ``asyncio.run``, as a button handler would on the kernel's loop. Kernel tests
check what a front end sees on iopub (comm_open, the widget view, streamed state updates) and
that other cells run while an answer streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testkit.kernel import Kernel, venice_kernel
from venice_jupyter.errors import ConfigError
from venice_jupyter.ipython._magics import VeniceMagics
from venice_jupyter.ipython._options import parse_cell_line
from venice_jupyter.ipython.commands import run_command
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.render._markdown import render_markdown
from venice_jupyter.request._params import ChatParams
from venice_jupyter.request._template import escape_placeholders, interpolate
from venice_jupyter.widgets.panel import Panel
from venice_jupyter.widgets.panel import panel as open_panel
from venice_jupyter.workspace import VeniceSettings, Workspace

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def state(server: OfflineServer) -> Iterator[Workspace]:
    settings = VeniceSettings()
    settings.base_url = server.base_url
    settings.log = False
    venice = Workspace(settings)
    yield venice
    venice.close()


@pytest.fixture
def panel(state: Workspace) -> Panel:
    return open_panel(workspace=state, updates_per_second=100)


def run(coro: Callable[[], Awaitable[Any]]) -> Any:
    """Drive the panel from a coroutine: the loop is running, as in a kernel."""

    async def main() -> Any:
        return await coro()

    return asyncio.run(main())


def send_now(panel: Panel, prompt: str) -> Any:
    """``panel.send`` with a running loop (for sends that are refused before anything runs)."""

    async def go() -> Any:
        return panel.ask(prompt)

    return asyncio.run(go())


def first_update(panel: Panel) -> asyncio.Event:
    """Set once the output shows streamed text (not the waiting line)."""
    event = asyncio.Event()

    def seen(change: dict[str, Any]) -> None:
        if "venice-waiting" not in change["new"]:
            event.set()

    panel.output.observe(seen, names="value")
    return event


def test_send_streams_answer_footer_and_stats(panel: Panel, server: OfflineServer) -> None:
    panel.controls.controls["temperature"].value = 0.35
    panel.controls.controls["seed"].value = 7
    panel.controls.controls["max_completion_tokens"].value = 40
    before = len(server.requests)

    async def go() -> Any:
        task = panel.ask("Tell me about bread")
        assert task is not None and panel.busy
        assert panel.send_button.disabled and not panel.stop_button.disabled
        return await panel.wait()

    reply = run(go)
    assert reply is panel.last_reply
    assert reply is not None and reply.text
    assert render_markdown(reply.text) in panel.output.value
    assert "venice-footer" in panel.output.value
    for part in ("TTFT", "tok/s", "tokens", "$"):
        assert part in panel.stats.value
    body = server.requests[-1]
    assert len(server.requests) == before + 1
    # exactly the touched controls, nothing the user did not choose (and the conversation's
    # prompt-cache routing key, request/_caching.py)
    assert set(body) == {"model", "messages", "stream", "stream_options", "temperature",
                         "seed", "max_completion_tokens", "prompt_cache_key"}  # fmt: skip
    assert (body["temperature"], body["seed"], body["max_completion_tokens"]) == (0.35, 7, 40)
    assert body["model"] == "venice-offline"
    conversation = panel.workspace.conversations.get(panel.conversation.value)
    assert len(conversation) == 1 and conversation.turns[0].reply is reply
    assert not panel.send_button.disabled and panel.stop_button.disabled


def test_history_and_retry_replace_the_last_exchange(panel: Panel, server: OfflineServer) -> None:
    panel.controls.controls["max_completion_tokens"].value = 12

    async def go() -> None:
        panel.ask("First question.")
        await panel.wait()
        panel.ask("Second question.")
        await panel.wait()
        assert [m["role"] for m in server.requests[-1]["messages"]] == ["user", "assistant", "user"]
        panel.controls.controls["temperature"].value = 0.2  # retry uses the settings shown now
        assert panel.retry() is not None
        await panel.wait()

    run(go)
    conversation = panel.workspace.conversations.get(panel.conversation.value)
    assert [t.user["content"] for t in conversation.turns] == [
        "First question.",
        "Second question.",
    ]
    body = server.requests[-1]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][-1]["content"] == "Second question." and body["temperature"] == 0.2


def test_stop_keeps_the_partial_and_leaves_the_conversation(
    panel: Panel, server: OfflineServer
) -> None:
    panel.controls.controls["max_completion_tokens"].value = 400

    async def go() -> tuple[asyncio.Task[Any], Any]:
        panel.ask("Warm up.")
        await panel.wait()
        server.inject(Fault(kind="delay", seconds=0.05))
        streaming = first_update(panel)
        task = panel.ask("A long answer please.")
        assert task is not None
        await asyncio.wait_for(streaming.wait(), 30)
        assert panel.ask("Another one") is None  # refused while streaming
        assert "still streaming" in panel.status.value
        assert panel.stop()
        reply = await panel.wait()
        return task, reply

    task, reply = run(go)
    assert task.cancelled() and reply is None  # stopped, not run to its end
    partial = panel.last_reply
    assert partial is not None and partial.text and not partial.complete
    assert render_markdown(partial.text) in panel.output.value
    assert "Stopped." in panel.output.value and "Stopped" in panel.status.value
    assert len(panel.workspace.conversations.get(panel.conversation.value)) == 1
    assert not panel.send_button.disabled and panel.stop_button.disabled
    assert not panel.stop()  # nothing runs any more


def test_stop_before_the_first_step_still_settles(panel: Panel) -> None:
    async def go() -> asyncio.Task[Any]:
        task = panel.ask("Hello")
        assert task is not None and panel.stop()
        await panel.wait()
        return task

    assert run(go).cancelled()
    assert "Stopped." in panel.output.value
    assert panel.stop_button.disabled and not panel.send_button.disabled
    assert len(panel.workspace.conversations.get(panel.conversation.value)) == 0


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("touch_logprobs_on_small", "logprobs"),
        ("kernel_default_logprobs_on_small", "logprobs"),
        ("min_temp_above_max_temp", "min_temp"),
        ("empty_prompt", "Write a message"),
    ],
)
def test_bad_input_says_why_and_sends_nothing(
    panel: Panel, server: OfflineServer, setup: str, needle: str
) -> None:
    controls = panel.controls.controls
    prompt = "hi"
    if setup == "touch_logprobs_on_small":
        panel.model.value = "venice-offline-small"
        controls["logprobs"].value = True  # disabled in the UI; code can still touch it
    elif setup == "kernel_default_logprobs_on_small":
        panel.workspace.params = {"logprobs": True}  # as `%venice set logprobs=true`
        panel.workspace.reset_session()
        panel.model.value = "venice-offline-small"
    elif setup == "min_temp_above_max_temp":
        controls["min_temp"].value, controls["max_temp"].value = 1.5, 0.5
    else:
        prompt = "   "
    before = len(server.requests)
    assert send_now(panel, prompt) is None
    assert needle in panel.status.value
    assert len(server.requests) == before
    assert not panel.busy and len(panel.workspace.conversations.get(panel.conversation.value)) == 0


def test_model_change_disables_what_the_model_lacks(panel: Panel) -> None:
    controls, enabled = panel.controls.controls, panel.controls.enabled
    assert not controls["logprobs"].disabled
    assert controls["temperature"].value == 0.8  # venice-offline's published default
    panel.model.value = "venice-offline-small"
    for name in ("logprobs", "top_logprobs"):
        assert controls[name].disabled and enabled[name].disabled
        assert "lacks supportsLogProbs" in controls[name].tooltip
    assert controls["temperature"].value == 1.0 and not enabled["temperature"].value
    assert not controls["enable_web_search"].disabled  # small has web search
    panel.model.value = "venice-offline"
    assert not controls["logprobs"].disabled and controls["temperature"].value == 0.8
    labels = dict((v, k) for k, v in panel.model.options)
    assert labels["venice-offline-small"] == "venice-offline-small · W · $0.02/$0.08"


def test_copy_as_cell_round_trips(panel: Panel) -> None:
    controls = panel.controls.controls
    controls["temperature"].value = 0.35
    controls["top_k"].value = 12
    controls["seed"].value = 99
    controls["stop"].value = "END, ###"
    controls["logprobs"].value = True
    controls["enable_web_search"].value = "auto"
    panel.workspace.params = {"presence_penalty": 0.5}  # a kernel default travels along
    panel.workspace.reset_session()
    panel.picker.new.value = "side"
    panel.system.value = "Be brief; it's 'fine'."
    prompt = 'Rate {topic} as JSON {"a": {"b": 1}} and {{x}}, {}.'
    panel.prompt.value = prompt
    text = panel.copy_as_cell()
    assert panel.cell.value == text and panel.cell.layout.display is None
    line, _, body = text.partition("\n")
    opts = parse_cell_line(VeniceMagics.venice, line.removeprefix("%%venice"))
    assert opts.params == panel.params()
    assert opts.params.get("presence_penalty") == 0.5 and opts.params.get("stop") == ("END", "###")
    assert (opts.model, opts.conversation) == ("venice-offline", "side")
    assert opts.system == "Be brief; it's 'fine'."
    assert interpolate(body, {}) == prompt  # the cell sends the prompt unchanged


def test_copy_as_cell_multiline_system_travels_in_the_conversation(panel: Panel) -> None:
    panel.system.value = "Line one.\nLine two."
    panel.prompt.value = "hi"
    line = panel.copy_as_cell().partition("\n")[0]
    assert "--system" not in line
    assert (
        panel.workspace.conversations.get(panel.conversation.value).system == "Line one.\nLine two."
    )


@given(st.text(alphabet="{}ab_.[]'0:!r x", max_size=30))
def test_escaped_prompt_is_sent_verbatim(text: str) -> None:
    assert interpolate(escape_placeholders(text), {}) == text


def test_conversation_picker_is_shared_but_keeps_its_own_selection(
    panel: Panel, server: OfflineServer
) -> None:
    store = panel.workspace.conversations
    panel.picker.new.value = "  drafts "
    assert panel.conversation.value == "drafts" and "drafts" in store
    assert store.current == "default"  # the magic's current conversation stays
    panel.system.value = "You answer in one line."
    panel.controls.controls["max_completion_tokens"].value = 8

    async def go() -> None:
        panel.ask("Hello")
        await panel.wait()

    run(go)
    assert len(store.get("drafts")) == 1 and len(store.get("default")) == 0
    assert store.get("drafts").system == "You answer in one line."
    assert server.requests[-1]["messages"][0] == {
        "role": "system",
        "content": "You answer in one line.",
    }
    store.get("from-magic")  # made elsewhere: the list refreshes on the next pick
    panel.conversation.value = "default"
    assert panel.system.value == ""  # picking loads that conversation's system prompt
    panel.picker.new.value = "from-magic"
    assert panel.conversation.value == "from-magic"
    assert list(panel.conversation.options) == ["default", "drafts", "from-magic"]


def test_clear_output_then_conversation(panel: Panel) -> None:
    panel.controls.controls["max_completion_tokens"].value = 8

    async def go() -> None:
        panel.ask("Hello")
        await panel.wait()

    run(go)
    conversation = panel.conversation.value
    assert panel.clear()
    assert panel.output.value == "" and panel.stats.value == ""
    assert len(panel.workspace.conversations.get(conversation)) == 1
    panel.forget.value = True
    assert panel.clear()
    assert len(panel.workspace.conversations.get(conversation)) == 0 and not panel.forget.value


def test_buttons_drive_the_same_methods(panel: Panel) -> None:
    panel.controls.controls["max_completion_tokens"].value = 8
    panel.prompt.value = "Hello"

    async def go() -> Any:
        panel.send_button.click()
        assert panel.busy
        return await panel.wait()

    assert run(go) is not None
    panel.copy_button.click()
    assert panel.cell.value.startswith("%%venice -m venice-offline")
    panel.controls.controls["min_temp"].value = 1.9
    panel.controls.controls["max_temp"].value = 0.1
    panel.copy_button.click()  # a bad setting becomes the status line, not a traceback
    assert "min_temp" in panel.status.value


def test_panel_command_and_errors(state: Workspace) -> None:
    p = run_command(state, None, "panel venice-offline-small")
    assert isinstance(p, Panel) and p.model.value == "venice-offline-small"
    assert "Panel" in repr(p)
    with pytest.raises(ConfigError, match="event loop"):
        p.ask("no loop here")
    with pytest.raises(Exception, match="at most one model"):
        run_command(state, None, "panel a b")
    p2 = open_panel(
        workspace=state, model="fastest", params=ChatParams(temperature=0.1), system="S"
    )
    assert p2.model.value == "venice-offline-small"
    assert p2.controls.values() == ChatParams(temperature=0.1) and p2.system.value == "S"


# -- a real kernel ---------------------------------------------------------------------------


PANEL_IMPORT = "from venice_jupyter.widgets.panel import panel as open_panel"


@pytest.fixture(scope="module")
def kernel(
    venice_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    tmp = tmp_path_factory.mktemp("panel-kernel")
    with venice_kernel(tmp, venice_server.base_url, PANEL_IMPORT) as k:
        yield k


@pytest.fixture
def iopub(
    kernel: Kernel, server: OfflineServer, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    """Every iopub message read from now on, whichever cell it belongs to.

    A task started in one cell keeps that cell's parent header, so its widget updates reach the
    client while later cells run; ``Kernel.execute`` skips them, this keeps them.
    """
    seen: list[dict[str, Any]] = []
    original = kernel.client.get_iopub_msg

    def tee(*args: Any, **kwargs: Any) -> dict[str, Any]:
        msg: dict[str, Any] = original(*args, **kwargs)
        seen.append(msg)
        return msg

    monkeypatch.setattr(kernel.client, "get_iopub_msg", tee)
    return seen


def ok(k: Kernel, code: str) -> str:
    ex = k.execute(code)
    assert ex.status == "ok", ex.error
    return ex.stdout


def html_updates(messages: list[dict[str, Any]], comm_id: str) -> list[str]:
    return [
        m["content"]["data"]["state"]["value"]
        for m in messages
        if m["msg_type"] == "comm_msg"
        and m["content"]["comm_id"] == comm_id
        and m["content"]["data"].get("method") == "update"
        and "value" in m["content"]["data"].get("state", {})
    ]


@pytest.mark.kernel
def test_kernel_displays_the_panel_as_widgets(kernel: Kernel) -> None:
    ex = kernel.execute("p = open_panel()\np")
    assert ex.status == "ok", ex.error
    opened = ex.of_type("comm_open")
    assert len(opened) > 20  # layouts, styles, sliders, buttons, the boxes
    names = {m["content"]["data"]["state"]["_model_name"] for m in opened}
    assert {"VBoxModel", "DropdownModel", "FloatSliderModel", "ButtonModel", "HTMLModel"} <= names
    views = [
        m
        for m in ex.of_type("display_data", "execute_result")
        if WIDGET_VIEW in m["content"]["data"]
    ]
    assert len(views) == 1
    assert views[0]["content"]["data"][WIDGET_VIEW]["model_id"] == kernel.value("p.model_id")
    ex = kernel.execute("%venice panel venice-offline-small")
    assert ex.status == "ok", ex.error
    assert any(
        WIDGET_VIEW in m["content"]["data"] for m in ex.of_type("display_data", "execute_result")
    )


@pytest.mark.kernel
def test_kernel_streams_while_other_cells_run(
    kernel: Kernel, server: OfflineServer, iopub: list[dict[str, Any]]
) -> None:
    ok(kernel, "p = open_panel()\np.controls.controls['max_completion_tokens'].value = 40")
    output_id = kernel.value("p.output.model_id")
    server.inject(Fault(kind="delay", seconds=0.03))
    ok(kernel, "t = p.ask('Tell me about bread')")
    out = ok(kernel, "print(not t.done(), 1 + 1)")
    # Ran while the answer was still streaming; how quickly is bench_widgets' to measure.
    assert out.split() == ["True", "2"]
    out = ok(kernel, "r = await p.wait()\n"
                     "conv = p.workspace.conversations.get(p.conversation.value)\n"
                     "print(t.done(), len(r.text) > 0, len(conv))")  # fmt: skip
    assert out.split() == ["True", "True", "1"]
    values = html_updates(iopub, output_id)
    streamed = {v for v in values if "venice-waiting" not in v and "venice-footer" not in v}
    assert len(streamed) >= 3, len(streamed)  # the answer grew in several published steps
    assert "venice-footer" in values[-1]
    assert "TTFT" in kernel.value("p.stats.value")


@pytest.mark.kernel
def test_kernel_stop_from_a_later_cell(
    kernel: Kernel, server: OfflineServer, iopub: list[dict[str, Any]]
) -> None:
    ok(kernel, "p = open_panel()\np.controls.controls['max_completion_tokens'].value = 400")
    before = kernel.value("len(p.workspace.conversations.get(p.conversation.value))")
    server.inject(Fault(kind="delay", seconds=0.05))
    ok(kernel, "import asyncio\nev = asyncio.Event()\n"
               "p.output.observe(lambda c: 'venice-waiting' in c['new'] or ev.set(), 'value')\n"
               "t = p.ask('A long answer please.')")  # fmt: skip
    ok(kernel, "await asyncio.wait_for(ev.wait(), 30)")
    # 400 tokens at 50 ms each could not have finished: a cancelled task proves the stop took.
    out = ok(kernel, "p.stop()\nawait p.wait()\nprint(t.cancelled())")
    assert out.split() == ["True"]
    assert "Stopped." in kernel.value("p.output.value")
    assert kernel.value("len(p.workspace.conversations.get(p.conversation.value))") == before
    assert kernel.value("p.last_reply.text != ''")


@pytest.mark.kernel
def test_kernel_send_button_click_runs_on_the_kernel_loop(kernel: Kernel) -> None:
    ok(kernel, "p = open_panel(prompt='Hello there')\n"
               "p.controls.controls['max_completion_tokens'].value = 8")  # fmt: skip
    button = kernel.value("p.send_button.model_id")
    click = {"comm_id": button, "data": {"method": "custom", "content": {"event": "click"}}}
    kernel.client.shell_channel.send(kernel.client.session.msg("comm_msg", click))
    # the shell handles messages in order: the click has run when this cell starts
    out = ok(kernel, "print(p.task is not None)\nr = await p.wait()\nprint(bool(r and r.text))")
    assert out.split() == ["True", "True"]


def test_without_the_extension_a_panel_is_a_widget_on_the_current_workspace(
    monkeypatch: pytest.MonkeyPatch, server: OfflineServer
) -> None:
    import ipywidgets

    from venice_jupyter import workspace

    home = workspace.Workspace()
    home.settings.base_url = server.base_url
    monkeypatch.setattr(workspace, "_CURRENT", home)
    p = open_panel()
    assert isinstance(p, ipywidgets.VBox) and p.workspace is home
    assert isinstance(ipywidgets.HBox([p]), ipywidgets.HBox)
