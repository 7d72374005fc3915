"""The client's own cost of one tool round, against the time of the two requests it joins.

One tool round, as ``Session.run`` does it between the two requests of a turn: build the tools'
schemas (``Toolbox.of`` on two annotated, documented functions), take the calls from the first
reply (``Rounds.calls``), plan each (find the function, check the JSON arguments against its
schema), run it (a trivial function, so the function's own time is nil), encode the result,
append the tool messages, and build the next request body (``Rounds.request``). Timed in this
process with ``perf_counter`` over many repetitions, median per round (goal ≤ 2 ms).

For scale, the same turn for real: ``venice_jupyter.chat(..., tools=[…])`` against the offline
server in its own process, two requests on loopback; median wall time of the whole turn.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Result, bench_args, goal, info, median, report, server_process

__all__ = ["main", "measure_round", "measure_turn"]


def get_weather(city: str, unit: Literal["C", "F"] = "C", days: int = 1) -> str:
    """The weather in a city.

    Args:
        city: Which city.
        unit: Celsius or Fahrenheit.
        days: How many days ahead.
    """
    return f"Sunny in {city}"


def get_time(city: str) -> str:
    """The local time in a city."""
    return "14:05"


def measure_round(rounds: int) -> list[float]:
    from venice_jupyter.reply import Choice, Reply, ToolCall
    from venice_jupyter.tools import Plan, Rounds, Toolbox, plan_call, run_call

    body = {"model": "m", "messages": [{"role": "user", "content": "Weather and time in Rome?"}]}
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        toolbox = Toolbox.of([get_weather, get_time])
        state = Rounds(body, toolbox)
        calls = [
            ToolCall(0, "call_a", "function", "get_weather", '{"city": "Rome", "unit": "C"}'),
            ToolCall(1, "call_b", "function", "get_time", '{"city": "Rome"}'),
        ]
        for call in state.calls(Reply(choices=[Choice(0, tool_calls=calls)])):
            planned = plan_call(call, toolbox.functions, state.specs)
            state.answer(run_call(planned) if isinstance(planned, Plan) else planned)
        state.request()
        times.append(time.perf_counter() - start)
    return times


def measure_turn(url: str, turns: int) -> list[float]:
    import venice_jupyter
    from venice_jupyter import workspace

    settings = workspace.VeniceSettings()
    settings.base_url = url
    settings.log = False
    home = workspace.Workspace(settings)
    times = []
    try:
        for _ in range(turns + 1):
            start = time.perf_counter()
            venice_jupyter.chat("Weather and time in Rome?", tools=[get_weather, get_time],
                                max_completion_tokens=20, workspace=home)  # fmt: skip
            times.append(time.perf_counter() - start)
    finally:
        home.close()
    return times[1:]  # the first pays for the catalog and the connection


def results(quick: bool) -> list[Result]:
    per_round = median(measure_round(200 if quick else 2000))
    with server_process(
        ["-m", "venice_jupyter.offline", "--port", "0"], ready=lambda line: "/api/v1" in line
    ) as server:
        turn = median(measure_turn(server.url, 10 if quick else 40))
    return [
        goal("tool_round_client_overhead", per_round * 1000, "ms", "<=", 2.0),
        info("tool_turn_two_requests_wall", turn * 1000, "ms"),
        info("tool_round_share_of_the_turn", 100 * per_round / turn, "%"),
    ]


def main(argv: list[str] | None = None) -> None:
    args = bench_args(__doc__.split("\n")[0], argv)
    report(results(args.quick), args.json_out)


if __name__ == "__main__":
    main()
