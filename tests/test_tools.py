"""Tools: functions as JSON Schemas, the loop over loopback HTTP (``chat``/``achat``), failures
that come back to the model as answers, and turns that stay valid."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import threading
from pathlib import Path
from typing import Any, Literal, Optional, TypedDict

import pytest

import venice_jupyter
from venice_jupyter import workspace
from venice_jupyter.errors import CapabilityError, ParameterError
from venice_jupyter.offline import OfflineServer
from venice_jupyter.reply import ToolCall
from venice_jupyter.storage import export_json, import_json
from venice_jupyter.tools import (
    Toolbox,
    docstring_parts,
    encode,
    from_text,
    function_spec,
    plan_call,
    run_call,
)

# -- the schema mapping ----------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Point(TypedDict):
    x: float
    y: float


@dataclasses.dataclass
class Box:
    width: int
    label: str = "box"


def _params(fn: Any) -> dict[str, Any]:
    return function_spec(fn)["function"]["parameters"]  # type: ignore[no-any-return]


MAPPING = [
    (str, {"type": "string"}),
    (int, {"type": "integer"}),
    (float, {"type": "number"}),
    (bool, {"type": "boolean"}),
    (Literal["a", "b"], {"enum": ["a", "b"], "type": "string"}),
    (Literal[1, "x"], {"enum": [1, "x"]}),
    (Color, {"enum": ["red", "blue"]}),
    (list[str], {"type": "array", "items": {"type": "string"}}),
    (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
    (tuple[int, str], {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}],
                       "minItems": 2, "maxItems": 2}),
    (set[int], {"type": "array", "items": {"type": "integer"}}),
    (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
    (Optional[int], {"anyOf": [{"type": "integer"}, {"type": "null"}]}),  # noqa: UP045
    (int | str, {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
    (Point, {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
             "required": ["x", "y"], "additionalProperties": False}),
    (Box, {"type": "object", "properties": {"width": {"type": "integer"},
                                            "label": {"type": "string"}},
           "required": ["width"], "additionalProperties": False}),
]  # fmt: skip


@pytest.mark.parametrize(("hint", "schema"), MAPPING, ids=lambda v: str(v)[:30])
def test_each_annotation_maps_to_its_schema(hint: Any, schema: dict[str, Any]) -> None:
    def tool(value):  # type: ignore[no-untyped-def]
        return value

    tool.__annotations__ = {"value": hint}
    assert _params(tool)["properties"]["value"] == schema
    assert _params(tool)["required"] == ["value"]


def test_a_pydantic_model_brings_its_own_schema() -> None:
    pydantic = pytest.importorskip("pydantic")
    city = type("City", (pydantic.BaseModel,), {"__annotations__": {"name": str}})

    def visit(city):  # type: ignore[no-untyped-def]
        return "ok"

    visit.__annotations__ = {"city": city}
    assert _params(visit)["properties"]["city"]["properties"]["name"]["type"] == "string"


def test_defaults_are_not_required_and_docstrings_describe() -> None:
    def get_weather(city: str, unit: Literal["C", "F"] = "C", days: int = 1) -> str:
        """The weather in a city.

        Args:
            city: Which city, e.g. Rome.
            unit: Celsius or Fahrenheit;
                as the user prefers.
        """
        return ""

    spec = function_spec(get_weather)["function"]
    assert spec["name"] == "get_weather" and spec["description"] == "The weather in a city."
    params = spec["parameters"]
    assert params["required"] == ["city"] and params["additionalProperties"] is False
    assert params["properties"]["city"]["description"] == "Which city, e.g. Rome."
    assert (
        params["properties"]["unit"]["description"] == "Celsius or Fahrenheit; as the user prefers."
    )
    assert params["properties"]["unit"]["default"] == "C"


def test_numpy_style_docstrings() -> None:
    text = """Scale values.

    Parameters
    ----------
    x : list of float
        The values to
        scale.
    factor : float
        How much.

    Returns
    -------
    list
    """
    assert docstring_parts(text) == (
        "Scale values.",
        {"x": "The values to scale.", "factor": "How much."},
    )


def _no_hint(x):  # type: ignore[no-untyped-def]
    return x


def _any(x: Any) -> Any:
    return x


def _star(*args: int) -> int:
    return 0


def _kw(**kwargs: int) -> int:
    return 0


def _positional(x: int, /) -> int:
    return x


def _bytes_keys(x: dict[int, str]) -> str:
    return ""


def _bare_list(x: list) -> int:  # type: ignore[type-arg]
    return 0


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (_no_hint, r"tools: _no_hint\(x\): 'no type hint'.*Give x a type hint"),
        (_any, r"_any\(x\): 'Any'"),
        (_star, r"\*args"),
        (_kw, r"\*\*kwargs"),
        (_positional, "positional-only"),
        (_bytes_keys, "keys are not str"),
        (_bare_list, "without an item type"),
        (Box, "a function, not a class"),
        (lambda x: x, "1-64 letters"),
    ],
)
def test_what_cannot_be_described_is_refused_with_how_to_fix_it(fn: Any, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        function_spec(fn)


def test_names_in_a_cell_must_be_functions_in_the_notebook() -> None:
    def tool(x: int) -> int:
        return x

    ns = {"tool": tool, "several": [tool], "number": 3}
    assert from_text("tool", ns).names() == ["tool"]
    assert from_text("several", ns).names() == ["tool"]
    assert from_text('[{"type": "web_search"}]', ns).specs == [{"type": "web_search"}]
    with pytest.raises(ParameterError, match="No variable named 'missing'"):
        from_text("tool, missing", ns)
    with pytest.raises(ParameterError, match="functions, tool specs"):
        from_text("number", ns)
    with pytest.raises(ParameterError, match="not valid JSON"):
        from_text("[not json", ns)


# -- one call: planned, run, encoded ---------------------------------------------------------


def _call(name: str, arguments: str) -> ToolCall:
    return ToolCall(0, "call_1", "function", name, arguments)


def test_a_call_that_cannot_run_is_an_answer_for_the_model() -> None:
    def add(a: int, b: int = 1) -> int:
        return a + b

    box = Toolbox.of([add])
    specs = {"add": box.specs[0]["function"]["parameters"]}
    for arguments, expected in [
        ("{oops", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        ('{"b": 2}', "a is required"),
        ('{"a": "x"}', "a must be of type integer"),
        ('{"a": 1, "c": 3}', "c is not a parameter"),
    ]:
        outcome = plan_call(_call("add", arguments), box.functions, specs)
        assert outcome.status == "failed" and expected in outcome.result, arguments  # type: ignore[union-attr]
    unknown = plan_call(_call("nope", "{}"), box.functions, specs)
    assert "no tool named 'nope'" in unknown.result and "add" in unknown.result  # type: ignore[union-attr]


def test_exceptions_timeouts_and_async_functions() -> None:
    def boom(x: int) -> int:
        raise ValueError(f"bad {x}")

    async def later(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    release = threading.Event()

    def slow(x: int) -> int:
        release.wait(30)
        return x

    box = Toolbox.of([boom, later, slow])
    specs = {s["function"]["name"]: s["function"]["parameters"] for s in box.specs}

    def planned(name: str) -> Any:
        return plan_call(_call(name, '{"x": 2}'), box.functions, specs)

    failed = run_call(planned("boom"))
    assert failed.status == "failed" and failed.result == "Error: ValueError: bad 2"
    assert run_call(planned("later")).result == "4"  # its own loop, in a thread
    timed_out = run_call(planned("slow"), timeout=0.05)
    release.set()
    assert timed_out.status == "timed out" and "0.05 s" in timed_out.result
    assert asyncio.run(_arun(planned("later"))).result == "4"


async def _arun(planned: Any) -> Any:
    from venice_jupyter.tools import arun_call

    return await arun_call(planned)


def test_results_are_encoded_and_cut_with_a_marker() -> None:
    assert encode({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert encode("x" * 150, limit=100).endswith("[truncated: 50 more characters were not sent]")
    pandas = pytest.importorskip("pandas")
    assert encode(pandas.DataFrame({"a": [1, 2]})) == "a\n1\n2\n"


# -- the loop over loopback HTTP -------------------------------------------------------------


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny and 24 C in {city}"


def get_time(city: str) -> str:
    """The local time in a city."""
    return "14:05"


def test_parallel_calls_run_and_the_answer_uses_their_results(
    home: workspace.Workspace, server: OfflineServer
) -> None:
    mark = len(server.requests)
    reply = venice_jupyter.chat(
        "What is the weather and the time in Rome?", tools=[get_weather, get_time],
        conversation="trip", max_completion_tokens=40, workspace=home,
    )  # fmt: skip
    assert "Sunny and 24 C in Rome" in reply.text and "14:05" in reply.text
    first, second = server.requests[mark:]
    assert [t["function"]["name"] for t in first["tools"]] == ["get_weather", "get_time"]
    calls = second["messages"][1]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert all(json.loads(c["function"]["arguments"]) == {"city": "Rome"} for c in calls)
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "tool", "tool"]
    turn = home.conversations.get("trip").turns[-1]
    assert [m["role"] for m in turn.messages()] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
    ]
    # Every round's tokens add up; the first round's time to first token is the turn's.
    assert home.log().entries()[-1].status == "complete"  # one exchange for the whole turn
    assert reply.usage is not None and reply.usage.completion_tokens > 40


def test_a_failing_function_is_an_answer_the_model_reads(
    home: workspace.Workspace, server: OfflineServer
) -> None:
    def get_weather(city: str) -> str:
        raise ConnectionError("the weather service is down")

    reply = venice_jupyter.chat("Weather in Oslo?", tools=[get_weather], workspace=home,
                                max_completion_tokens=30)  # fmt: skip
    tool_message = server.requests[-1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert tool_message["content"] == "Error: ConnectionError: the weather service is down"
    assert "the weather service is down" in reply.text


def test_the_next_request_after_a_tool_turn_is_accepted_and_undo_removes_it_whole(
    home: workspace.Workspace, server: OfflineServer
) -> None:
    venice_jupyter.chat("Weather in Oslo?", tools=[get_weather], conversation="c",
                        workspace=home, max_completion_tokens=20)  # fmt: skip
    venice_jupyter.chat("Thanks!", conversation="c", workspace=home, max_completion_tokens=5)
    roles = [m["role"] for m in server.requests[-1]["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant", "user"]  # the server validated it
    conv = home.conversations.get("c")
    restored = import_json(export_json(conv))
    assert restored.messages() == conv.messages()
    conv.undo()
    conv.undo()
    assert conv.messages() == []


def test_the_round_limit_stops_the_loop_and_says_so() -> None:
    from venice_jupyter.reply import Choice, Reply
    from venice_jupyter.tools import Rounds, ToolPolicy

    body = {"model": "m", "messages": [{"role": "user", "content": "Hi"}],
            "tool_choice": "required"}  # fmt: skip
    rounds = Rounds(body, Toolbox.of([get_weather]), ToolPolicy(max_rounds=1))

    def calling() -> Reply:
        return Reply(choices=[Choice(0, tool_calls=[_call("get_weather", '{"city": "Oslo"}')])])

    assert len(rounds.calls(calling())) == 1  # round 1 runs its call
    rounds.answer(run_call(plan_call(rounds.replies[0].choices[0].tool_calls[0],
                                     rounds.toolbox.functions, rounds.specs)))  # type: ignore[arg-type]  # fmt: skip
    assert rounds.request()["tool_choice"] == "auto"  # forcing again would never end
    last = calling()
    assert rounds.calls(last) == []  # past the limit: nothing more runs
    assert any("Stopped after 1 tool rounds" in note for note in last.notes)
    from venice_jupyter.conversation import Conversation

    conv = Conversation("c")
    conv.record({"role": "user", "content": "Hi"}, last, steps=rounds.steps)
    assert conv.messages()[-1]["role"] == "tool"  # the unrun call is answered "not run"


def test_the_round_limit_over_loopback(home: workspace.Workspace, server: OfflineServer) -> None:
    mark = len(server.requests)
    venice_jupyter.chat("Weather in Oslo?", tools=[get_weather], tool_choice="required",
                        workspace=home, max_tool_rounds=1, max_completion_tokens=20)  # fmt: skip
    first, second = server.requests[mark:]
    assert first["tool_choice"] == "required" and second["tool_choice"] == "auto"


def test_achat_runs_async_functions_on_its_loop(
    home: workspace.Workspace, server: OfflineServer
) -> None:
    async def get_weather(city: str) -> str:
        await asyncio.sleep(0)
        return f"Rain in {city}"

    async def main() -> str:
        reply = await venice_jupyter.achat("Weather in Bergen?", tools=[get_weather],
                                           workspace=home, max_completion_tokens=20)  # fmt: skip
        return reply.text

    assert "Rain in Bergen" in asyncio.run(main())


def test_approval_can_skip_a_call(home: workspace.Workspace, server: OfflineServer) -> None:
    asked = []

    class Deny:
        def decide(self, view: Any) -> str:
            asked.append(view.name)
            return "skip"

        async def adecide(self, view: Any) -> str:
            return self.decide(view)

    ran = []

    def get_weather(city: str) -> str:
        ran.append(city)
        return "sun"

    venice_jupyter.chat("Weather in Oslo?", tools=[get_weather], approve=True,
                        approver=Deny(), workspace=home, max_completion_tokens=20)  # type: ignore[arg-type]  # fmt: skip
    assert asked == ["get_weather"] and ran == []
    assert server.requests[-1]["messages"][-1]["content"] == "The user declined to run this call."


def test_bad_tools_send_nothing(home: workspace.Workspace, server: OfflineServer) -> None:
    before = len(server.requests)
    with pytest.raises(ParameterError, match="Give x a type hint"):
        venice_jupyter.chat("Hi", tools=[_no_hint], workspace=home)
    with pytest.raises(CapabilityError, match="function calling"):
        venice_jupyter.chat("Hi", tools=[get_weather], model="venice-offline-small",
                            workspace=home)  # fmt: skip
    assert len(server.requests) == before


def test_servers_that_repeat_ids_or_use_function_call_deltas() -> None:
    from venice_jupyter.api._accumulate import Accumulator

    repeated = Accumulator()
    for piece in ('{"ci', 'ty": "Rome"}'):
        repeated.feed({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "c1", "type": "function",
             "function": {"name": "get_weather", "arguments": piece}}]}}]})  # fmt: skip
    [call] = repeated.reply.choices[0].tool_calls
    assert (call.id, call.name, call.arguments) == ("c1", "get_weather", '{"city": "Rome"}')
    legacy = Accumulator()
    legacy.feed(
        {"choices": [{"index": 0, "delta": {"function_call": {"name": "f", "arguments": "{"}}}]}
    )
    legacy.feed({"choices": [{"index": 0, "delta": {"function_call": {"arguments": "}"}}}]})
    [call] = legacy.reply.choices[0].tool_calls
    assert (call.name, call.arguments) == ("f", "{}")


def test_offline_tool_calls_stream_id_and_name_first_then_arguments(
    server: OfflineServer,
) -> None:
    import httpx

    from tests.sse_events import parse_sse

    body = {"model": "venice-offline", "stream": True,
            "messages": [{"role": "user", "content": "Weather and time in Rome?"}],
            "tools": [function_spec(get_weather), function_spec(get_time)]}  # fmt: skip
    with httpx.Client(timeout=10) as http:
        raw = http.post(f"{server.base_url}/chat/completions", json=body).content
    deltas = [c["choices"][0]["delta"]["tool_calls"][0] for c in parse_sse(raw)
              if isinstance(c, dict) and c.get("choices")
              and c["choices"][0]["delta"].get("tool_calls")]  # fmt: skip
    firsts = [d for d in deltas if d.get("id")]
    assert [(d["index"], d["function"]["name"]) for d in firsts] == [
        (0, "get_weather"),
        (1, "get_time"),
    ]
    assert all(d["function"].get("arguments", "") == "" for d in firsts)
    pieces = [d for d in deltas if not d.get("id")]
    assert len(pieces) >= 2 and all("name" not in d["function"] for d in pieces)


def test_tools_with_no_model_chosen_go_to_venice_s_function_calling_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As offline with the local extra: the default model cannot call tools.
    monkeypatch.setenv("VENICE_OFFLINE_DEFAULT", "venice-offline-small")
    with OfflineServer() as own:
        settings = workspace.VeniceSettings(base_url=own.base_url,
                                            log_path=str(tmp_path / "log.sqlite3"))  # fmt: skip
        home = workspace.Workspace(settings)
        try:
            reply = venice_jupyter.chat("Weather in Oslo?", tools=[get_weather],
                                        max_completion_tokens=20, workspace=home)  # fmt: skip
            assert own.requests[0]["model"] == "venice-offline"  # function_calling_default
            assert "Sunny and 24 C in Oslo" in json.dumps(own.requests[-1]["messages"])
            assert reply.text
            with pytest.raises(CapabilityError, match="function calling"):  # a model named: kept
                venice_jupyter.chat("Weather?", model="venice-offline-small",
                                    tools=[get_weather], workspace=home)  # fmt: skip
        finally:
            home.close()
