"""What Venice's error answers mean: a status and body, or an in-band stream chunk, to an error.

Venice sends errors in several body shapes (``{"error": "…"}``, ``{"error": {message, code}}``,
Zod ``details``, ``issues`` lists); ``describe_body`` reads them all into one line a person can
act on, and the status picks the class in :mod:`venice_jupyter.errors`' tree, with advice.
"""

from __future__ import annotations

import json
from typing import Any

from venice_jupyter.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamError,
)

__all__ = ["describe_body", "error_from_response", "error_from_stream_chunk", "parse_retry_after"]

CREDITS_URL = "https://venice.ai/settings/api"

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: BadRequestError,
    415: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
}

_ADVICE: dict[type[APIError], str] = {
    AuthenticationError: "Check the API key: set VENICE_API_KEY or run `%venice key`.",
    PaymentRequiredError: (
        "Your Venice balance or this key's spend limit does not cover the request; "
        f"add credits or raise the limit at {CREDITS_URL}."
    ),
    PermissionDeniedError: "This key or region may not use this model or endpoint.",
    NotFoundError: "Check the model id with `%venice models`.",
    RateLimitError: "Rate limit reached; wait and try again, or lower the concurrency.",
    ServerError: "Venice had a server-side problem; try again shortly.",
}


def _flatten_details(details: Any, path: str = "") -> list[str]:
    """Zod-style ``{"_errors": [...], "field": {"_errors": [...]}}`` to ``field: reason`` lines."""
    if isinstance(details, str):
        return [details]
    out: list[str] = []
    if isinstance(details, dict):
        for reason in details.get("_errors", []) or []:
            out.append(f"{path}: {reason}" if path else str(reason))
        for key, sub in details.items():
            if key != "_errors":
                out.extend(_flatten_details(sub, f"{path}.{key}" if path else str(key)))
    return out


def _issues_lines(issues: Any) -> list[str]:
    lines = []
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, dict):
            where = ".".join(str(p) for p in issue.get("path", []) or [])
            text = str(issue.get("message", issue))
            lines.append(f"{where}: {text}" if where else text)
    return lines


def describe_body(body: Any) -> tuple[str, str | None]:
    """(message, code) from any of Venice's error body shapes."""
    if isinstance(body, dict):
        err = body.get("error")
        code = body.get("code") if isinstance(body.get("code"), str) else None
        if isinstance(err, dict):
            message = str(err.get("message") or err.get("type") or "error")
            code = str(err["code"]) if err.get("code") else code
        elif isinstance(err, list):
            message = "; ".join(_issues_lines(err)) or json.dumps(err)[:300]
            if err and isinstance(err[0], dict) and err[0].get("code"):
                code = str(err[0]["code"])
        elif err is not None:
            message = str(err)
        else:
            message = str(body.get("message") or json.dumps(body)[:300])
        reasons = _issues_lines(body.get("issues")) or _flatten_details(body.get("details"))
        if reasons:
            message += " (" + "; ".join(reasons) + ")"
        return message, code
    if isinstance(body, list):
        return "; ".join(_issues_lines(body)) or json.dumps(body)[:300], None
    if isinstance(body, str) and body.strip():
        return body.strip()[:300], None
    return "", None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form) or None."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds)


def _no_credentials(body: Any) -> bool:
    """Venice answers 402, not 401, to a request that carried no credentials at all: an x402
    discovery body saying "Authentication required" (spec/API-NOTES.md §3.2, §6). Its cure
    is a key, not credits."""
    return isinstance(body, dict) and (
        "x402Version" in body or body.get("error") == "Authentication required"
    )


def error_from_response(
    status: int,
    raw: bytes,
    *,
    request_id: str | None = None,
    retry_after: str | None = None,
) -> APIError:
    try:
        body: Any = json.loads(raw.decode("utf-8", "replace")) if raw else None
    except (ValueError, RecursionError):
        body = raw.decode("utf-8", "replace")
    detail, code = describe_body(body)
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    if status == 402 and _no_credentials(body):
        cls = AuthenticationError
    message = f"Venice API error {status}"
    if detail:
        message += f": {detail}"
    advice = _ADVICE.get(cls)
    if advice:  # the server's detail may end with its own full stop
        message = message.rstrip(".") + f". {advice}"
    if request_id:
        message += f" (request id {request_id})"
    return cls(
        message,
        status=status,
        code=code,
        body=body,
        request_id=request_id,
        retry_after=parse_retry_after(retry_after),
    )


def error_from_stream_chunk(chunk: dict[str, Any], request_id: str | None = None) -> StreamError:
    """An in-band ``data: {"error": …}`` event: the stream ends with this error."""
    detail, code = describe_body(chunk)
    err = chunk.get("error")
    retry_after = err.get("retry_after") if isinstance(err, dict) else None
    message = f"The stream was ended by an error from Venice: {detail or 'unknown error'}"
    if code:
        message += f" [{code}]"
    return StreamError(
        message,
        status=200,
        code=code,
        body=chunk,
        request_id=request_id,
        retry_after=float(retry_after) if isinstance(retry_after, (int, float)) else None,
    )
