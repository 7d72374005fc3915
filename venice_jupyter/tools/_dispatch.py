"""One tool call from the model to its result: planned (the function found, the arguments
checked), approved if the policy asks, run, and shown at each step through ``on_tool``.

``run_one`` serves the blocking driver, ``arun_one`` the coroutine; they differ only in how
they wait for the approver and the function.
"""

from __future__ import annotations

from collections.abc import Callable

from venice_jupyter.render import ToolView
from venice_jupyter.reply import ToolCall
from venice_jupyter.tools._approval import DECLINED, Approver, Decision
from venice_jupyter.tools._rounds import Rounds
from venice_jupyter.tools._run import Outcome, Plan, arun_call, plan_call, run_call

__all__ = ["arun_one", "run_one"]

OnTool = Callable[[ToolView], None]


def _plan(
    call: ToolCall, rounds: Rounds, approver: Approver | None, on_tool: OnTool
) -> Outcome | tuple[Plan, ToolView, bool]:
    planned = plan_call(call, rounds.toolbox.functions, rounds.specs)
    if isinstance(planned, Outcome):
        on_tool(planned.view())
        return planned
    view = ToolView(call.name, call.arguments, "running", call_id=call.id or "")
    asks = rounds.policy.approve and call.name not in rounds.always and approver is not None
    on_tool(ToolView(view.name, view.arguments, "waiting for approval", view.call_id)
            if asks else view)  # fmt: skip
    return planned, view, asks


def _decided(
    call: ToolCall, decision: Decision, view: ToolView, rounds: Rounds, on_tool: OnTool
) -> Outcome | None:
    """The outcome of a skipped call, or None to run it (remembering "always")."""
    if decision == "skip":
        outcome = Outcome(call, "skipped", DECLINED)
        on_tool(outcome.view())
        return outcome
    if decision == "always":
        rounds.always.add(call.name)
    on_tool(view)
    return None


def run_one(call: ToolCall, rounds: Rounds, approver: Approver | None, on_tool: OnTool) -> Outcome:
    step = _plan(call, rounds, approver, on_tool)
    if isinstance(step, Outcome):
        return step
    planned, view, asks = step
    if asks and approver is not None:
        skipped = _decided(call, approver.decide(view), view, rounds, on_tool)
        if skipped is not None:
            return skipped
    outcome = run_call(planned, timeout=rounds.policy.timeout, limit=rounds.policy.result_chars)
    on_tool(outcome.view())
    return outcome


async def arun_one(
    call: ToolCall, rounds: Rounds, approver: Approver | None, on_tool: OnTool
) -> Outcome:
    step = _plan(call, rounds, approver, on_tool)
    if isinstance(step, Outcome):
        return step
    planned, view, asks = step
    if asks and approver is not None:
        skipped = _decided(call, await approver.adecide(view), view, rounds, on_tool)
        if skipped is not None:
            return skipped
    policy = rounds.policy
    outcome = await arun_call(planned, timeout=policy.timeout, limit=policy.result_chars)
    on_tool(outcome.view())
    return outcome
