"""``VENICE_RECORD=DIR``: write every HTTP exchange of a client to a fixture file in DIR.

Ground truth for the tests: an exchange with the real Venice API, recorded once, is replayed
through the client and the sinks by ``tests/test_replay.py`` for ever after. The recorder is a
pair of httpx event hooks (sync and async) that the client core installs only when the variable
is set when a client is made; unset, the clients have no hooks at all and nothing here runs.

One file per attempt (one HTTP request and its response), written when the response is closed,
so a stream the user stopped is recorded as far as it got. The format::

    {
      "format": "venice-jupyter/exchange-1",
      "source": "recorded by venice-jupyter 0.1.0 at 2026-09-12T10:00:00Z",
      "request": {"method": "POST", "url": "...", "headers": {...},
                  "json": {...}              # the body, when it is JSON; else "content": PIECE
      },
      "response": {"status": 200, "headers": [["content-type", "text/event-stream"], ...],
                   "body": [PIECE, ...],     # the bytes in the pieces they arrived in
                   "complete": true,         # false: closed before its end, or it failed
                   "error": {"type": "ReadError", "message": "..."},   # only if reading failed
                   "decoded": "gzip"         # only if a compressed body was stored decoded
      }
    }

A PIECE is ``{"text": "..."}`` when its bytes are valid UTF-8, else ``{"base64": "..."}``.
SSE is asked for uncompressed, so its pieces are the bytes exactly as they arrived; a gzip or
brotli body (a non-streaming answer) is stored decoded, as one piece, without its
Content-Encoding and Content-Length, so a fixture stays readable and can be searched for the key.

What is never written: the Authorization header (and Cookie, Set-Cookie and the x402 wallet
headers), and the API key anywhere else it appears (URL, body, any header, any response byte,
even split across two pieces) is replaced by ``********``.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import importlib
import itertools
import json
import os
import re
import warnings
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Final

import httpx

from venice_jupyter._version import __version__
from venice_jupyter.errors import ConfigError

__all__ = ["ENV_VAR", "FORMAT", "dumps", "piece", "record_hooks"]

ENV_VAR: Final = "VENICE_RECORD"
FORMAT: Final = "venice-jupyter/exchange-1"
_DROPPED_REQUEST = frozenset(
    {"authorization", "proxy-authorization", "cookie", "sign-in-with-x", "x-sign-in-with-x"}
)
_DROPPED_RESPONSE = frozenset({"set-cookie"})
_NUMBER = itertools.count(1)
_STRING = r'("(?:[^"\\]|\\.)*")'
_PAIR = re.compile(r"\[\n\s*" + _STRING + r",\n\s*" + _STRING + r"\n\s*\]")

Redact = Callable[[str], str]
Hooks = dict[str, list[Callable[..., Any]]]


def record_hooks(redact: Redact, *, asynchronous: bool) -> Hooks:
    """The event hooks for an ``httpx.Client`` (or ``AsyncClient``): none unless
    ``VENICE_RECORD`` names a directory. ``redact`` removes the key from a text."""
    directory = os.environ.get(ENV_VAR)
    if not directory:
        return {}
    recorder = _Recorder(Path(directory), redact)
    return {"response": [recorder.async_hook if asynchronous else recorder.hook]}


def dumps(record: dict[str, Any]) -> str:
    """A fixture as JSON text: indented, with each header pair kept on one line."""
    text = json.dumps(record, ensure_ascii=False, indent=1)
    return _PAIR.sub(r"[\1, \2]", text)


def piece(data: bytes) -> dict[str, str]:
    """Bytes as a fixture piece: text when they are valid UTF-8, else base64."""
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


class _Recorder:
    def __init__(self, directory: Path, redact: Redact) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"{ENV_VAR}: cannot create the directory {str(directory)!r} ({exc.strerror}); "
                f"set {ENV_VAR} to a writable directory, or unset it to record nothing."
            ) from None
        self.directory = directory
        self.redact = redact

    def hook(self, response: httpx.Response) -> None:
        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _SyncTee(response.stream, _Exchange(self, response))

    async def async_hook(self, response: httpx.Response) -> None:
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _AsyncTee(response.stream, _Exchange(self, response))


class _Exchange:
    """What one attempt sent and received, written out once its response is closed."""

    def __init__(self, recorder: _Recorder, response: httpx.Response) -> None:
        self.recorder = recorder
        self.request = response.request
        self.status = response.status_code
        self.headers = response.headers.multi_items()
        self.pieces: list[bytes] = []
        self.complete = False
        self.error: Exception | None = None
        self.written = False

    def write(self) -> None:
        if self.written:
            return
        self.written = True
        path = self.recorder.directory / self._file_name()
        try:
            text = dumps(self._record())
            partial = path.with_name(path.name + ".part")
            partial.write_text(text + "\n", encoding="utf-8")
            partial.replace(path)  # a reader never sees half a file
        except (OSError, TypeError, ValueError) as exc:
            # The user's request must not fail because its recording did.
            warnings.warn(f"{ENV_VAR}: could not write {path} ({exc})", RuntimeWarning, 2)

    def _file_name(self) -> str:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
        path = self.request.url.path.split("/api/v1/", 1)[-1]
        slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
        return f"{stamp}-{os.getpid()}-{next(_NUMBER):04d}-{slug}-{self.status}.json"

    def _record(self) -> dict[str, Any]:
        redact = self.recorder.redact
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "format": FORMAT,
            "source": f"recorded by venice-jupyter {__version__} at {now}",
            "request": _redacted(self._request(), redact),
            "response": self._response(redact),
        }

    def _request(self) -> dict[str, Any]:
        request = self.request
        out: dict[str, Any] = {
            "method": request.method,
            "url": str(request.url),
            "headers": {
                k: v for k, v in request.headers.items() if k.lower() not in _DROPPED_REQUEST
            },
        }
        try:
            content = request.content
        except httpx.RequestNotRead:  # a streamed upload: not something this client sends
            return out
        if content:
            try:
                out["json"] = json.loads(content)
            except ValueError:
                out["content"] = piece(content)
        return out

    def _response(self, redact: Redact) -> dict[str, Any]:
        headers = [(k, v) for k, v in self.headers if k.lower() not in _DROPPED_RESPONSE]
        pieces = self.pieces
        out: dict[str, Any] = {"status": self.status}
        encoding = dict((k.lower(), v) for k, v in headers).get("content-encoding", "")
        decoded = _decoded(b"".join(pieces), encoding.strip().lower()) if self.complete else None
        if decoded is not None:
            pieces = [decoded]
            dropped = {"content-encoding", "content-length"}
            headers = [(k, v) for k, v in headers if k.lower() not in dropped]
            out["decoded"] = encoding.strip().lower()
        out["headers"] = [[redact(k), redact(v)] for k, v in headers]
        out["body"] = [piece(p) for p in _redacted_pieces(pieces, redact)]
        out["complete"] = self.complete
        if self.error is not None:
            error = {"type": type(self.error).__name__, "message": str(self.error)}
            out["error"] = _redacted(error, redact)
        return out


def _decoded(body: bytes, encoding: str) -> bytes | None:
    """A gzip, deflate or brotli body decoded; None when there is nothing to decode (or the
    body does not decode, in which case it is kept as it came, with its header)."""
    if encoding not in ("gzip", "deflate", "br") or not body:
        return None
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
        return _brotli_decompress(body)
    except Exception:  # each decoder has its own error class (zlib.error, brotli.error, ...)
        return None


def _brotli_decompress(body: bytes) -> bytes:
    # httpx[brotli] installs brotli (or brotlicffi); httpx itself needs one to read br.
    for name in ("brotli", "brotlicffi"):
        try:
            module: Any = importlib.import_module(name)
        except ImportError:
            continue
        return bytes(module.decompress(body))
    raise ImportError("no brotli module")


def _redact_bytes(data: bytes, redact: Redact) -> bytes:
    # Latin-1 maps every byte to one character and back, and the key is ASCII.
    return redact(data.decode("latin-1")).encode("latin-1")


def _redacted_pieces(pieces: list[bytes], redact: Redact) -> list[bytes]:
    each = [_redact_bytes(p, redact) for p in pieces]
    joined = b"".join(each)
    whole = _redact_bytes(joined, redact)
    # A key split across two pieces survives piece-wise redaction: then keep one piece.
    return each if whole == joined else [whole]


def _redacted(value: Any, redact: Redact) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {_redacted(k, redact): _redacted(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, redact) for v in value]
    return value


class _SyncTee(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, exchange: _Exchange) -> None:
        self._inner = inner
        self._exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        try:
            for data in self._inner:
                self._exchange.pieces.append(data)
                yield data
        except Exception as exc:
            self._exchange.error = exc
            raise
        self._exchange.complete = True

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._exchange.write()


class _AsyncTee(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, exchange: _Exchange) -> None:
        self._inner = inner
        self._exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for data in self._inner:
                self._exchange.pieces.append(data)
                yield data
        except Exception as exc:
            self._exchange.error = exc
            raise
        self._exchange.complete = True

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._exchange.write()
