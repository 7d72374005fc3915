"""HTTP/1.1 transport and routing for the offline server (stdlib ``http.server``).

Keep-alive works because every response has a Content-Length or chunked framing and every
request body is read in full. ``TCP_NODELAY`` is set on each connection: without it, Nagle's
algorithm and delayed ACKs stall back-to-back small SSE writes by ~40 ms each.
"""

from __future__ import annotations

import gzip
import importlib
import json
import logging
import secrets
import socket
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from venice_jupyter.offline.http._chat import handle_chat
from venice_jupyter.offline.http._context import ServerContext
from venice_jupyter.offline.http._faults import Fault
from venice_jupyter.offline.models import COMPATIBILITY, list_models, served_traits
from venice_jupyter.offline.validation import HttpError, detailed_error

try:  # br is offered only when the brotli module imports (it ships with httpx[brotli])
    brotli: Any = importlib.import_module("brotli")
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

__all__ = ["API_PREFIX", "HTTPServer", "Handler"]

_log = logging.getLogger(__name__)
API_PREFIX: Final = "/api/v1"
VENICE_VERSION: Final = "20260821.193530"  # the spec version this server speaks
MAX_BODY: Final = 35 * 1024 * 1024
_MODEL_TYPES: Final = (
    "asr",
    "embedding",
    "image",
    "music",
    "text",
    "tts",
    "upscale",
    "inpaint",
    "video",
    "all",
    "code",
)


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # 64+ simultaneous streams must not overflow the accept backlog

    def __init__(self, address: tuple[str, int], context: ServerContext) -> None:
        self.context = context
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-connection is normal here; only real bugs are logged."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)) or self.context.stopping.is_set():
            return
        _log.error("offline server: connection from %s failed", client_address, exc_info=True)

    def shutdown_request(self, request: Any) -> None:
        if isinstance(request, socket.socket) and self.context.take_reset(request):
            request.close()  # SO_LINGER 0 is set: the close sends an RST, no FIN first
            return
        super().shutdown_request(request)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "venice-offline"
    sys_version = ""
    timeout = 120  # an idle keep-alive connection is closed after this
    server: HTTPServer
    started = False  # whether this response's status line went out

    @property
    def context(self) -> ServerContext:
        return self.server.context

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.context.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.context.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test server that prints every request drowns the test output."""

    # --- transport -------------------------------------------------------------------------
    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise HttpError(
                413, {"code": "PAYLOAD_TOO_LARGE", "error": "Request body exceeds the 35 MB limit"}
            )
        return self.rfile.read(length) if length > 0 else b""

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.started = True
        self.send_response(status)
        self.send_header("CF-RAY", f"{secrets.token_hex(8)}-OFF")
        self.send_header("x-venice-version", VENICE_VERSION)
        for name, value in headers.items():
            self.send_header(name, value)

    def _encoding(self) -> str | None:
        accepted = [
            p.split(";")[0].strip().lower()
            for p in self.headers.get("Accept-Encoding", "").split(",")
        ]
        for name in accepted:
            if name == "gzip" or (name == "br" and brotli is not None):
                return name
        return None

    def send_json(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        *,
        compress: bool = False,
        data: bytes | None = None,
    ) -> None:
        if data is None:
            data = json.dumps(body, ensure_ascii=False).encode()
        encoding = self._encoding() if compress else None
        if encoding == "gzip":
            data = gzip.compress(data, compresslevel=5)
        elif encoding == "br" and brotli is not None:
            data = brotli.compress(data)
        self.send_json_head(status, len(data), headers or {}, encoding)
        self.wfile.write(data)

    def send_json_head(
        self, status: int, length: int, headers: dict[str, str], encoding: str | None = None
    ) -> None:
        self._start(status, headers)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(length))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()

    def send_error_json(self, error: HttpError, headers: dict[str, str] | None = None) -> None:
        self.send_json(error.status, error.body, {**(headers or {}), **error.headers})

    def start_stream(self, headers: dict[str, str]) -> None:
        self._start(200, headers)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def drop(self, *, reset: bool = False) -> None:
        """End this connection without finishing the response (FIN, or RST with ``reset``)."""
        self.close_connection = True
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.context.mark_reset(self.connection)

    # --- routing ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        if path.startswith(f"{API_PREFIX}/_offline/"):  # also reachable from a base_url
            path = path[len(API_PREFIX) :]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.started = False
        try:
            if method == "POST" and path == f"{API_PREFIX}/chat/completions":
                handle_chat(self)
            elif method == "GET" and path.startswith(f"{API_PREFIX}/models"):
                self.read_body()
                self._models(path[len(API_PREFIX) :], query.get("type", "text"))
            elif path.startswith("/_offline/"):
                self._control(method, path)
            else:
                self.read_body()
                raise HttpError(404, {"error": f"Not found: {method} {url.path}"})
        except HttpError as error:
            self.send_error_json(error)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            if self.context.stopping.is_set():
                self.close_connection = True
                return
            _log.exception("offline server: %s %s failed", method, self.path)
            self.close_connection = True
            if not self.started:
                self.send_json(500, {"error": "Inference processing failed"})

    def _models(self, path: str, kind: str) -> None:
        if kind not in _MODEL_TYPES:
            issue = {
                "code": "invalid_enum_value",
                "options": list(_MODEL_TYPES),
                "received": kind,
                "path": ["type"],
                "message": f"Invalid enum value. Expected one of {', '.join(_MODEL_TYPES)}",
            }
            raise HttpError(400, detailed_error([issue]))
        text = kind in ("text", "all", "code")
        data: Any
        if self.context.generic:
            if path != "/models":
                raise HttpError(404, {"error": f"Not found: GET {API_PREFIX}{path}"})
            plain = [
                {"id": m["id"], "object": "model", "created": m["created"], "owned_by": "offline"}
                for m in list_models(kind)
            ]
            self.send_json(200, {"object": "list", "data": plain})
            return
        if path == "/models":
            data = list_models(kind)
        elif path == "/models/traits":
            data = served_traits() if text else {}
        elif path == "/models/compatibility_mapping":
            data = dict(COMPATIBILITY) if text else {}
        else:
            raise HttpError(404, {"error": f"Not found: GET {API_PREFIX}{path}"})
        self.send_json(200, {"object": "list", "type": kind, "data": data}, compress=True)

    def _control(self, method: str, path: str) -> None:
        """The test hooks: fault queue and recorded request bodies."""
        raw = self.read_body()
        if path == "/_offline/faults" and method == "POST":
            try:
                payload = json.loads(raw or b"{}")
                faults = [Fault.from_dict(f) for f in payload.get("faults", [payload])]
            except (ValueError, TypeError, AttributeError) as exc:
                raise HttpError(400, {"error": f"Invalid fault: {exc}"}) from exc
            self.context.faults.push(*faults)
            self.send_json(200, {"queued": len(faults)})
        elif path == "/_offline/faults" and method in ("GET", "DELETE"):
            if method == "DELETE":
                self.context.faults.clear()
            self.send_json(200, {"object": "list", "data": self.context.faults.pending()})
        elif path == "/_offline/requests" and method in ("GET", "DELETE"):
            data = self.context.recorded()
            if method == "DELETE":
                self.context.clear_records()
            self.send_json(200, {"object": "list", "data": data})
        else:
            raise HttpError(404, {"error": f"Not found: {method} {path}"})
