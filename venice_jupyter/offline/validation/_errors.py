"""Error responses the offline server sends, in Venice's body shapes (see spec/API-NOTES.md §3)."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["STATUS_MESSAGES", "HttpError", "capability_error", "error_body"]

STATUS_MESSAGES: Final = {
    400: "Invalid request parameters",
    401: "Authentication failed",
    402: "Insufficient USD or Diem balance to complete request. Visit "
    "https://venice.ai/settings/api to add credits.",
    403: "Unauthorized access",
    404: "Not found",
    413: "Request payload too large",
    415: "Invalid content type",
    422: "Content policy violation",
    429: "Rate limit exceeded",
    500: "Inference processing failed",
    502: "Bad gateway",
    503: "The model is at capacity. Please try again later.",
    504: "The request timed out. For long-running inference requests, use the streaming API "
    "by setting stream=true in your request.",
}
_TYPES: Final = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}


class HttpError(Exception):
    """An error response: status, JSON body and extra headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def error_body(
    status: int, shape: str = "string", message: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """``{"error": "..."}`` (string), OpenAI-style (object) or zod-style (detailed)."""
    text = message or STATUS_MESSAGES.get(status, "Unknown error")
    if shape == "object":
        kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
        return {"error": {"message": text, "type": kind, "code": code, "param": None}}
    if shape == "detailed":
        return {
            "error": "Invalid request parameters",
            "details": {"_errors": [text]},
            "issues": [{"code": code or "custom", "path": [], "message": text}],
        }
    return {"error": text}


def capability_error(feature: str) -> HttpError:
    return HttpError(400, {"error": f"{feature} is not supported by this model"})
