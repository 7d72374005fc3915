"""Every error venice-jupyter raises, as one small tree.

    VeniceError                    base: ``str(err)`` is a message written for a person
    ├── ConfigError                local set-up is wrong; nothing was sent
    │   └── MissingKeyError        no API key for a server that needs one
    ├── ParameterError             a request value is invalid; nothing was sent
    │   └── CapabilityError        the model lacks what the request needs
    ├── APIError                   the server answered with an error (status, code, body)
    │   ├── BadRequestError        400 / 413 / 415 / 422
    │   ├── AuthenticationError    401, or 402 "Authentication required" (no key sent)
    │   ├── PaymentRequiredError   402: balance or spend limit
    │   ├── PermissionDeniedError  403
    │   ├── NotFoundError          404: unknown model or character
    │   ├── RateLimitError         429 (retried)
    │   ├── ServerError            5xx (500, 502, 503, 504 retried)
    │   └── StreamError            an in-band ``{"error": …}`` chunk inside a 200 stream
    ├── TransportError             the network failed
    │   ├── ConnectError           before any response (retried)
    │   ├── ConnectionLostError    the connection dropped mid-response
    │   └── RequestTimeout         a connect/read/write/pool timeout
    ├── ProtocolError              the server sent something that is not valid SSE or JSON
    ├── SchemaMismatchError        the answer does not fit the schema asked for (in ``partial``)
    └── StreamCancelled            the user stopped the stream (interrupt, Stop button)

Errors raised after part of a reply was streamed carry it in ``partial`` (a ``Reply``), so
nothing that was already shown is lost. No error ever holds the API key or request headers.
Which error a server's answer becomes is decided in ``_error_map``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from venice_jupyter.reply import Reply

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CapabilityError",
    "ConfigError",
    "ConnectError",
    "ConnectionLostError",
    "MissingKeyError",
    "NotFoundError",
    "ParameterError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "RequestTimeout",
    "SchemaMismatchError",
    "ServerError",
    "StreamCancelled",
    "StreamError",
    "TransportError",
    "VeniceError",
]


class VeniceError(Exception):
    """Base class. ``str(err)`` is the human message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.partial: Reply | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigError(VeniceError):
    pass


class MissingKeyError(ConfigError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "No Venice API key is set. Set the VENICE_API_KEY environment variable, run "
            "`%venice key` in a notebook, or pass api_key= to the client. Without a key, "
            "`%venice offline` uses the built-in offline server."
        )


class ParameterError(VeniceError, ValueError):
    """An invalid request value: names the field, the value and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str, *, hint: str = "") -> None:
        # JSON's spelling for what a user types as true/false/null; Python's repr otherwise.
        shown = (
            {True: "true", False: "false"}.get(value, repr(value))
            if isinstance(value, bool)
            else "null"
            if value is None
            else repr(value)
        )
        if len(shown) > 80:
            shown = shown[:77] + "..."
        message = f"{field}: {shown} is not allowed; expected {allowed}."
        if hint:
            message += f" {hint}"
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed
        self.hint = hint


class CapabilityError(ParameterError):
    """The chosen model does not support a feature the request uses."""


class APIError(VeniceError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        body: Any = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body
        self.request_id = request_id
        self.retry_after = retry_after


class BadRequestError(APIError):
    pass


class AuthenticationError(APIError):
    pass


class PaymentRequiredError(APIError):
    pass


class PermissionDeniedError(APIError):
    pass


class NotFoundError(APIError):
    pass


class RateLimitError(APIError):
    pass


class ServerError(APIError):
    pass


class StreamError(APIError):
    pass


class TransportError(VeniceError):
    pass


class ConnectError(TransportError):
    pass


class ConnectionLostError(TransportError):
    pass


class RequestTimeout(TransportError):
    pass


class ProtocolError(VeniceError):
    pass


class SchemaMismatchError(VeniceError):
    pass


class StreamCancelled(VeniceError):
    pass
