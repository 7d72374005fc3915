"""The synchronous Venice client: a thin driver around ``Exchange`` (used by the magic).

    client = VeniceClient()                 # key from VENICE_API_KEY, URL from VENICE_BASE_URL
    stream = client.stream(body)
    for delta in stream:                    # Delta(choice, kind, text)
        ...
    stream.reply                            # the Reply, complete or as far as it got

The async twin lives in ``aclient``; everything but moving bytes is shared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from venice_jupyter.config import ClientConfig, Timeouts, TTLCache, ssl_context
from venice_jupyter.errors import APIError, VeniceError
from venice_jupyter.exchange import (
    Exchange,
    is_json,
    map_transport_error,
    parse_json_body,
    reply_deltas,
)
from venice_jupyter.models import ModelCatalog
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.retry import RetryPolicy

__all__ = ["ChatStream", "VeniceClient"]

CHAT_PATH = "chat/completions"
MODEL_PATHS = (
    "models?type=text",
    "models/traits?type=text",
    "models/compatibility_mapping?type=text",
)


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
        self.config = config or ClientConfig(api_key, base_url, timeouts)
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(
            timeout=self.config.timeouts.to_httpx(), transport=transport, verify=ssl_context()
        )
        self._catalog = TTLCache(models_ttl)

    def __repr__(self) -> str:
        return f"VeniceClient({self.config!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VeniceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stream(self, body: dict[str, Any]) -> ChatStream:
        return ChatStream(self, {**body, "stream": True})

    def complete(self, body: dict[str, Any]) -> Reply:
        """A non-streaming call (compressed transfer), with the same retries."""
        body = {**body, "stream": False}
        attempt = 0
        while True:
            attempt += 1
            ex = Exchange(attempt)
            try:
                response = self._http.post(
                    self.config.url(CHAT_PATH), json=body, headers=self.config.headers(stream=False)
                )
                ex.on_headers(response.status_code, response.headers)
                if response.status_code >= 400:
                    raise ex.error_for_status(
                        response.status_code, response.headers, response.content
                    )
                return ex.on_json(response.content)
            except httpx.HTTPError as exc:
                err = map_transport_error(exc, ex.got_headers, self.config.base_url)
            except VeniceError as exc:
                err = exc
            if not self.retry.should_retry(err, attempt, delivered=ex.accepted):
                raise ex.fail(err)
            time.sleep(self.retry.delay(err, attempt))

    def get_json(self, path: str) -> Any:
        response = self._http.get(self.config.url(path), headers=self.config.headers(stream=False))
        if response.status_code >= 400:
            ex = Exchange()
            raise ex.error_for_status(response.status_code, response.headers, response.content)
        return parse_json_body(response.content, self.config.url(path))

    def _optional_json(self, path: str) -> Any:
        """Traits and aliases are Venice extras; other compatible servers may lack them."""
        try:
            return self.get_json(path)
        except APIError:
            return None

    def catalog(self, *, refresh: bool = False) -> ModelCatalog:
        """The text models, their traits and aliases; cached for ``models_ttl`` seconds."""
        cached = None if refresh else self._catalog.get()
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        try:
            payloads = [self.get_json(MODEL_PATHS[0]), *map(self._optional_json, MODEL_PATHS[1:])]
        except httpx.HTTPError as exc:
            raise map_transport_error(exc, False, self.config.base_url) from exc
        catalog = ModelCatalog.from_payloads(*payloads)
        self._catalog.put(catalog)
        return catalog


class ChatStream:
    """Iterate for deltas; ``reply`` holds everything received so far.

    Leaving the loop early (break, KeyboardInterrupt, an exception) closes the connection.
    Errors carry the partial reply in ``err.partial``.
    """

    def __init__(self, client: VeniceClient, body: dict[str, Any]) -> None:
        self._client = client
        self._body = body
        self._exchange = Exchange()

    @property
    def reply(self) -> Reply:
        return self._exchange.reply

    def __iter__(self) -> Iterator[Delta]:
        client = self._client
        attempt = 0
        while True:
            attempt += 1
            ex = self._exchange = Exchange(attempt)
            try:
                yield from self._attempt(ex)
                return
            except httpx.HTTPError as exc:
                err = map_transport_error(exc, ex.got_headers, client.config.base_url)
            except VeniceError as exc:
                err = exc
            if not client.retry.should_retry(err, attempt, ex.delivered or ex.accepted):
                raise ex.fail(err)
            time.sleep(client.retry.delay(err, attempt))

    def _attempt(self, ex: Exchange) -> Iterator[Delta]:
        config = self._client.config
        request = self._client._http.build_request(
            "POST", config.url(CHAT_PATH), json=self._body, headers=config.headers(stream=True)
        )
        response = self._client._http.send(request, stream=True)
        try:
            ex.on_headers(response.status_code, response.headers)
            if response.status_code >= 400:
                raise ex.error_for_status(response.status_code, response.headers, response.read())
            if is_json(response.headers):  # a server that ignored stream=true
                reply = ex.on_json(response.read())
                ex.acc.reply = reply
                yield from reply_deltas(reply)
                return
            for data in response.iter_bytes():
                yield from ex.on_bytes(data)
            yield from ex.on_end()
        finally:
            response.close()

    def until_done(self) -> Reply:
        """Consume the whole stream and return the reply."""
        for _ in self:
            pass
        return self.reply
