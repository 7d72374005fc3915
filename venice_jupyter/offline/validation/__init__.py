"""What the offline server refuses, and how it says so: the request body checked the way
Venice's zod schema checks it, and error answers in Venice's body shapes."""

from venice_jupyter.offline.validation._errors import (
    STATUS_MESSAGES,
    HttpError,
    capability_error,
    error_body,
)
from venice_jupyter.offline.validation._request import (
    VENICE_PARAMETERS,
    RequestInvalid,
    detailed_error,
    validate_request,
)

__all__ = [
    "STATUS_MESSAGES",
    "VENICE_PARAMETERS",
    "HttpError",
    "RequestInvalid",
    "capability_error",
    "detailed_error",
    "error_body",
    "validate_request",
]
