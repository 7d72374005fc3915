"""The synchronous Venice client: a thin driver around ``_core`` (used by the magic).

    client = VeniceClient()                 # key from VENICE_API_KEY, URL from VENICE_BASE_URL
    stream = client.stream(body)
    for delta in stream:                    # Delta(choice, kind, text)
        ...
    stream.reply                            # the Reply, complete or as far as it got

The async twin is ``_async``; the two differ only in how they wait for bytes and time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from venice_jupyter.api._attempt import Attempt, is_json
from venice_jupyter.api._catalog import ModelCatalog
from venice_jupyter.api._config import ClientConfig, Timeouts, ssl_context
from venice_jupyter.api._core import MODEL_PATHS, ClientCore, OnRetry, whole_reply
from venice_jupyter.api._retry import RetryPolicy
from venice_jupyter.errors import APIError, VeniceError
from venice_jupyter.reply import Delta, Reply

__all__ = ["ChatStream", "VeniceClient"]


class VeniceClient:
    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeouts: Timeouts | float | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        models_ttl: float = 300.0,
        config: ClientConfig | None = None,
    ) -> None:
        self.core = ClientCore(api_key, base_url, timeouts, retry, models_ttl, config)
        self._http = httpx.Client(
            timeout=self.config.timeouts.to_httpx(),
            transport=transport,
            verify=ssl_context(),
            event_hooks=self.core.event_hooks(asynchronous=False),
        )

    @property
    def config(self) -> ClientConfig:
        return self.core.config

    @property
    def retry(self) -> RetryPolicy:
        return self.core.retry

    def __repr__(self) -> str:
        return f"VeniceClient({self.config!r})"

    def close(self) -> None:
        self._http.close()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    def __enter__(self) -> VeniceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stream(self, body: dict[str, Any], *, on_retry: OnRetry | None = None) -> ChatStream:
        return ChatStream(self, {**body, "stream": True}, on_retry)

    def complete(self, body: dict[str, Any], *, on_retry: OnRetry | None = None) -> Reply:
        """A non-streaming call (compressed transfer), with the same retries."""
        retry = self.core.retrying(on_retry)
        while True:
            attempt = retry.next()
            try:
                request = self.core.chat_request(self._http, {**body, "stream": False})
                return whole_reply(attempt, self._http.send(request))
            except (httpx.HTTPError, VeniceError) as exc:
                delay = retry.failed(exc)
            time.sleep(delay)

    def get_json(self, path: str) -> Any:
        try:
            response = self._http.send(self.core.get_request(self._http, path))
        except httpx.HTTPError as exc:
            raise self.core.transport_error(exc) from exc
        return self.core.json_of(path, response)

    def catalog(self, *, refresh: bool = False) -> ModelCatalog:
        """The text models, their traits and aliases; cached for ``models_ttl`` seconds."""
        cached = self.core.cached_catalog(refresh)
        if cached is not None:
            return cached
        payloads = [self.get_json(MODEL_PATHS[0])]
        for path in MODEL_PATHS[1:]:
            try:
                payloads.append(self.get_json(path))
            except APIError:
                payloads.append(None)
        return self.core.make_catalog(payloads)


class ChatStream:
    """Iterate for deltas; ``reply`` holds everything received so far.

    Leaving the loop early (break, KeyboardInterrupt, an exception) closes the connection.
    Errors carry the partial reply in ``err.partial``.
    """

    def __init__(
        self, client: VeniceClient, body: dict[str, Any], on_retry: OnRetry | None
    ) -> None:
        self._client = client
        self._body = body
        self._retry = client.core.retrying(on_retry)

    @property
    def reply(self) -> Reply:
        return self._retry.attempt.reply

    def __iter__(self) -> Iterator[Delta]:
        while True:
            attempt = self._retry.next()
            try:
                yield from self._attempt(attempt)
                return
            except (httpx.HTTPError, VeniceError) as exc:
                delay = self._retry.failed(exc)
            time.sleep(delay)

    def _attempt(self, attempt: Attempt) -> Iterator[Delta]:
        http = self._client._http
        response = http.send(self._client.core.chat_request(http, self._body), stream=True)
        try:
            attempt.on_headers(response.status_code, response.headers)
            if response.status_code >= 400:
                body = response.read()
                raise attempt.error_for_status(response.status_code, response.headers, body)
            if is_json(response.headers):  # a server that ignored stream=true
                yield from attempt.on_whole(response.read())
                return
            for data in response.iter_bytes():
                yield from attempt.on_bytes(data)
            yield from attempt.on_end()
        finally:
            response.close()

    def until_done(self) -> Reply:
        """Consume the whole stream and return the reply."""
        for _ in self:
            pass
        return self.reply
