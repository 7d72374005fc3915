"""Every Venice error body shape maps to a specific class with a human message."""

from __future__ import annotations

import json

import pytest

from venice_jupyter import errors as e
from venice_jupyter.api import _error_map as api_errors


def resp(status: int, body: object, **kw: str) -> e.APIError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api_errors.error_from_response(status, raw, **kw)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, e.BadRequestError),
        (401, e.AuthenticationError),
        (402, e.PaymentRequiredError),
        (403, e.PermissionDeniedError),
        (404, e.NotFoundError),
        (413, e.BadRequestError),
        (415, e.BadRequestError),
        (422, e.BadRequestError),
        (429, e.RateLimitError),
        (500, e.ServerError),
        (502, e.ServerError),
        (503, e.ServerError),
        (504, e.ServerError),
        (418, e.APIError),
    ],
)
def test_status_maps_to_class(status: int, cls: type[e.APIError]) -> None:
    err = resp(status, {"error": "boom"})
    assert type(err) is cls
    assert err.status == status
    assert str(status) in str(err) and "boom" in str(err)


def test_string_error_body() -> None:
    err = resp(402, {"error": "Insufficient USD or Diem balance to complete request."})
    assert "Insufficient USD or Diem balance" in str(err)
    assert "venice.ai/settings/api" in str(err)  # says where to add credits


def test_401_says_how_to_set_key() -> None:
    err = resp(401, {"error": "Authentication failed"})
    assert "VENICE_API_KEY" in str(err) and "%venice key" in str(err)


def test_object_error_body_with_code() -> None:
    body = {
        "error": {
            "message": "Your request exceeds the model's maximum context",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
    err = resp(400, body)
    assert err.code == "context_length_exceeded"
    assert "maximum context" in str(err)


def test_detailed_error_lists_fields() -> None:
    body = {
        "error": "Invalid request parameters",
        "details": {"_errors": [], "temperature": {"_errors": ["Number must be <= 2"]}},
    }
    err = resp(400, body)
    assert "temperature: Number must be <= 2" in str(err)


def test_issues_preferred_over_details() -> None:
    body = {
        "error": "Invalid request parameters",
        "details": "ignored",
        "issues": [{"path": ["top_p"], "message": "Number must be <= 1"}],
    }
    assert "top_p: Number must be <= 1" in str(resp(400, body))


def test_array_error_body() -> None:
    body = {
        "error": [
            {
                "code": "unrecognized_keys",
                "keys": ["thinking"],
                "path": [],
                "message": "Unrecognized key(s) in object: 'thinking'",
            }
        ]
    }
    err = resp(400, body)
    assert "Unrecognized key(s) in object: 'thinking'" in str(err)
    assert err.code == "unrecognized_keys"


def test_non_json_body_and_request_id_and_retry_after() -> None:
    err = resp(503, b"<html>upstream down</html>", request_id="abc-DFW", retry_after="7")
    assert isinstance(err, e.ServerError)
    assert "upstream down" in str(err) and "abc-DFW" in str(err)
    assert err.retry_after == 7.0


def test_bad_retry_after_is_ignored() -> None:
    assert resp(429, {"error": "slow down"}, retry_after="soon").retry_after is None


def test_stream_chunk_error() -> None:
    chunk = {
        "error": {
            "message": "Model overloaded",
            "type": "server_error",
            "code": "model_overloaded",
            "param": None,
            "retry_after": 30,
        }
    }
    err = api_errors.error_from_stream_chunk(chunk)
    assert isinstance(err, e.StreamError)
    assert err.code == "model_overloaded" and err.retry_after == 30
    assert "Model overloaded" in str(err)


def test_parameter_error_names_field_value_and_range() -> None:
    err = e.ParameterError("temperature", 3.5, "a number from 0 to 2")
    assert str(err) == "temperature: 3.5 is not allowed; expected a number from 0 to 2."
    assert isinstance(err, ValueError)


def test_repr_is_short_and_typed() -> None:
    assert repr(e.ConnectError("no route")) == "ConnectError('no route')"
