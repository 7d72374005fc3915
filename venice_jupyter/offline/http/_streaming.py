"""Writing a completion to the wire: SSE for ``stream: true``, one JSON body otherwise.

A stream is ``role`` chunk per choice, one chunk per event (token), a ``finish_reason`` chunk
per choice, the web-search citations chunk (only with include_search_results_in_stream), the
usage chunk (``choices: []``, usage and cost — always, whatever stream_options says), then
``data: [DONE]``. The faults that act mid-response (drop, malformed, inband_error,
usage_no_choices, split_utf8, delay) are applied here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final

from venice_jupyter.offline.http._faults import Fault
from venice_jupyter.offline.http._responder import Responder
from venice_jupyter.offline.http._wire import ChunkRenderer, completion_body
from venice_jupyter.offline.replies import AnyCompletion, TextDelta

__all__ = ["write_body", "write_stream"]

_MALFORMED: Final = b'data: {"id":"chatcmpl-broken","choices":[{"index":0,"delta":{"content":"\n\n'
_SPLIT_PAUSE: Final = 0.002  # lets each piece leave as its own TCP segment
_TRIGGERED: Final = ("drop", "malformed", "inband_error")


def _split_points(data: bytes) -> list[int]:
    """Offsets one byte into every multi-byte UTF-8 character: cutting there splits it."""
    return [i + 1 for i, byte in enumerate(data) if byte >= 0xC0]


def _writer(handler: Responder, fault: Fault | None) -> Callable[[bytes], None]:
    if fault is None or fault.kind != "split_utf8":
        return handler.write_chunk
    stopping = handler.context.stopping

    def write(data: bytes) -> None:
        start = 0
        for cut in [*_split_points(data), len(data)]:
            if cut > start:
                handler.write_chunk(data[start:cut])
                start = cut
                if cut < len(data):
                    stopping.wait(_SPLIT_PAUSE)

    return write


def _inband_error(fault: Fault) -> dict[str, object]:
    return {
        "error": {
            "message": fault.message or "The model is overloaded. Please try again later.",
            "type": "server_error",
            "code": fault.code or "model_overloaded",
            "param": None,
            "retry_after": 30 if fault.retry_after is None else fault.retry_after,
        }
    }


def write_stream(
    handler: Responder, completion: AnyCompletion, headers: dict[str, str], fault: Fault | None
) -> None:
    write = _writer(handler, fault)
    stopping = handler.context.stopping
    render = ChunkRenderer(completion)
    trigger = fault if fault is not None and fault.kind in _TRIGGERED else None
    delay = fault.seconds if fault is not None and fault.kind == "delay" else 0.0

    def send(text: str) -> None:
        write(f"data: {text}\n\n".encode())

    def fire(active: Fault) -> None:
        if active.kind == "drop":
            handler.drop()
            return
        if active.kind == "malformed":
            write(_MALFORMED)
            return
        send(json.dumps(_inband_error(active)))
        send("[DONE]")
        handler.end_stream()

    handler.start_stream(headers)
    for index in range(completion.plan.n):
        send(render.role(index))
    sent = 0
    for index, event in completion.interleaved():
        if trigger is not None and sent >= trigger.after_tokens:
            fire(trigger)
            if trigger.kind != "malformed":
                return
            trigger = None
        if (delay and stopping.wait(delay)) or stopping.is_set():
            handler.drop()
            return
        send(render.event(index, event))
        if isinstance(event, TextDelta) and event.kind == "content":
            sent += 1
    if trigger is not None:
        fire(trigger)
        if trigger.kind != "malformed":
            return
    plan = completion.plan
    if plan.citations and plan.venice["include_search_results_in_stream"]:
        send(render.citations())
    send(render.usage(with_choices=fault is None or fault.kind != "usage_no_choices"))
    send("[DONE]")
    handler.end_stream()


def write_body(
    handler: Responder, completion: AnyCompletion, headers: dict[str, str], fault: Fault | None
) -> None:
    kind = fault.kind if fault is not None else None
    if kind == "delay" and fault is not None and handler.context.stopping.wait(fault.seconds):
        handler.drop()
        return
    body = completion_body(completion)
    if kind == "inband_error" and fault is not None:
        handler.send_json(200, _inband_error(fault), headers)
        return
    data = json.dumps(body, ensure_ascii=False).encode()
    if kind not in ("drop", "malformed", "split_utf8"):
        handler.send_json(200, body, headers, compress=True, data=data)
        return
    cut = len(data) // 2
    if kind == "malformed":
        data = data[:cut]
    handler.send_json_head(200, len(data), headers)
    if kind == "drop":
        handler.wfile.write(data[:cut])
        handler.drop()
        return
    start = 0
    stopping = handler.context.stopping
    for point in [*_split_points(data), len(data)]:
        if point > start:
            handler.wfile.write(data[start:point])
            start = point
            stopping.wait(_SPLIT_PAUSE)
