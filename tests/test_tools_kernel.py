"""Tools through ``%%venice`` in a real kernel: notebook functions by name, the calls visible
as they run, approval with buttons (clicked on a subshell, as JupyterLab does), failures and
interrupts that leave the conversation valid."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from testkit.kernel import Execution, Kernel, venice_kernel
from venice_jupyter.offline import OfflineServer

pytestmark = pytest.mark.kernel

FUNCTIONS = '''
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny and 24 C in {city}"

def get_time(city: str) -> str:
    """The local time in a city."""
    return "14:05"

def broken(city: str) -> str:
    """Always fails."""
    raise RuntimeError("the service is down")

class NotAFunction:
    pass

def undescribed(x):
    return x

not_callable = 42
'''


@pytest.fixture(scope="module")
def kernel(
    venice_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    with venice_kernel(tmp_path_factory.mktemp("tools"), venice_server.base_url, FUNCTIONS) as k:
        yield k


@pytest.fixture
def k(kernel: Kernel, server: OfflineServer) -> Kernel:
    assert kernel.execute("%venice reset").status == "ok"
    return kernel


def final(ex: Execution) -> dict[str, Any]:
    kept: list[dict[str, Any]] = []
    for m in ex.messages:
        if m["msg_type"] == "clear_output":
            kept = []
        elif m["msg_type"] == "display_data":
            kept.append(m["content"])
    return kept[-1]


HOME = "__import__('venice_jupyter').workspace.current()"


def test_named_functions_run_visibly_and_make_one_turn(k: Kernel, server: OfflineServer) -> None:
    mark = len(server.requests)
    ex = k.execute("%%venice --tools get_weather,get_time --max-completion-tokens 40\n"
                   "What is the weather and the time in Rome?")  # fmt: skip
    assert ex.status == "ok", ex.error
    shown = json.dumps([m["content"] for m in ex.of_type("display_data", "update_display_data")])
    assert "running" in shown and "venice-tool-call" in shown  # visible while it ran
    out = final(ex)
    html, meta = out["data"]["text/html"], out["metadata"]["venice"]
    assert html.count('class="venice-tool-call') == 2 and "Sunny and 24 C in Rome" in html
    assert [t["name"] for t in meta["tools"]] == ["get_weather", "get_time"]
    assert all(t["status"] == "ran" and t["duration_s"] is not None for t in meta["tools"])
    assert "get_weather returned: Sunny" in out["data"]["text/markdown"]
    assert len(server.requests) - mark == 2
    roles = k.value(f"[m['role'] for m in {HOME}.conversations.get().messages()]")
    assert roles == ["user", "assistant", "tool", "tool", "assistant"]
    assert k.execute("%%venice --max-completion-tokens 5\nThanks.").status == "ok"
    ok = k.execute("%venice undo\n%venice undo")
    assert ok.status == "ok" and k.value(f"len({HOME}.conversations.get())") == 0


def test_retry_re_runs_the_whole_tool_turn(k: Kernel, server: OfflineServer) -> None:
    assert k.execute("%%venice --tools get_weather --max-completion-tokens 20\n"
                     "Weather in Oslo?").status == "ok"  # fmt: skip
    first = server.requests[-2]
    assert k.execute("%venice retry").status == "ok"
    assert server.requests[-2] == first  # the first round, exactly as sent
    assert k.value(f"len({HOME}.conversations.get())") == 1


def test_a_failure_goes_back_to_the_model(k: Kernel, server: OfflineServer) -> None:
    ex = k.execute("%%venice --tools broken --tool-choice required --max-completion-tokens 30\n"
                   "Check the weather in Oslo.")  # fmt: skip
    assert ex.status == "ok", ex.error
    assert server.requests[-1]["messages"][-1]["content"].startswith("Error: RuntimeError")
    assert "venice-tool-failed" in final(ex)["data"]["text/html"]


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ("missing_fn", "No variable named 'missing_fn'"),
        ("not_callable", "functions, tool specs"),
        ("NotAFunction", "a function, not a class"),
        ("undescribed", "Give x a type hint"),
    ],
)
def test_bad_tools_are_refused_and_nothing_is_sent(
    k: Kernel, server: OfflineServer, tools: str, message: str
) -> None:
    before = len(server.requests)
    ex = k.execute(f"%%venice --tools {tools}\nHi.")
    assert ex.status == "error" and message in ex.error["evalue"]  # type: ignore[index]
    assert len(server.requests) == before


def test_tools_on_a_model_without_function_calling(k: Kernel, server: OfflineServer) -> None:
    before = len(server.requests)
    ex = k.execute("%%venice -m venice-offline-small --tools get_weather\nWeather?")
    assert ex.status == "error" and "function calling" in ex.error["evalue"]  # type: ignore[index]
    assert len(server.requests) == before


def test_approve_asks_under_the_cell_run_skip_or_always(k: Kernel, server: OfflineServer) -> None:
    cell = ("%%venice --tools get_weather --approve --max-completion-tokens 20\n"
            "Weather in Oslo?")  # fmt: skip
    ex = k.execute(cell, answers=["skip"])
    assert ex.status == "ok", ex.error
    assert ex.prompts == [
        'Run get_weather({"city": "Oslo"})? [r]un, [s]kip, [a]lways run get_weather (Enter skips): '
    ]
    assert server.requests[-1]["messages"][-1]["content"] == "The user declined to run this call."
    assert "venice-tool-skipped" in final(ex)["data"]["text/html"]
    ex = k.execute(cell, answers=[""])  # Enter: nothing runs unless someone says so
    assert ex.status == "ok" and len(ex.prompts) == 1
    assert server.requests[-1]["messages"][-1]["content"] == "The user declined to run this call."
    ex = k.execute(cell, answers=["maybe", "r"])  # asked again, saying what the answers are
    assert ex.status == "ok" and len(ex.prompts) == 2
    assert ex.prompts[1].startswith("Please answer r (run), s (skip) or a (always")
    assert server.requests[-1]["messages"][-1]["content"] == "Sunny and 24 C in Oslo"
    ex = k.execute("%%venice --tools get_weather,get_time --approve --max-completion-tokens 20\n"
                   "Weather and time in Oslo?", answers=["always", "y"])  # fmt: skip
    assert ex.status == "ok" and len(ex.prompts) == 2  # "always" is per function
    ex = k.execute(cell)  # ... and lasts the kernel: the next cell runs get_weather unasked
    assert ex.status == "ok" and ex.prompts == [], ex.error
    assert server.requests[-1]["messages"][-1]["content"] == "Sunny and 24 C in Oslo"
    ex = k.execute("%%venice --tools get_time --approve --max-completion-tokens 20\nTime in Oslo?")
    assert ex.status == "error" and "takes no input" in ex.error["evalue"]  # type: ignore[index]


def test_an_interrupt_during_a_call_leaves_the_conversation_unchanged(
    k: Kernel, server: OfflineServer
) -> None:
    setup = k.execute("import threading\nentered = threading.Event()\n"
                      "def slow(city: str) -> str:\n"
                      "    '''Slow.'''\n"
                      "    entered.set()\n"
                      "    threading.Event().wait(60)\n"
                      "    return 'late'\n")  # fmt: skip
    assert setup.status == "ok"
    before = k.value(f"len({HOME}.conversations.get())")
    inside = threading.Event()

    def watch(msg: dict[str, Any]) -> None:
        shown = msg["msg_type"] in ("display_data", "update_display_data")
        if shown and "· running" in json.dumps(msg["content"], ensure_ascii=False):
            inside.set()

    result: list[Execution] = []
    cell = ("%%venice --tools slow --tool-choice required --max-completion-tokens 20\n"
            "Weather in Oslo?")  # fmt: skip
    runner = threading.Thread(target=lambda: result.append(k.execute(cell, on_message=watch)))
    runner.start()
    assert inside.wait(30), "the call never started"
    k.interrupt()  # from this thread, as the kernel client's own thread is busy reading
    runner.join(30)
    assert result, "the cell did not end after the interrupt"
    ex = result[0]
    assert ex.status == "error" and "Interrupted" in ex.error["evalue"]  # type: ignore[index]
    assert k.value(f"len({HOME}.conversations.get())") == before
    assert k.execute("%%venice --max-completion-tokens 5\nStill there?").status == "ok"


def test_the_panel_runs_tools_and_asks_with_buttons(k: Kernel, server: OfflineServer) -> None:
    setup = k.execute(
        "import asyncio, venice_jupyter\n"
        "p = venice_jupyter.panel(tools=[get_weather], approve=True)\n"
        "p.controls.controls['max_completion_tokens'].value = 20\n"
        "asked = asyncio.Event()\n"
        "p.approval.observe(lambda c: c['new'] and asked.set(), 'children')\n"
        "t = p.ask('Weather in Oslo?')"
    )
    assert setup.status == "ok", setup.error
    assert k.execute("await asyncio.wait_for(asked.wait(), 30)").status == "ok"
    buttons = k.value("[b.description for b in p.approval.children[0].children[1].children]")
    assert buttons == ["Run", "Skip", "Always for this function"]
    run = k.value("p.approval.children[0].children[1].children[0].model_id")
    click = {"comm_id": run, "data": {"method": "custom", "content": {"event": "click"}}}
    k.client.shell_channel.send(k.client.session.msg("comm_msg", click))
    ex = k.execute("r = await p.wait()\nprint(r.text[:60])")
    assert ex.status == "ok", ex.error
    assert "Sunny and 24 C in Oslo" in ex.stdout
    assert server.requests[-1]["messages"][-1]["content"] == "Sunny and 24 C in Oslo"
    assert "venice-tool-ran" in k.value("p.output.value")
    assert k.value("len(p.approval.children)") == 0  # the question is gone
    # "Always for this function" holds for the panel's later questions
    assert k.execute("asked.clear()\nt = p.ask('Weather in Lima?')").status == "ok"
    assert k.execute("await asyncio.wait_for(asked.wait(), 30)").status == "ok"
    always = k.value("p.approval.children[0].children[1].children[2].model_id")
    click = {"comm_id": always, "data": {"method": "custom", "content": {"event": "click"}}}
    k.client.shell_channel.send(k.client.session.msg("comm_msg", click))
    assert k.execute("r = await p.wait()").status == "ok"
    ex = k.execute("asked.clear()\nt = p.ask('Weather in Rome?')\nr = await p.wait()\n"
                   "print(asked.is_set(), r.text[:60])")  # fmt: skip
    assert ex.status == "ok", ex.error
    assert ex.stdout.startswith("False") and "Sunny and 24 C in Rome" in ex.stdout


def test_compare_columns_run_the_tools(k: Kernel, server: OfflineServer) -> None:
    ex = k.execute(
        "import venice_jupyter\n"
        "v = venice_jupyter.compare('Weather in Oslo?', ['venice-offline', "
        "'venice-offline-legacy'], tools=[get_weather], params={'max_completion_tokens': 40})\n"
        "results = await v.wait()\n"
        "print([('Sunny' in r.text) for r in results])"
    )
    assert ex.status == "ok", ex.error
    assert ex.stdout.split() == ["[True,", "True]"]
