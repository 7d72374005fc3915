"""What one attempt at a row tells the batch: whether to try again, and when.

The batch's client never retries on its own (``NO_RETRIES``): every attempt passes the rate
gate and the error budget, and is counted. A row is tried again after a failure of the server
or the network (429, 5xx, a dropped or malformed stream, an in-band error such as
``model_overloaded``), never after one of the request (400, 401, 402, 404 …), at most
``retries`` times, after the retry policy's backoff (Retry-After is its floor). A 429 or 503,
or any Retry-After, holds every new start as long: the key or the model is saturated.
"""

from __future__ import annotations

from typing import Final

from venice_jupyter.api import RETRY_STATUSES, RateGate, RetryPolicy
from venice_jupyter.errors import APIError, ProtocolError, StreamError, TransportError, VeniceError
from venice_jupyter.render import ToolView
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared

__all__ = ["HOLDING_STATUSES", "NO_RETRIES", "GateSink", "retry_delay", "retryable"]

NO_RETRIES: Final = RetryPolicy(max_retries=0)
HOLDING_STATUSES: Final = frozenset({429, 503})


def retryable(error: VeniceError) -> bool:
    """Worth another attempt: the server or the network failed, not the request."""
    if isinstance(error, StreamError):
        return True  # in-band, inside a 200 stream: model_overloaded, upstream errors
    if isinstance(error, APIError):
        return error.status in RETRY_STATUSES
    return isinstance(error, (TransportError, ProtocolError))


def retry_delay(
    error: VeniceError, attempt: int, retries: int, policy: RetryPolicy, gate: RateGate
) -> float | None:
    """Seconds before attempt ``attempt + 1``, or None when the row keeps ``error``."""
    if not retryable(error) or attempt > retries:
        return None
    retry_after = error.retry_after if isinstance(error, APIError) else None
    if retry_after is not None and retry_after > policy.max_retry_after:
        error.message += f" The server asks to wait {retry_after:g} s; the row was not retried."
        error.args = (error.message,)
        return None
    delay = policy.delay(error, attempt)
    if isinstance(error, APIError) and (error.status in HOLDING_STATUSES or retry_after):
        gate.hold(delay)
    return delay


class GateSink:
    """A row's sink: lets the rate gate see the budget as soon as the headers are in."""

    def __init__(self, gate: RateGate) -> None:
        self.gate = gate
        self.noted = False

    def on_start(self, prepared: Prepared) -> None:
        pass

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        if not self.noted:
            self.noted = True
            self.gate.note(reply.meta)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        pass

    def on_tool(self, view: ToolView) -> None:
        pass  # a row's tool calls show in its result, not as they run

    def on_finish(self, reply: Reply) -> None:
        self.gate.note(reply.meta)

    def on_error(self, error: VeniceError) -> None:
        if error.partial is not None:
            self.gate.note(error.partial.meta)
