"""Every fault kind of the offline lenient_server, injected from Python and over HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.sse_events import parse_sse
from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.offline.http._faults import SPLIT_UTF8_TEXT, U2028_TEXT

PROMPT = [{"role": "user", "content": "Tell me about bread"}]


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "venice-offline", "messages": PROMPT, "max_tokens": 12, **extra}


def read_stream(http: httpx.Client, **extra: Any) -> tuple[bytes, BaseException | None]:
    """The raw bytes that arrived, and the transport error that ended them (if any)."""
    data = b""
    try:
        with http.stream("POST", "/chat/completions", json=body(stream=True, **extra)) as r:
            for piece in r.iter_raw():
                data += piece
    except httpx.TransportError as exc:
        return data, exc
    return data, None


def contents(events: list[Any]) -> list[str]:
    return [
        e["choices"][0]["delta"]["content"]
        for e in events
        if isinstance(e, dict) and e.get("choices") and "content" in e["choices"][0]["delta"]
    ]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            Fault("status", status=503),
            {"error": "The model is at capacity. Please try again later."},
        ),
        (
            Fault("status", status=429, shape="object", message="slow down", code="rate_limited"),
            {
                "error": {
                    "message": "slow down",
                    "type": "rate_limit_error",
                    "code": "rate_limited",
                    "param": None,
                }
            },
        ),
        (
            Fault("status", status=400, shape="detailed", message="bad field"),
            {
                "error": "Invalid request parameters",
                "details": {"_errors": ["bad field"]},
                "issues": [{"code": "custom", "path": [], "message": "bad field"}],
            },
        ),
        (Fault("status", status=418, body=["anything", 1]), ["anything", 1]),
    ],
)
def test_status_fault_bodies(
    lenient_server: OfflineServer, http: httpx.Client, fault: Fault, expected: Any
) -> None:
    lenient_server.inject(fault)
    r = http.post("/chat/completions", json=body())
    assert r.status_code == fault.status and r.json() == expected
    assert r.headers["cf-ray"]
    assert http.post("/chat/completions", json=body()).status_code == 200  # consumed


def test_status_fault_retry_after_headers_and_times(
    lenient_server: OfflineServer, http: httpx.Client
) -> None:
    lenient_server.inject(
        Fault("status", status=429, retry_after=2, headers={"x-test": "1"}, times=2)
    )
    for _ in range(2):
        r = http.post("/chat/completions", json=body())
        assert (r.status_code, r.headers["retry-after"], r.headers["x-test"]) == (429, "2", "1")
    assert http.post("/chat/completions", json=body()).status_code == 200


def test_faults_apply_in_fifo_order(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("status", status=500), Fault("status", status=502))
    statuses = [http.post("/chat/completions", json=body()).status_code for _ in range(3)]
    assert statuses == [500, 502, 200]


def test_reset(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("reset"))
    with pytest.raises(httpx.TransportError):
        http.post("/chat/completions", json=body())
    assert http.post("/chat/completions", json=body()).status_code == 200


def test_drop_mid_stream(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("drop", after_tokens=3))
    data, error = read_stream(http)
    assert isinstance(error, httpx.RemoteProtocolError)
    events = parse_sse(data)
    assert len(contents(events)) == 1 + 3  # role chunk + 3 tokens
    assert "[DONE]" not in events


def test_drop_non_streaming(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("drop"))
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/chat/completions", json=body())


def test_malformed(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("malformed", after_tokens=2))
    data, error = read_stream(http)
    assert error is None
    events = parse_sse(data, strict=False)
    broken = [e for e in events if isinstance(e, str) and e != "[DONE]"]
    assert len(broken) == 1
    assert events.index(broken[0]) == 3  # after the role chunk and two tokens
    assert events[-1] == "[DONE]"
    lenient_server.inject(Fault("malformed"))
    with pytest.raises(json.JSONDecodeError):
        http.post("/chat/completions", json=body()).json()


def test_inband_error(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("inband_error", after_tokens=2))
    data, error = read_stream(http)
    assert error is None
    events = parse_sse(data)
    assert len(contents(events)) == 3 and events[-1] == "[DONE]"
    assert events[-2] == {
        "error": {
            "message": "The model is overloaded. Please try again later.",
            "type": "server_error",
            "code": "model_overloaded",
            "param": None,
            "retry_after": 30,
        }
    }


def test_usage_without_choices(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("usage_no_choices"))
    events = parse_sse(read_stream(http)[0])
    usage = events[-2]
    assert "usage" in usage and "choices" not in usage


def test_u2028_is_sent_raw(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("u2028"))
    data, _ = read_stream(http)
    assert "\u2028".encode() in data and "\u2029".encode() in data
    assert b"\\u2028" not in data
    assert "".join(contents(parse_sse(data))) == U2028_TEXT


def test_split_utf8(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("split_utf8"))
    pieces: list[bytes] = []
    with http.stream("POST", "/chat/completions", json=body(stream=True)) as r:
        pieces.extend(r.iter_raw())
    undecodable = 0
    for piece in pieces:
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError:
            undecodable += 1
    assert undecodable > 0  # some reads end inside a multi-byte character
    text = "".join(contents(parse_sse(b"".join(pieces))))
    assert text == SPLIT_UTF8_TEXT and "é" in text and "😀" in text and "中文" in text
    lenient_server.inject(Fault("split_utf8"))
    whole = http.post("/chat/completions", json=body())
    assert whole.json()["choices"][0]["message"]["content"] == SPLIT_UTF8_TEXT


def test_slow_first_byte_and_delay(lenient_server: OfflineServer, http: httpx.Client) -> None:
    lenient_server.inject(Fault("slow_first_byte", seconds=0.3))
    start = time.perf_counter()
    assert http.post("/chat/completions", json=body()).status_code == 200
    assert time.perf_counter() - start >= 0.3
    lenient_server.inject(Fault("delay", seconds=0.05))
    start = time.perf_counter()
    data, _ = read_stream(http, max_tokens=4)
    assert time.perf_counter() - start >= 0.2 and parse_sse(data)[-1] == "[DONE]"


@pytest.mark.parametrize(
    "text",
    ["Exactly this answer.", 'data: [DONE]\n\n{"choices": []}\r\n<script>x</script> é 😀'],
)
def test_reply(lenient_server: OfflineServer, http: httpx.Client, text: str) -> None:
    lenient_server.inject(Fault("reply", text=text))
    events = parse_sse(read_stream(http)[0])
    pieces = contents(events)[1:]
    assert "".join(pieces) == text and len(pieces) > 1
    assert events[-2]["usage"]["completion_tokens"] == len(pieces)
    lenient_server.inject(Fault("reply", text=text))
    whole = http.post("/chat/completions", json=body()).json()
    assert whole["choices"][0]["message"]["content"] == text


def test_faults_over_http(http: httpx.Client) -> None:
    queued = http.post(
        "/_offline/faults",
        json={
            "faults": [
                {"kind": "status", "status": 503, "times": 2},
                {"kind": "reply", "text": "ok"},
            ]
        },
    )
    assert queued.json() == {"queued": 2}
    pending = http.get("/_offline/faults").json()["data"]
    assert [(f["kind"], f["times"]) for f in pending] == [("status", 2), ("reply", 1)]
    statuses = [http.post("/chat/completions", json=body()).status_code for _ in range(2)]
    assert statuses == [503, 503]
    assert (
        http.post("/chat/completions", json=body()).json()["choices"][0]["message"]["content"]
        == "ok"
    )
    http.post("/_offline/faults", json={"faults": [{"kind": "reset"}]})
    assert http.delete("/_offline/faults").json()["data"] == []
    assert http.post("/chat/completions", json=body()).status_code == 200
    for bad in (
        {"faults": [{"kind": "explode"}]},
        {"faults": [{"kind": "drop", "nope": 1}]},
        {"faults": [{"kind": "reply"}]},
    ):
        assert http.post("/_offline/faults", json=bad).status_code == 400


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault("status", times=0)
    with pytest.raises(ValueError):
        Fault.from_dict({"kind": "delay", "seconds": 1, "extra": True})
    assert Fault.from_dict({"kind": "delay", "seconds": 1}).seconds == 1
