"""Replaying recorded exchanges (``venice_jupyter.api._record``'s format) through the client.

``transport(fixture)`` is an in-memory httpx transport, good for both clients, that answers the
recorded request with the recorded status and headers and serves the body in the recorded
pieces, one at a time (never buffered, unlike ``httpx.ASGITransport``), ending with the
recorded transport error if there was one. Any other request gets a 404, as from a server
without that endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from testkit.keys import TEST_KEY
from venice_jupyter.api import AsyncVeniceClient, ModelCatalog, RetryPolicy, VeniceClient
from venice_jupyter.errors import VeniceError
from venice_jupyter.reply import Delta, Reply

FIXTURES = Path(__file__).parent / "fixtures"
FORMAT = "venice-jupyter/exchange-1"


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return fixture


def piece_bytes(piece: dict[str, str]) -> bytes:
    if "text" in piece:
        return piece["text"].encode("utf-8")
    return base64.b64decode(piece["base64"])


def body_pieces(fixture: dict[str, Any]) -> list[bytes]:
    return [piece_bytes(p) for p in fixture["response"].get("body", [])]


def base_url(fixture: dict[str, Any]) -> str:
    """The API root of the recorded URL: everything up to ``/api/v1``, or the origin."""
    url = httpx.URL(fixture["request"]["url"])
    root, sep, _ = url.path.partition("/api/v1")
    return f"{url.scheme}://{url.netloc.decode()}{root}{sep}"


def relative_path(fixture: dict[str, Any]) -> str:
    """The recorded URL below the API root, with its query (``models?type=text``)."""
    return fixture["request"]["url"][len(base_url(fixture)) :].lstrip("/")


def is_chat(fixture: dict[str, Any]) -> bool:
    return fixture["request"]["url"].split("?")[0].endswith("/chat/completions")


def request_body(fixture: dict[str, Any]) -> dict[str, Any] | None:
    body = fixture["request"].get("json")
    return body if isinstance(body, dict) else None


def _recorded_error(fixture: dict[str, Any]) -> Exception | None:
    error = fixture["response"].get("error")
    if not error:
        return None
    cls = getattr(httpx, str(error.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, httpx.TransportError)):
        cls = httpx.ReadError
    return cls(str(error.get("message", "")))


class Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The recorded body, one piece per read; ``served`` lists what was handed out."""

    def __init__(self, pieces: list[bytes], error: Exception | None) -> None:
        self.pieces = pieces
        self.error = error
        self.served: list[bytes] = []

    def __iter__(self) -> Iterator[bytes]:
        for data in self.pieces:
            self.served.append(data)
            yield data
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for data in self.pieces:
            self.served.append(data)
            yield data
        if self.error is not None:
            raise self.error


class Replay:
    """A transport serving one fixture; ``streams`` holds each response body it served."""

    def __init__(self, fixture: dict[str, Any]) -> None:
        self.fixture = fixture
        self.streams: list[Pieces] = []
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        recorded = self.fixture["request"]
        same = (
            request.method == recorded["method"]
            and request.url.path == httpx.URL(recorded["url"]).path
        )
        if not same:
            return httpx.Response(404, json={"error": f"Not found (replay): {request.url.path}"})
        response = self.fixture["response"]
        stream = Pieces(body_pieces(self.fixture), _recorded_error(self.fixture))
        self.streams.append(stream)
        headers = [(str(k), str(v)) for k, v in _header_pairs(response.get("headers"))]
        return httpx.Response(int(response["status"]), headers=headers, stream=stream)


def _header_pairs(headers: Any) -> list[tuple[Any, Any]]:
    """Headers as a recording writes them (``[[name, value], …]``) or as a plain object."""
    if isinstance(headers, dict):
        return list(headers.items())
    return [(pair[0], pair[1]) for pair in headers or ()]


# ------------------------------------------------------------------ through the client

ONE_ATTEMPT = RetryPolicy(max_retries=0)  # one fixture is one attempt


@dataclass
class Outcome:
    reply: Reply | None = None
    error: VeniceError | None = None
    deltas: list[Delta] = field(default_factory=list)
    catalog: ModelCatalog | None = None
    json: Any = None

    @property
    def shown(self) -> Reply:
        """The reply, complete or as far as it got."""
        reply = self.reply if self.reply is not None else self.error and self.error.partial
        assert reply is not None, f"no reply and no partial reply (error {self.error!r})"
        return reply


def _options(replay: Replay) -> dict[str, Any]:
    root = base_url(replay.fixture)
    return {"api_key": TEST_KEY, "base_url": root, "retry": ONE_ATTEMPT}


def sync_client(replay: Replay) -> VeniceClient:
    return VeniceClient(transport=replay.transport, **_options(replay))


def async_client(replay: Replay) -> AsyncVeniceClient:
    return AsyncVeniceClient(transport=replay.transport, **_options(replay))


def run_sync(fixture: dict[str, Any], replay: Replay) -> Outcome:
    client = sync_client(replay)
    out = Outcome()
    body = request_body(fixture)
    try:
        with client:
            if not is_chat(fixture):
                out.json = client.get_json(relative_path(fixture))
                if relative_path(fixture).split("?")[0] == "models":
                    out.catalog = client.catalog()
            elif body is not None and body.get("stream"):
                stream = client.stream(body)
                try:
                    out.deltas.extend(stream)
                finally:
                    out.reply = stream.reply if stream.reply.complete else None
            else:
                out.reply = client.complete(body or {})
    except VeniceError as err:
        out.reply, out.error = None, err
    return out


async def run_async(fixture: dict[str, Any], replay: Replay) -> Outcome:
    client = async_client(replay)
    out = Outcome()
    body = request_body(fixture)
    try:
        async with client:
            if not is_chat(fixture):
                out.json = await client.get_json(relative_path(fixture))
                if relative_path(fixture).split("?")[0] == "models":
                    out.catalog = await client.catalog()
            elif body is not None and body.get("stream"):
                stream = client.stream(body)
                try:
                    async for delta in stream:
                        out.deltas.append(delta)
                finally:
                    out.reply = stream.reply if stream.reply.complete else None
            else:
                out.reply = await client.complete(body or {})
    except VeniceError as err:
        out.reply, out.error = None, err
    return out


def replay(fixture: dict[str, Any], driver: str) -> tuple[Replay, Outcome]:
    """Replay a fixture through the sync or the async client, as the recorded request did."""
    served = Replay(fixture)
    if driver == "sync":
        return served, run_sync(fixture, served)
    return served, asyncio.run(run_async(fixture, served))
