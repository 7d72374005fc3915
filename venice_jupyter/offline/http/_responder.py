"""What the chat route needs from a connection, as a Protocol: the handler in ``_handler``
routes to ``_chat`` and implements this, so the route never imports the handler back."""

from __future__ import annotations

import io
from email.message import Message
from typing import Any, Protocol

from venice_jupyter.offline.http._context import ServerContext
from venice_jupyter.offline.validation import HttpError

__all__ = ["Responder"]


class Responder(Protocol):
    headers: Message[str, str]  # the request's
    wfile: io.BufferedIOBase

    @property
    def context(self) -> ServerContext: ...

    def read_body(self) -> bytes: ...

    def send_json(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        *,
        compress: bool = False,
        data: bytes | None = None,
    ) -> None: ...

    def send_json_head(
        self, status: int, length: int, headers: dict[str, str], encoding: str | None = None
    ) -> None: ...

    def send_error_json(self, error: HttpError, headers: dict[str, str] | None = None) -> None: ...

    def start_stream(self, headers: dict[str, str]) -> None: ...

    def write_chunk(self, data: bytes) -> None: ...

    def end_stream(self) -> None: ...

    def drop(self, *, reset: bool = False) -> None: ...
