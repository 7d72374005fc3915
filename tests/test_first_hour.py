"""What a new user does in the first hour, typed into a real kernel exactly as the docs spell it.

Each test here stands for one item of the trial that found it broken (issue 11): reasoning that
fills the token limit, ``--reasoning``, ``--help``, pasted code and math, web-search sources,
``%venice retry``, ``--n``, tool calls, usage, results into variables, re-run cells, messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from testkit.kernel import Execution, Kernel, venice_kernel
from venice_jupyter.offline import Fault, OfflineServer

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def kernel(
    venice_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    with venice_kernel(tmp_path_factory.mktemp("first-hour"), venice_server.base_url) as k:
        yield k


@pytest.fixture
def k(kernel: Kernel, server: OfflineServer) -> Kernel:
    ex = kernel.execute("%venice reset")
    assert ex.status == "ok", ex.error
    return kernel


def ok(k: Kernel, code: str, **kwargs: Any) -> Execution:
    ex = k.execute(code, **kwargs)
    assert ex.status == "ok", (code, ex.error, ex.stderr)
    return ex


def refused(k: Kernel, code: str) -> str:
    """The message of a cell that must fail with a UsageError (no traceback of ours)."""
    ex = k.execute(code)
    assert ex.status == "error", code
    assert ex.error is not None and ex.error["ename"] == "UsageError", ex.error
    return str(ex.error["evalue"])


def final(ex: Execution) -> dict[str, Any]:
    """The one output a cell leaves (after its last clear_output)."""
    kept: list[dict[str, Any]] = []
    for m in ex.messages:
        if m["msg_type"] == "clear_output":
            kept = []
        elif m["msg_type"] in ("display_data", "execute_result"):
            kept.append(m["content"])
    assert kept, [m["msg_type"] for m in ex.messages]
    return kept[-1]


def turns(k: Kernel, name: str = "") -> int:
    arg = repr(name) if name else ""
    return int(
        k.value(f"len(__import__('venice_jupyter').workspace.current().conversations.get({arg}))")
    )


# -- 1. a reply that is all reasoning ------------------------------------------------------


def test_reasoning_that_fills_the_limit_stays_visible_and_says_so(
    k: Kernel, server: OfflineServer
) -> None:
    before = turns(k)
    ex = ok(
        k, "%%venice -m venice-offline-reasoning --max-completion-tokens 20\nWhy is the sky blue?"
    )
    out = final(ex)
    html, plain = out["data"]["text/html"], out["data"]["text/plain"]
    assert "venice-reasoning" in html and " open" in html  # still visible, and open
    reasoning = out["data"]["application/vnd.venice.reply+json"]["reasoning"]
    assert len(reasoning.split()) > 3  # all of it, not its first word
    assert "still reasoning" in plain and "--max-completion-tokens" in plain
    assert turns(k) == before  # nothing to add: the conversation stays valid
    log = k.value("__import__('venice_jupyter').workspace.current().log().entries()[-1].status")
    assert log == "complete"
    ok(k, "%%venice --max-completion-tokens 5\nAnd now?")  # the next request is fine
    assert [m["role"] for m in server.requests[-1]["messages"]] == ["user"]


# -- 2. --reasoning show|hide|off and the request field ------------------------------------


def test_reasoning_display_option_and_request_field_both_work(
    k: Kernel, server: OfflineServer
) -> None:
    model = "-m venice-offline-reasoning --max-completion-tokens 60"
    hidden = final(ok(k, f"%%venice {model} --reasoning hide\nWhy is the sky blue?"))
    assert "venice-reasoning" not in hidden["data"]["text/html"]
    assert "reasoning_content" not in json.dumps(server.requests[-1])  # display only
    ok(k, f"%%venice {model} --reasoning off\nWhy is the sky blue?")
    assert server.requests[-1]["venice_parameters"]["disable_thinking"] is True
    shown = final(ok(k, f"%%venice {model} --reasoning show\nWhy is the sky blue?"))
    assert "venice-reasoning" in shown["data"]["text/html"]
    ok(k, f'%%venice {model} --reasoning-object \'{{"effort": "low"}}\'\nWhy?')
    assert server.requests[-1]["reasoning"] == {"effort": "low"}
    text = ok(k, "%%venice --help\n").stdout
    assert "--reasoning {show,hide,off}" in text and "--reasoning-object" in text


# -- 3. --help ------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["%%venice --help\n", "%%venice -h\n", "%%venice --help\nHi"])
def test_help_prints_the_whole_reference(k: Kernel, server: OfflineServer, spelling: str) -> None:
    before = len(server.requests)
    text = ok(k, spelling).stdout
    for flag in ("--model", "--temperature", "--max-completion-tokens", "--enable-web-search",
                 "--no-interpolate", "--compare", "--json-schema"):  # fmt: skip
        assert flag in text, flag
    assert "%venice help" in text  # where the line magic's commands are
    assert "\n  %%venice [-m MODEL]" in text  # the usage line names the cell magic
    assert len(server.requests) == before


# -- 4. interpolation ----------------------------------------------------------------------

PASTED = """Fix this:

```python
print(f'{i} items')
```

and `{i}` inline, the JS `${i}`, math $\\frac{x}{i}$ and $$\\sum_{i} a_{i}$$, \\(e^{i}\\),
while {i} in prose is filled and {nothere} is left as written."""


def test_code_and_math_reach_the_model_byte_for_byte(k: Kernel, server: OfflineServer) -> None:
    ok(k, "i = 7")
    ok(k, f"%%venice --max-completion-tokens 5\n{PASTED}")
    sent = server.requests[-1]["messages"][-1]["content"]
    expected = PASTED.replace("while {i} in prose", "while 7 in prose")
    assert sent == expected


def test_interpolation_can_be_turned_off_or_made_strict(k: Kernel, server: OfflineServer) -> None:
    ok(k, "i = 7")
    ok(k, "%%venice --no-interpolate --max-completion-tokens 5\nKeep {i} as it is.")
    assert server.requests[-1]["messages"][-1]["content"] == "Keep {i} as it is."
    ok(k, "%venice set interpolate=false")
    ok(k, "%%venice --max-completion-tokens 5\nKeep {i} too.")
    assert server.requests[-1]["messages"][-1]["content"] == "Keep {i} too."
    ok(k, "%venice set interpolate=strict")
    before = len(server.requests)
    message = refused(k, "%%venice --max-completion-tokens 5\nUse {missing_name}.")
    assert "missing_name" in message and "line 1" in message
    assert len(server.requests) == before
    ok(k, "%venice set interpolate=true")


def test_dry_run_shows_what_was_filled_in(k: Kernel) -> None:
    ok(k, "i = 7")
    ex = ok(k, "%%venice --dry-run\n{i} apples and {unknown_thing} pears.")
    text = final(ex)["data"]["text/plain"]
    assert "{i} → 7" in text and "{unknown_thing}" in text and "left as written" in text


# -- 5. web search sources ---------------------------------------------------------------


def test_web_search_asks_for_sources_and_links_them(k: Kernel, server: OfflineServer) -> None:
    ex = ok(k, "%%venice --web-search on --citations --max-completion-tokens 80 --seed 4\n"
               "Tell me about the planets of the solar system.")  # fmt: skip
    sent = server.requests[-1]["venice_parameters"]
    assert sent["include_search_results_in_stream"] is True  # asked for, as nobody said no
    out = final(ex)["data"]
    html, plain = out["text/html"], out["text/plain"]
    assert 'class="venice-citations"' in html and "https://example.com" in html
    assert '<sup class="venice-cite"><a href="https://example.com' in html  # ^1^ is a link
    assert "Sources:\n[1] " in plain and "https://example.com" in plain
    ok(k, "%%venice --web-search on --include-search-results-in-stream false "
          "--max-completion-tokens 5\nPlanets?")  # fmt: skip
    assert server.requests[-1]["venice_parameters"]["include_search_results_in_stream"] is False


# -- 6. retry resends exactly ----------------------------------------------------------------


def test_retry_of_a_finished_answer_resends_exactly_what_was_sent(
    k: Kernel, server: OfflineServer
) -> None:
    ok(k, "%%venice --max-completion-tokens 10 --temperature 0.1\nTell me about bread.")
    first = server.requests[-1]
    ok(k, "%venice set top_k=3")  # a default changed since: the retry must not pick it up
    ok(k, "%venice retry")
    again = server.requests[-1]
    assert again == first and again is not first
    assert turns(k) == 1  # replaced, not added
    ok(k, "%venice unset top_k")


# -- 7. generic OpenAI-compatible servers ----------------------------------------------------


def test_a_server_without_capability_flags_decides_for_itself(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with (
        OfflineServer(generic=True) as generic,
        venice_kernel(tmp_path_factory.mktemp("generic"), generic.base_url) as kg,
    ):
        ex = ok(kg, "%%venice -m venice-offline --logprobs true --top-logprobs 2 "
                    "--max-completion-tokens 5\nHello.")  # fmt: skip
        assert generic.requests[-1]["logprobs"] is True
        assert "venice-footer" in final(ex)["data"]["text/html"]
        rows = ok(kg, "%venice models").messages
        text = json.dumps([m["content"]["data"].get("text/plain", "") for m in rows
                           if m["msg_type"] == "display_data"])  # fmt: skip
        assert "?" in text  # capabilities the server does not state


def test_a_known_missing_capability_is_still_refused_locally(
    k: Kernel, server: OfflineServer
) -> None:
    before = len(server.requests)
    message = refused(k, "%%venice -m venice-offline-small --logprobs true\nHi.")
    assert "logprobs" in message and "venice-offline-small" in message
    assert len(server.requests) == before


# -- 8. n choices ------------------------------------------------------------------------------


def test_n_choices_are_all_shown_and_one_is_kept(k: Kernel, server: OfflineServer) -> None:
    before = turns(k)
    out = final(ok(k, "%%venice --n 3 --max-completion-tokens 12 --seed 2\nTell me about tea."))
    html, plain = out["data"]["text/html"], out["data"]["text/plain"]
    assert html.count('class="venice-choice"') == 3
    assert "[choice 1 · in the conversation" in plain and "[choice 3" in plain
    assert len(out["metadata"]["venice"]["choices"]) == 3
    assert turns(k) == before + 1
    kept = k.value("__import__('venice_jupyter').workspace.current().conversations.get()"
                   ".turns[-1].assistant['content']")  # fmt: skip
    assert kept == out["metadata"]["venice"]["choices"][0]["text"]


# -- 9. tool calls ---------------------------------------------------------------------------

WEATHER_TOOL = json.dumps([{"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}])  # fmt: skip


def test_tool_calls_are_shown_and_the_conversation_stays_valid(
    k: Kernel, server: OfflineServer
) -> None:
    out = final(ok(k, f"%%venice --tools '{WEATHER_TOOL}' --tool-choice required "
                      "--max-completion-tokens 40\nWhat is the weather in Rome?"))  # fmt: skip
    html, plain = out["data"]["text/html"], out["data"]["text/plain"]
    assert "venice-tool-call" in html and "get_weather" in html and "city" in html
    assert "[tool get_weather(" in plain
    ok(k, "%%venice --max-completion-tokens 8\nThanks.")  # accepted: the server validates it
    roles = [m["role"] for m in server.requests[-1]["messages"]]
    assert roles == ["user", "assistant", "tool", "user"]


# -- 10. what was spent ----------------------------------------------------------------------


def test_usage_counts_every_exchange_spent_here(
    k: Kernel, server: OfflineServer, tmp_path: Any
) -> None:
    ok(k, "__import__('venice_jupyter').workspace.current().ledger._entries.clear()")
    ok(k, "%%venice --max-completion-tokens 6\nOne.")
    ok(k, "%venice retry")  # spent again
    ok(k, "%%venice --no-history --max-completion-tokens 6\nTwo.")
    server.inject(Fault("drop", after_tokens=2))
    k.execute("%%venice --max-completion-tokens 30\nThree.")  # fails mid-stream
    ok(k, "%venice undo")  # spent all the same
    path = tmp_path / "elsewhere.json"
    ok(k, f"%venice export {path}")
    ok(k, f"%venice import {path} imported")  # paid for elsewhere: not counted
    rows = [m for m in ok(k, "%venice usage").messages if m["msg_type"] == "display_data"]
    table = rows[-1]["content"]["data"]["text/plain"]
    assert "spent in this kernel (4 exchanges)" in table
    total = next(line for line in table.splitlines() if line.startswith("(all)"))
    assert "4 (1 not complete)" in total
    assert "imported" not in table.split("\n", 2)[2]  # no row for the imported conversation
    ledger = "__import__('venice_jupyter').workspace.current().ledger"
    assert k.value(f"sum(e.completion_tokens for e in {ledger})") >= 18
    assert "cached" in table and "reasoning" in table  # cached tokens are shown


# -- 11. results into variables ------------------------------------------------------------


def test_results_land_in_variables_as_the_docs_say(k: Kernel, server: OfflineServer) -> None:
    schema = '{"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}'
    ok(k, f"%%venice --json-schema '{schema}' -o parsed --no-history\nA number.")
    assert k.value("type(parsed).__name__") == "dict" and k.value("sorted(parsed)") == ["n"]
    assert server.requests[-1]["response_format"]["json_schema"]["schema"]["required"] == ["n"]
    ok(k, "%%venice --format json -o j --no-history --max-completion-tokens 40\nSome JSON.")
    assert server.requests[-1]["response_format"] == {"type": "json_object"}
    ok(k, "%%venice -o r --no-history --max-completion-tokens 6\nHi.")
    assert k.value("str(r) == r.text and len(r.text) > 0")
    ok(k, f"tools = {WEATHER_TOOL}")
    ok(k, "%%venice --tools tools --no-history --max-completion-tokens 20\nWeather in Oslo?")
    assert server.requests[-1]["tools"][0]["function"]["name"] == "get_weather"


# -- 12. conversations -----------------------------------------------------------------------


def test_running_a_cell_again_replaces_its_turn(k: Kernel, server: OfflineServer) -> None:
    ok(k, "%%venice --max-completion-tokens 6\nFirst.", cell_id="cell-a")
    ok(k, "%%venice --max-completion-tokens 6\nSecond.", cell_id="cell-b")
    ok(k, "%%venice --max-completion-tokens 6\nFirst, edited.", cell_id="cell-a")
    assert turns(k) == 2  # replaced in place, not a third turn
    sent = [m["content"] for m in server.requests[-1]["messages"]]
    assert sent == ["First, edited."]  # an earlier cell sees only the turns before its own
    home = "__import__('venice_jupyter').workspace.current()"
    contents = k.value(f"[t.user['content'] for t in {home}.conversations.get().turns]")
    assert contents == ["First, edited.", "Second."]
    models = k.value(f"[t.model for t in {home}.conversations.get().turns]")
    assert models == ["venice-offline", "venice-offline"]  # who answered, not 'default'
    assert k.value(f"{home}.log().entries()[-1].model") == "venice-offline"


def test_import_and_switch_refuse_to_guess(k: Kernel, tmp_path: Any) -> None:
    ok(k, "%%venice --max-completion-tokens 6\nHello.")
    path = tmp_path / "c.json"
    ok(k, f"%venice export {path}")
    message = refused(k, f"%venice import {path}")  # the same name is here already
    assert "--replace" in message and "NEW_NAME" in message
    ok(k, f"%venice import {path} --replace")
    message = refused(k, "%venice switch defualt")
    assert "Did you mean 'default'" in message and "--new" in message
    ok(k, "%venice switch --new scratch")
    assert k.value("__import__('venice_jupyter').workspace.current().conversations.current") == (
        "scratch"
    )
    ok(k, "%venice switch default")


# -- 14. messages ----------------------------------------------------------------------------


def test_messages_say_what_to_do(k: Kernel, server: OfflineServer) -> None:
    server.inject(Fault("status", status=429, retry_after=600))
    message = refused(k, "%%venice --max-completion-tokens 5\nHi.")
    assert "429" in message and "wait 600 s" in message
    server.inject(Fault("status", status=503, times=1))
    ex = ok(k, "%%venice --max-completion-tokens 5\nHi.")
    waiting = json.dumps([m["content"] for m in ex.of_type("update_display_data")])
    assert "HTTP 503; retrying in" in waiting  # the waiting line said it was retrying
    models = ok(k, "%venice models --with L --sort price").messages
    plain = [m["content"]["data"]["text/plain"] for m in models if m["msg_type"] == "display_data"]
    assert "L logprobs" in plain[-1] and "venice-offline-small" not in plain[-1]
    assert "--with" in refused(k, "%venice models --bogus")
    message = refused(k, "%venice set bogus=1")
    assert "params_table" not in message and "interpolate" in message
    bad = k.execute("import venice_jupyter\nvenice_jupyter.chat('Hi.', max_completion_tokens=True)")
    assert bad.error is not None and "max_completion_tokens: true is not allowed" in str(
        bad.error["evalue"]
    )
    show = [m for m in ok(k, "%venice show").messages if m["msg_type"] == "display_data"]
    assert "default → venice-offline" in show[-1]["content"]["data"]["text/plain"]
    ok(k, "%%venice --max-completion-tokens 5\nHi.")
    history = [m for m in ok(k, "%venice history").messages if m["msg_type"] == "display_data"]
    assert "Markdown object" not in history[-1]["content"]["data"]["text/plain"]
    assert "## You" in history[-1]["content"]["data"]["text/plain"]
    key = refused(k, "%venice key")  # this kernel client allows no stdin
    assert "VENICE_API_KEY" in key and "Traceback" not in key


# -- cells that reuse answers and cells over many rows ----------------------------------------


def test_cache_and_batch_from_a_cell(k: Kernel, server: OfflineServer) -> None:
    cell = "%%venice --cache --no-history --seed 9 --max-completion-tokens 8\nA cached question."
    first = final(ok(k, cell))
    before = len(server.requests)
    again = final(ok(k, cell))
    assert len(server.requests) == before  # answered from the log
    assert again["data"]["text/markdown"] == first["data"]["text/markdown"]
    assert "cached" in again["data"]["text/plain"]
    ok(k, "topics = ['bread', 'tea', 'the moon']")
    before = len(server.requests)
    ex = ok(k, "%%venice --batch topics -o run --max-completion-tokens 6\nTell me about {prompt}.")
    ok(k, "table = await run")  # a kernel runs the rows as tasks
    assert len(server.requests) - before == 3
    sent = sorted(r["messages"][-1]["content"] for r in server.requests[before:])
    assert sent == sorted(f"Tell me about {t}." for t in ("bread", "tea", "the moon"))
    assert ex.status == "ok"


# -- the second trial: what -c NAME means to undo and retry -----------------------------------


def test_undo_and_retry_act_on_the_conversation_the_last_cell_used(
    k: Kernel, server: OfflineServer
) -> None:
    home = k.value("__import__('venice_jupyter').workspace.current().conversations.current")
    ok(k, "%venice fork f2")  # f2 is current (and empty)
    ok(k, "%%venice -c work --new --max-completion-tokens 5\nwork turn")
    ex = ok(k, "%venice retry")
    assert not ex.of_type("execute_result")  # the answer streamed; no Reply repr under it
    assert "work turn" in json.dumps(server.requests[-1]["messages"])
    ex = ok(k, "%venice undo")
    assert ex.stdout.strip() == "Removed the last turn of 'work' (0 turns left)."
    assert turns(k, "f2") == 0 and turns(k, "work") == 0  # f2 was never touched
    assert ok(k, "%venice undo").stdout.strip() == "Nothing to undo: 'work' is empty."
    message = refused(k, "%venice retry")
    assert "'work'" in message and "%venice retry NAME" in message
    ok(k, "%%venice --max-completion-tokens 5\nplain turn")  # a plain cell: the current one
    assert turns(k, "f2") == 1
    assert "'f2'" in ok(k, "%venice undo").stdout
    assert "'nope'" in refused(k, "%venice undo nope")
    ok(k, f"%venice switch {home}")


def test_set_unset_and_unknown_options_say_what_they_did(k: Kernel) -> None:
    assert "`%%venice --help` lists them" in refused(k, "%%venice --bogus 1\nHi.")
    assert "Did you mean --temperature" in refused(k, "%%venice --temprature 1\nHi.")
    out = ok(k, "%venice set temperature=0.5").stdout
    assert out.strip() == "Defaults sent with every request: temperature=0.5."
    assert "Setting history_turns=3." in ok(k, "%venice set history_turns=3").stdout
    out = ok(k, "%venice unset temperature top_k").stdout
    assert out.strip() == "Dropped temperature; top_k was not set; no default parameters."
    assert "nothingset" in refused(k, "%venice unset nothingset")
    ok(k, "%venice set history_turns=0")


def test_online_without_a_key_says_how_to_get_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from venice_jupyter.ipython.commands import run_command
    from venice_jupyter.workspace import VeniceSettings, Workspace

    monkeypatch.delenv("VENICE_API_KEY", raising=False)
    monkeypatch.delenv("VENICE_BASE_URL", raising=False)
    home = Workspace(VeniceSettings())
    run_command(home, None, "online")
    assert "Online needs an API key: `%venice key`" in capsys.readouterr().out
    home.close()


def test_show_reports_the_last_cells_conversation_or_the_named_one(k: Kernel) -> None:
    home = k.value("__import__('venice_jupyter').workspace.current().conversations.current")
    ok(k, "%%venice -c roomy -m venice-offline-small --new --max-completion-tokens 5\nHi.")

    def table(code: str) -> str:
        shown = ok(k, code).of_type("display_data")[-1]["content"]["data"]["text/plain"]
        return str(shown)

    last = table("%venice show")
    assert re.search(r"context of +roomy", last)
    assert re.search(r"context +[▮▯]{10} ≈[\d,]+ of 8,192 tokens .* on venice-offline-small", last)
    assert re.search(rf"context of +{re.escape(home)}", table(f"%venice show {home}"))
    assert "'nope'" in refused(k, "%venice show nope")
