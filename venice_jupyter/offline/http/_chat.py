"""POST /chat/completions: auth, faults, validation, then a streamed or whole reply.

Order of checks, as seen from a client: a queued fault is consumed first (it stands for the
network or the platform failing); then auth (no Authorization header at all -> 402 x402
discovery body, a wrong key -> 401, per spec/API-NOTES.md §3.2), content type, JSON, the schema, the
model (404), capabilities, rate limit and balance. Every JSON body that parses is recorded in
``context.requests`` before anything else happens (faults included), so tests can validate what
clients sent and wait for a request to arrive.
"""

from __future__ import annotations

import json
from typing import Any, Final

from venice_jupyter.offline.http._faults import Fault
from venice_jupyter.offline.http._responder import Responder
from venice_jupyter.offline.http._streaming import write_body, write_stream
from venice_jupyter.offline.models import OfflineModel, resolve
from venice_jupyter.offline.replies import Completion, LocalCompletion, make_plan
from venice_jupyter.offline.validation import (
    HttpError,
    RequestInvalid,
    detailed_error,
    error_body,
    validate_request,
)

__all__ = ["handle_chat"]

_X402: Final = {
    "x402Version": 2,
    "error": "Authentication required",
    "resource": {"url": "/api/v1/chat/completions", "description": "Venice chat completions"},
    "accepts": [],
}


def _early_fault(handler: Responder, fault: Fault) -> bool:
    """Faults that act before any response; True when the request is finished."""
    stopping = handler.context.stopping
    if fault.kind == "slow_first_byte":
        stopping.wait(fault.seconds)
        return stopping.is_set()
    if fault.kind == "hang":
        stopping.wait()
        handler.drop()
        return True
    if fault.kind == "reset":
        handler.drop(reset=True)
        return True
    if fault.kind == "status":
        body = (
            fault.body
            if fault.body is not None
            else error_body(fault.status, fault.shape, fault.message, fault.code)
        )
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        handler.send_json(fault.status, body, headers)
        return True
    return False


def _authorize(handler: Responder) -> None:
    key = handler.context.api_key
    if key is None:
        return
    header = handler.headers.get("Authorization")
    if header is None:
        raise HttpError(402, _X402)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or token.strip() != key:
        raise HttpError(401, {"error": "Authentication failed"})


def _model_headers(model: OfflineModel) -> dict[str, str]:
    headers = {"x-venice-model-id": model.id, "x-venice-model-name": model.name}
    if model.deprecation_date:
        headers["x-venice-model-deprecation-warning"] = (
            f"{model.id} is deprecated and will be removed on {model.deprecation_date[:10]}. "
            f"Use {model.replacement} instead."
        )
        headers["x-venice-model-deprecation-date"] = model.deprecation_date
    return headers


_UNPARSED: Final = object()


def _parse(handler: Responder, raw: bytes) -> Any:
    """The JSON body (recorded), or ``_UNPARSED``."""
    try:
        body = json.loads(raw)
    except ValueError:
        return _UNPARSED
    handler.context.record(body)
    return body


def _check_body(handler: Responder, raw: bytes, body: Any) -> None:
    _authorize(handler)
    content_type = handler.headers.get("Content-Type", "")
    if raw and "application/json" not in content_type.lower():
        raise HttpError(400, {"error": "'Content-Type' must be 'application/json'"})
    if body is _UNPARSED:
        raise HttpError(400, {"error": "Invalid JSON request"})


def handle_chat(handler: Responder) -> None:
    context = handler.context
    raw = handler.read_body()
    body = _parse(handler, raw)
    fault = context.faults.pop()
    if fault is not None and _early_fault(handler, fault):
        return
    _check_body(handler, raw, body)
    try:
        body = validate_request(body)
    except RequestInvalid as invalid:
        raise HttpError(400, detailed_error(invalid.issues)) from None
    found = resolve(body["model"])
    if found is None:
        raise HttpError(404, {"error": f"Specified model not found: {body['model']}"})
    model, suffix = found
    headers = _model_headers(model)
    try:
        plan = make_plan(body, model, suffix)
        answer = fault.answer_text if fault is not None else None
        completion = context.completion(plan, body["messages"], answer)
        headers.update(context.accounting.admit())
    except HttpError as error:
        handler.send_error_json(error, headers)
        return
    if model.cache_input_usd is not None and isinstance(completion, Completion):
        # a model that caches prompts (n-gram ones; the real model prices no cache)
        use = context.prompt_cache.use(
            handler.headers.get("Authorization", ""),
            body.get("prompt_cache_key"),
            model.id,
            body["messages"],
            explicit=model.cache_write_usd is not None,
            limit=plan.prompt_tokens,
        )
        completion.cache_read, completion.cache_write = use.read, use.written
    try:
        if plan.stream:
            write_stream(handler, completion, headers, fault)
        else:
            write_body(handler, completion, headers, fault)
    finally:
        if isinstance(completion, LocalCompletion):
            completion.close()  # a client that left mid-stream must not keep the model
    usage = completion.usage()
    context.accounting.charge(usage["total_tokens"], completion.cost()["usd"])
