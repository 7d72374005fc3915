"""One attempt at a request as a sans-IO state machine, shared by the sync and async drivers.

The drivers only move bytes: they report the status and headers, feed body bytes and say
when the body ended; this module turns that into deltas, a ``Reply`` and specific errors.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from venice_jupyter.api._accumulate import Accumulator, reply_from_body
from venice_jupyter.api._error_map import error_from_response
from venice_jupyter.api._headers import meta_from_headers
from venice_jupyter.api._sse import SSEDecoder, parse_data
from venice_jupyter.errors import (
    APIError,
    ConnectError,
    ConnectionLostError,
    ProtocolError,
    RequestTimeout,
    VeniceError,
)
from venice_jupyter.reply import Delta, Reply, ResponseMeta

__all__ = ["Attempt", "is_json", "map_transport_error", "parse_json_body", "reply_deltas"]


class Attempt:
    """One try at a request: its timings, SSE decoder and reply accumulator."""

    def __init__(self, attempt: int = 1) -> None:
        self.started = time.perf_counter()
        self.attempt = attempt
        self.decoder = SSEDecoder()
        self.acc = Accumulator()
        self.acc.reply.timings.attempts = attempt
        self.got_headers = False
        self.accepted = False  # a 2xx arrived: the server took the request (and may bill it)
        self.delivered = False
        self.done = False

    @property
    def reply(self) -> Reply:
        return self.acc.reply

    def _elapsed(self) -> float:
        return time.perf_counter() - self.started

    def on_headers(self, status: int, headers: Mapping[str, str]) -> ResponseMeta:
        self.got_headers = True
        self.accepted = status < 400
        self.reply.timings.ttfb = self._elapsed()
        self.reply.meta = meta_from_headers(status, headers)
        return self.reply.meta

    def error_for_status(self, status: int, headers: Mapping[str, str], body: bytes) -> APIError:
        err = error_from_response(
            status,
            body,
            request_id=headers.get("cf-ray"),
            retry_after=headers.get("retry-after"),
        )
        return err

    def on_bytes(self, data: bytes) -> list[Delta]:
        out: list[Delta] = []
        for event in self.decoder.feed(data):
            if self.done:
                continue  # nothing after [DONE] belongs to this reply
            chunk = parse_data(event)
            if chunk is None:
                self.done = True
                continue
            out.extend(self.acc.feed(chunk))
        if out and not self.delivered:
            self.delivered = True
            self.reply.timings.ttft = self._elapsed()
        return out

    def on_end(self) -> list[Delta]:
        """The body ended cleanly: the last deltas. Without [DONE] or finish reasons the
        stream was cut short, which is an error (what arrived stays in the partial reply)."""
        out: list[Delta] = []
        for event in self.decoder.finish():
            if not self.done:
                chunk = parse_data(event)
                if chunk is None:
                    self.done = True
                else:
                    out.extend(self.acc.feed(chunk))
        out.extend(self.acc.flush())
        finished = bool(self.reply.choices) and all(c.finish_reason for c in self.reply.choices)
        if not (self.done or finished):
            raise ConnectionLostError(
                "The stream ended before the reply was complete (no [DONE] and no finish "
                "reason); what arrived is kept."
            )
        self.reply.timings.total = self._elapsed()
        self.acc.finish()
        return out

    def on_json(self, body: bytes) -> Reply:
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            raise ProtocolError(f"The server sent a body that is not JSON: {body[:200]!r}") from exc
        if not isinstance(parsed, dict):
            raise ProtocolError(f"The server sent JSON that is not an object: {body[:200]!r}")
        reply = reply_from_body(parsed)
        reply.meta = self.reply.meta
        reply.timings = self.reply.timings
        reply.timings.total = self._elapsed()
        reply.timings.ttft = reply.timings.total
        return reply

    def on_whole(self, body: bytes) -> list[Delta]:
        """A server that answered a stream request with one JSON body: that reply, as deltas."""
        reply = self.on_json(body)
        self.acc.reply = reply
        return reply_deltas(reply)

    def fail(self, error: VeniceError) -> VeniceError:
        """Attach what was streamed so far, so the caller can keep it."""
        self.reply.timings.total = self._elapsed()
        self.acc.flush()
        error.partial = self.reply
        return error


def map_transport_error(exc: httpx.HTTPError, got_headers: bool, url: str) -> VeniceError:
    """httpx's exceptions -> ours, with a message that says what happened and where."""
    where = url.split("?")[0]
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__.replace("Timeout", "").lower() or "request"
        return RequestTimeout(
            f"Timed out ({kind}) waiting for {where}. Raise the timeout "
            "(`%venice set timeout=…` or Timeouts(read=…)) or try again."
        )
    if not got_headers and isinstance(
        exc, (httpx.ConnectError, httpx.NetworkError, httpx.RemoteProtocolError)
    ):
        return ConnectError(
            f"Could not get a response from {where}: {exc or type(exc).__name__}. "
            "Check the network and VENICE_BASE_URL."
        )
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        return ConnectionLostError(
            f"The connection to {where} was lost mid-reply ({exc or type(exc).__name__}); "
            "what arrived is kept."
        )
    return ProtocolError(f"HTTP error talking to {where}: {exc or type(exc).__name__}")


def parse_json_body(body: bytes, url: str) -> Any:
    """A JSON answer (e.g. /models); anything else, such as a proxy's HTML page, is an error."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        where = url.split("?")[0]
        raise ProtocolError(f"{where} did not answer with JSON ({exc}): {body[:200]!r}") from None


def is_json(headers: Mapping[str, str]) -> bool:
    return headers.get("content-type", "").split(";")[0].strip() == "application/json"


def reply_deltas(reply: Reply) -> list[Delta]:
    """A whole reply as deltas, for servers that answer a stream request with plain JSON."""
    out = []
    for choice in reply.choices:
        if choice.reasoning:
            out.append(Delta(choice.index, "reasoning", choice.reasoning))
        if choice.content:
            out.append(Delta(choice.index, "content", choice.content))
    return out
