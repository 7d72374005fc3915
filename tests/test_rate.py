"""Pacing: the rate gate (rate-limit headers, Retry-After) and the error budget, on fake clocks."""

from __future__ import annotations

import asyncio
import random

import pytest

from venice_jupyter.api import FailureBudget, RateGate, RetryPolicy
from venice_jupyter.batching._attempts import retry_delay, retryable
from venice_jupyter.errors import (
    AuthenticationError,
    BadRequestError,
    ConnectError,
    ConnectionLostError,
    PaymentRequiredError,
    ProtocolError,
    RateLimitError,
    SchemaMismatchError,
    ServerError,
    StreamError,
)
from venice_jupyter.reply import ResponseMeta


def test_the_gate_holds_for_tokens_too() -> None:
    now = [1_000_000_000.0]
    gate = RateGate(clock=lambda: now[0])
    gate.note(ResponseMeta(ratelimit_remaining_tokens=50_000, ratelimit_reset_tokens=20.0))
    assert gate.delay() == 0
    gate.note(ResponseMeta(ratelimit_remaining_tokens=1_500, ratelimit_reset_tokens=20.0))
    assert gate.delay() == pytest.approx(20)  # seconds from now, as Venice sends it for tokens
    assert gate.last is None  # no request budget seen yet
    gate.note(ResponseMeta(ratelimit_remaining_requests=40, ratelimit_limit_requests=50))
    assert gate.last is not None and gate.last.ratelimit_remaining_requests == 40


def test_a_hold_is_a_floor_and_capped() -> None:
    now = [100.0]
    gate = RateGate(clock=lambda: now[0], max_wait=60)
    gate.hold(2.5)
    assert gate.delay() == pytest.approx(2.5)
    gate.hold(1.0)  # a shorter hold never shortens a longer one
    assert gate.delay() == pytest.approx(2.5)
    gate.hold(500)
    assert gate.delay() == pytest.approx(60)
    now[0] += 61
    assert gate.delay() == 0


def test_the_budget_counts_failures_in_a_sliding_window() -> None:
    now = [0.0]
    budget = FailureBudget(limit=5, window=30, clock=lambda: now[0])
    for _ in range(3):
        budget.failed()
        now[0] += 1
    assert budget.recent() == 3 and budget.delay() == 0  # 3 + 0 in flight + 1 <= 5
    budget.in_flight = 1
    assert budget.delay() == 0  # 3 + 1 + 1 = 5
    budget.in_flight = 2
    # 3 + 2 + 1 = 6: the oldest failure (t=0) must leave the window first, at t=30.
    assert budget.delay() == pytest.approx(27)
    now[0] = 30.0
    assert budget.recent() == 2 and budget.delay() == 0
    budget.in_flight = 5  # in flight alone fills the budget: wait for some of them to end
    assert budget.delay() == pytest.approx(30)


def test_no_window_ever_holds_more_failures_than_the_limit() -> None:
    # A simulation on a fake clock: 16 workers, every attempt fails after a random time. The
    # rule (recent + in flight + 1 <= limit at every start) keeps every 30 s window at <= 20.
    rng = random.Random(7)
    now = [0.0]
    budget = FailureBudget(limit=20, window=30, clock=lambda: now[0])
    failures: list[float] = []
    ends: list[float] = []  # end times of the attempts in flight
    for _ in range(3000):
        while budget.delay() > 0:  # advance to the next event: an end or the budget's time
            now[0] = min([*ends, now[0] + budget.delay()])
            for end in [e for e in ends if e <= now[0]]:
                ends.remove(end)
                budget.release(failed=True)
                failures.append(end)
        budget.in_flight += 1
        ends.append(now[0] + rng.uniform(0.01, 5))
        now[0] += rng.uniform(0, 0.2)
        for end in [e for e in ends if e <= now[0]]:
            ends.remove(end)
            budget.release(failed=True)
            failures.append(end)
    failures.sort()
    worst = max(sum(1 for f in failures if start - 30 < f <= start) for start in failures)
    assert len(failures) > 1000 and worst <= 20


def test_acquire_waits_for_room() -> None:
    async def main() -> float:
        budget = FailureBudget(limit=2, window=0.2)
        budget.failed()
        budget.failed()  # the budget is spent until these leave the window
        loop = asyncio.get_running_loop()
        start = loop.time()
        await budget.acquire()
        assert budget.in_flight == 1
        return loop.time() - start

    assert asyncio.run(main()) >= 0.15  # it did wait for the window to pass


@pytest.mark.parametrize(
    ("error", "again"),
    [
        (RateLimitError("slow down", status=429, retry_after=2), True),
        (ServerError("oops", status=500), True),
        (ServerError("overloaded", status=503), True),
        (StreamError("model_overloaded", code="model_overloaded"), True),
        (ConnectionLostError("dropped"), True),
        (ConnectError("no route"), True),
        (ProtocolError("bad SSE"), True),
        (BadRequestError("bad", status=400), False),
        (AuthenticationError("who", status=401), False),
        (PaymentRequiredError("pay", status=402), False),
        (SchemaMismatchError("shape"), False),
    ],
)
def test_what_is_worth_another_attempt(error: Exception, again: bool) -> None:
    assert retryable(error) is again  # type: ignore[arg-type]


def test_retry_delay_honours_retry_after_and_holds_every_start() -> None:
    now = [0.0]
    gate = RateGate(clock=lambda: now[0])
    policy = RetryPolicy(base_delay=0.01, jitter=False)
    err = RateLimitError("slow down", status=429, retry_after=3)
    assert retry_delay(err, 1, 3, policy, gate) == pytest.approx(3)
    assert gate.delay() == pytest.approx(3)  # nobody starts before the Retry-After
    assert retry_delay(ServerError("x", status=500), 1, 3, policy, RateGate()) == 0.01
    assert retry_delay(ServerError("x", status=500), 4, 3, policy, gate) is None  # limit
    too_long = RateLimitError("slow down", status=429, retry_after=600)
    assert retry_delay(too_long, 1, 3, policy, gate) is None
    assert "asks to wait 600 s" in too_long.message
