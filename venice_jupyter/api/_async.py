"""The asynchronous Venice client: the async twin of ``_sync`` (used by the widgets).

Widgets run generation as a task on the kernel's running loop, so their Stop button works:
cancelling the task closes the connection. A client belongs to the event loop it first ran on
(its connections do). Everything but moving bytes and sleeping lives in ``_core``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from venice_jupyter.api._attempt import Attempt, is_json
from venice_jupyter.api._catalog import ModelCatalog
from venice_jupyter.api._config import ClientConfig, Timeouts, ssl_context
from venice_jupyter.api._core import MODEL_PATHS, ClientCore, OnRetry, whole_reply
from venice_jupyter.api._retry import RetryPolicy
from venice_jupyter.errors import APIError, VeniceError
from venice_jupyter.reply import Delta, Reply

__all__ = ["AsyncChatStream", "AsyncVeniceClient"]


class AsyncVeniceClient:
    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeouts: Timeouts | float | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        models_ttl: float = 300.0,
        config: ClientConfig | None = None,
    ) -> None:
        self.core = ClientCore(api_key, base_url, timeouts, retry, models_ttl, config)
        self._http = httpx.AsyncClient(
            timeout=self.config.timeouts.to_httpx(),
            transport=transport,
            verify=ssl_context(),
            event_hooks=self.core.event_hooks(asynchronous=True),
        )

    @property
    def config(self) -> ClientConfig:
        return self.core.config

    @property
    def retry(self) -> RetryPolicy:
        return self.core.retry

    def __repr__(self) -> str:
        return f"AsyncVeniceClient({self.config!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def __aenter__(self) -> AsyncVeniceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def stream(self, body: dict[str, Any], *, on_retry: OnRetry | None = None) -> AsyncChatStream:
        return AsyncChatStream(self, {**body, "stream": True}, on_retry)

    async def complete(self, body: dict[str, Any], *, on_retry: OnRetry | None = None) -> Reply:
        """A non-streaming call (compressed transfer), with the same retries."""
        retry = self.core.retrying(on_retry)
        while True:
            attempt = retry.next()
            try:
                request = self.core.chat_request(self._http, {**body, "stream": False})
                return whole_reply(attempt, await self._http.send(request))
            except (httpx.HTTPError, VeniceError) as exc:
                delay = retry.failed(exc)
            await asyncio.sleep(delay)

    async def get_json(self, path: str) -> Any:
        try:
            response = await self._http.send(self.core.get_request(self._http, path))
        except httpx.HTTPError as exc:
            raise self.core.transport_error(exc) from exc
        return self.core.json_of(path, response)

    async def catalog(self, *, refresh: bool = False) -> ModelCatalog:
        """The text models, their traits and aliases; cached for ``models_ttl`` seconds."""
        cached = self.core.cached_catalog(refresh)
        if cached is not None:
            return cached
        payloads = [await self.get_json(MODEL_PATHS[0])]
        for path in MODEL_PATHS[1:]:
            try:
                payloads.append(await self.get_json(path))
            except APIError:
                payloads.append(None)
        return self.core.make_catalog(payloads)


class AsyncChatStream:
    """``async for delta in stream``; cancelling the consuming task closes the connection."""

    def __init__(
        self, client: AsyncVeniceClient, body: dict[str, Any], on_retry: OnRetry | None
    ) -> None:
        self._client = client
        self._body = body
        self._retry = client.core.retrying(on_retry)

    @property
    def reply(self) -> Reply:
        return self._retry.attempt.reply

    async def __aiter__(self) -> AsyncIterator[Delta]:
        while True:
            attempt = self._retry.next()
            try:
                async for delta in self._attempt(attempt):
                    yield delta
                return
            except (httpx.HTTPError, VeniceError) as exc:
                delay = self._retry.failed(exc)
            await asyncio.sleep(delay)

    async def _attempt(self, attempt: Attempt) -> AsyncIterator[Delta]:
        http = self._client._http
        response = await http.send(self._client.core.chat_request(http, self._body), stream=True)
        try:
            attempt.on_headers(response.status_code, response.headers)
            if response.status_code >= 400:
                body = await response.aread()
                raise attempt.error_for_status(response.status_code, response.headers, body)
            if is_json(response.headers):  # a server that ignored stream=true
                for delta in attempt.on_whole(await response.aread()):
                    yield delta
                return
            async for data in response.aiter_bytes():
                for delta in attempt.on_bytes(data):
                    yield delta
            for delta in attempt.on_end():
                yield delta
        finally:
            await response.aclose()

    async def until_done(self) -> Reply:
        async for _ in self:
            pass
        return self.reply
