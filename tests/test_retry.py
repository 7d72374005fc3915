"""Which failures are retried, and how long the client waits."""

from __future__ import annotations

import random

import pytest

from venice_jupyter import errors as e
from venice_jupyter.api._retry import RetryPolicy


def api(status: int, retry_after: float | None = None) -> e.APIError:
    return e.APIError("x", status=status, retry_after=retry_after)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retried_statuses(status: int) -> None:
    assert RetryPolicy().should_retry(api(status), attempt=1, delivered=False)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413, 415, 422, 501])
def test_other_statuses_never_retried(status: int) -> None:
    assert not RetryPolicy().should_retry(api(status), attempt=1, delivered=False)


def test_connection_errors_retried_only_before_delivery() -> None:
    policy = RetryPolicy()
    assert policy.should_retry(e.ConnectError("x"), 1, delivered=False)
    assert policy.should_retry(e.RequestTimeout("x"), 1, delivered=False)
    assert not policy.should_retry(e.ConnectError("x"), 1, delivered=True)
    assert not policy.should_retry(api(503), 1, delivered=True)
    assert not policy.should_retry(e.ConnectionLostError("x"), 1, delivered=False)
    assert not policy.should_retry(e.StreamError("x", status=200), 1, delivered=False)


def test_attempt_limit() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(api(500), 2, False)
    assert not policy.should_retry(api(500), 3, False)


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=False)
    assert [policy.delay(api(500), n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 5, 5]


def test_jitter_stays_within_half_to_full() -> None:
    policy = RetryPolicy(base_delay=1.0, _rng=random.Random(3))
    delays = [policy.delay(api(500), 3) for _ in range(200)]
    assert min(delays) >= 2.0 and max(delays) <= 4.0 and len(set(delays)) > 100


def test_retry_after_is_a_floor_and_a_huge_one_is_not_waited() -> None:
    policy = RetryPolicy(base_delay=0.1, jitter=False, max_retry_after=60)
    assert policy.delay(api(429, retry_after=7), 1) == 7
    assert not policy.should_retry(api(429, retry_after=3600), 1, False)
