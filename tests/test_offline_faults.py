"""Every fault kind of the offline server, injected from Python and over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from venice_jupyter.offline import Fault, OfflineServer
from venice_jupyter.offline.faults import SPLIT_UTF8_TEXT, U2028_TEXT

PROMPT = [{"role": "user", "content": "Tell me about bread"}]


def parse_sse(raw: bytes, *, strict: bool = True) -> list[Any]:
    """Each event's data as JSON (or the raw string if it is not JSON and not strict)."""
    events: list[Any] = []
    for block in raw.decode("utf-8").split("\n\n"):
        lines = [line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")]
        if not lines:
            continue
        data = "\n".join(lines)
        try:
            events.append(data if data == "[DONE]" else json.loads(data))
        except ValueError:
            if strict:
                raise
            events.append(data)
    return events


@pytest.fixture(scope="module")
def server() -> Iterator[OfflineServer]:
    with OfflineServer() as running:
        yield running


@pytest.fixture
def client(server: OfflineServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        yield c
    server.clear_faults()


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "venice-offline", "messages": PROMPT, "max_tokens": 12, **extra}


def read_stream(client: httpx.Client, **extra: Any) -> tuple[bytes, BaseException | None]:
    """The raw bytes that arrived, and the transport error that ended them (if any)."""
    data = b""
    try:
        with client.stream("POST", "/chat/completions", json=body(stream=True, **extra)) as r:
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
    server: OfflineServer, client: httpx.Client, fault: Fault, expected: Any
) -> None:
    server.inject(fault)
    r = client.post("/chat/completions", json=body())
    assert r.status_code == fault.status and r.json() == expected
    assert r.headers["cf-ray"]
    assert client.post("/chat/completions", json=body()).status_code == 200  # consumed


def test_status_fault_retry_after_headers_and_times(
    server: OfflineServer, client: httpx.Client
) -> None:
    server.inject(Fault("status", status=429, retry_after=2, headers={"x-test": "1"}, times=2))
    for _ in range(2):
        r = client.post("/chat/completions", json=body())
        assert (r.status_code, r.headers["retry-after"], r.headers["x-test"]) == (429, "2", "1")
    assert client.post("/chat/completions", json=body()).status_code == 200


def test_faults_apply_in_fifo_order(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("status", status=500), Fault("status", status=502))
    statuses = [client.post("/chat/completions", json=body()).status_code for _ in range(3)]
    assert statuses == [500, 502, 200]


def test_reset(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("reset"))
    with pytest.raises(httpx.TransportError):
        client.post("/chat/completions", json=body())
    assert client.post("/chat/completions", json=body()).status_code == 200


def test_drop_mid_stream(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("drop", after_tokens=3))
    data, error = read_stream(client)
    assert isinstance(error, httpx.RemoteProtocolError)
    events = parse_sse(data)
    assert len(contents(events)) == 1 + 3  # role chunk + 3 tokens
    assert "[DONE]" not in events


def test_drop_non_streaming(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("drop"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/chat/completions", json=body())


def test_malformed(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("malformed", after_tokens=2))
    data, error = read_stream(client)
    assert error is None
    events = parse_sse(data, strict=False)
    broken = [e for e in events if isinstance(e, str) and e != "[DONE]"]
    assert len(broken) == 1
    assert events.index(broken[0]) == 3  # after the role chunk and two tokens
    assert events[-1] == "[DONE]"
    server.inject(Fault("malformed"))
    with pytest.raises(json.JSONDecodeError):
        client.post("/chat/completions", json=body()).json()


def test_inband_error(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("inband_error", after_tokens=2))
    data, error = read_stream(client)
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


def test_usage_without_choices(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("usage_no_choices"))
    events = parse_sse(read_stream(client)[0])
    usage = events[-2]
    assert "usage" in usage and "choices" not in usage


def test_u2028_is_sent_raw(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("u2028"))
    data, _ = read_stream(client)
    assert "\u2028".encode() in data and "\u2029".encode() in data
    assert b"\\u2028" not in data
    assert "".join(contents(parse_sse(data))) == U2028_TEXT


def test_split_utf8(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("split_utf8"))
    pieces: list[bytes] = []
    with client.stream("POST", "/chat/completions", json=body(stream=True)) as r:
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
    server.inject(Fault("split_utf8"))
    whole = client.post("/chat/completions", json=body())
    assert whole.json()["choices"][0]["message"]["content"] == SPLIT_UTF8_TEXT


def test_slow_first_byte_and_delay(server: OfflineServer, client: httpx.Client) -> None:
    server.inject(Fault("slow_first_byte", seconds=0.3))
    start = time.perf_counter()
    assert client.post("/chat/completions", json=body()).status_code == 200
    assert time.perf_counter() - start >= 0.3
    server.inject(Fault("delay", seconds=0.05))
    start = time.perf_counter()
    data, _ = read_stream(client, max_tokens=4)
    assert time.perf_counter() - start >= 0.2 and parse_sse(data)[-1] == "[DONE]"


@pytest.mark.parametrize(
    "text",
    ["Exactly this answer.", 'data: [DONE]\n\n{"choices": []}\r\n<script>x</script> é 😀'],
)
def test_reply(server: OfflineServer, client: httpx.Client, text: str) -> None:
    server.inject(Fault("reply", text=text))
    events = parse_sse(read_stream(client)[0])
    pieces = contents(events)[1:]
    assert "".join(pieces) == text and len(pieces) > 1
    assert events[-2]["usage"]["completion_tokens"] == len(pieces)
    server.inject(Fault("reply", text=text))
    whole = client.post("/chat/completions", json=body()).json()
    assert whole["choices"][0]["message"]["content"] == text


def test_faults_over_http(client: httpx.Client) -> None:
    queued = client.post(
        "/_offline/faults",
        json={
            "faults": [
                {"kind": "status", "status": 503, "times": 2},
                {"kind": "reply", "text": "ok"},
            ]
        },
    )
    assert queued.json() == {"queued": 2}
    pending = client.get("/_offline/faults").json()["data"]
    assert [(f["kind"], f["times"]) for f in pending] == [("status", 2), ("reply", 1)]
    statuses = [client.post("/chat/completions", json=body()).status_code for _ in range(2)]
    assert statuses == [503, 503]
    assert (
        client.post("/chat/completions", json=body()).json()["choices"][0]["message"]["content"]
        == "ok"
    )
    client.post("/_offline/faults", json={"faults": [{"kind": "reset"}]})
    assert client.delete("/_offline/faults").json()["data"] == []
    assert client.post("/chat/completions", json=body()).status_code == 200
    for bad in (
        {"faults": [{"kind": "explode"}]},
        {"faults": [{"kind": "drop", "nope": 1}]},
        {"faults": [{"kind": "reply"}]},
    ):
        assert client.post("/_offline/faults", json=bad).status_code == 400


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault("status", times=0)
    with pytest.raises(ValueError):
        Fault.from_dict({"kind": "delay", "seconds": 1, "extra": True})
    assert Fault.from_dict({"kind": "delay", "seconds": 1}).seconds == 1
