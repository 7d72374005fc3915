"""The tool loop's state, without I/O: the rounds of one turn, from the first request to the
answer that calls nothing.

    rounds = Rounds(prepared_body, toolbox, policy)
    while True:
        reply = <stream rounds.request()>          # the session's driver moves the bytes
        calls = rounds.calls(reply)                # [] when the answer is final
        if not calls: break
        for call in calls: rounds.answer(<run it>) # the driver runs them (sync or async)
    rounds.combined(), rounds.steps                # one reply for the footer, one turn

Each round's request is the first one's with the assistant's calls and the tool results
appended; after the first, a tool_choice that forced a call becomes "auto" (forcing again would
loop for ever). Past ``policy.max_rounds`` the calls are answered "not run" and the loop ends.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any

from venice_jupyter.conversation import answer_of
from venice_jupyter.render import ToolView
from venice_jupyter.reply import Citation, Cost, Reply, ToolCall, Usage
from venice_jupyter.tools._run import DEFAULT_RESULT_CHARS, Outcome
from venice_jupyter.tools._toolbox import Toolbox

__all__ = ["DEFAULT_MAX_ROUNDS", "Rounds", "ToolPolicy"]

DEFAULT_MAX_ROUNDS = 8


@dataclass(frozen=True)
class ToolPolicy:
    max_rounds: int = DEFAULT_MAX_ROUNDS
    timeout: float | None = None  # seconds a function may take; None: no limit
    result_chars: int = DEFAULT_RESULT_CHARS  # what a result may send the model
    approve: bool = False


@dataclass
class Rounds:
    body: dict[str, Any]
    toolbox: Toolbox
    policy: ToolPolicy = field(default_factory=ToolPolicy)
    steps: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    views: list[ToolView] = field(default_factory=list)
    # Functions approved for good: the approver's own set, so "always" outlives the turn.
    always: set[str] = field(default_factory=set)

    def request(self) -> dict[str, Any]:
        if not self.steps:
            return self.body
        body = copy.copy(self.body)
        body["messages"] = [*self.body["messages"], *self.steps]
        if body.get("tool_choice") not in (None, "auto", "none"):
            body["tool_choice"] = "auto"  # forcing a call every round would never end
        return body

    @property
    def specs(self) -> dict[str, Any]:
        return {
            s["function"]["name"]: s["function"].get("parameters", {})
            for s in self.toolbox.specs
            if s.get("type") == "function"
        }

    def calls(self, reply: Reply) -> list[ToolCall]:
        """The calls to run after ``reply``, or [] when it is the answer (no calls, a limit)."""
        self.replies.append(reply)
        choice = reply.choices[0] if reply.choices else None
        if choice is None or not choice.tool_calls or not self.toolbox.runnable:
            return []
        if len(self.replies) > self.policy.max_rounds:
            reply.notes.append(
                f"Stopped after {self.policy.max_rounds} tool rounds: the last calls did not "
                "run (raise --max-tool-rounds)"
            )
            return []
        assistant = answer_of(reply)
        assert assistant is not None  # it has tool calls
        self.steps.append(assistant)
        for call in choice.tool_calls:
            call.id = call.id or f"call_{len(self.replies)}_{call.index}"
        return list(choice.tool_calls)

    def answer(self, outcome: Outcome) -> None:
        self.steps.append(outcome.message())
        self.views.append(outcome.view())

    def partial(self, current: Reply | None) -> Reply:
        """What a failed or stopped turn got: the rounds done and the one that broke off."""
        done = [*self.replies, *([current] if current is not None else [])]
        if not done:
            return Reply()
        return _combine(done)

    def combined(self) -> Reply:
        """One reply for the whole turn: the last round's answer, every round's tokens, cost
        and time, the first round's time to first token."""
        return _combine(self.replies)


def _combine(replies: list[Reply]) -> Reply:
    if len(replies) == 1:
        return replies[0]
    last = replies[-1]
    usage = Usage()
    for reply in replies:
        if reply.usage is not None:
            for name in vars(usage):
                setattr(usage, name, getattr(usage, name) + getattr(reply.usage, name))
    costs = [r.cost for r in replies if r.cost is not None]
    cost = None
    if costs:
        cost = Cost(sum(c.usd for c in costs), sum(c.diem for c in costs),
                    any(c.estimated for c in costs))  # fmt: skip
    citations: list[Citation] = []
    for reply in replies:
        citations += [c for c in reply.citations if c not in citations]
    timings = replace(
        last.timings,
        ttft=replies[0].timings.ttft,
        ttfb=replies[0].timings.ttfb,
        total=sum(r.timings.total or 0.0 for r in replies),
        attempts=sum(r.timings.attempts for r in replies),
    )
    return replace(last, usage=usage if any(r.usage for r in replies) else None,
                   cost=cost, citations=citations, timings=timings)  # fmt: skip
