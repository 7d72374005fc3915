"""The asynchronous Venice client: the async twin of ``client`` (used by the widgets).

Widgets run generation as a task on the kernel's running loop, so their Stop button works:
cancelling the task closes the connection. Everything but moving bytes lives in ``Exchange``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from venice_jupyter.client import CHAT_PATH, MODEL_PATHS
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
        self.config = config or ClientConfig(api_key, base_url, timeouts)
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            timeout=self.config.timeouts.to_httpx(), transport=transport, verify=ssl_context()
        )
        self._catalog = TTLCache(models_ttl)

    def __repr__(self) -> str:
        return f"AsyncVeniceClient({self.config!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncVeniceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def stream(self, body: dict[str, Any]) -> AsyncChatStream:
        return AsyncChatStream(self, {**body, "stream": True})

    async def complete(self, body: dict[str, Any]) -> Reply:
        body = {**body, "stream": False}
        attempt = 0
        while True:
            attempt += 1
            ex = Exchange(attempt)
            try:
                response = await self._http.post(
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
            await asyncio.sleep(self.retry.delay(err, attempt))

    async def get_json(self, path: str) -> Any:
        response = await self._http.get(
            self.config.url(path), headers=self.config.headers(stream=False)
        )
        if response.status_code >= 400:
            raise Exchange().error_for_status(
                response.status_code, response.headers, response.content
            )
        return parse_json_body(response.content, self.config.url(path))

    async def _optional_json(self, path: str) -> Any:
        try:
            return await self.get_json(path)
        except APIError:
            return None

    async def catalog(self, *, refresh: bool = False) -> ModelCatalog:
        cached = None if refresh else self._catalog.get()
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        try:
            payloads = [await self.get_json(MODEL_PATHS[0])]
            payloads += [await self._optional_json(path) for path in MODEL_PATHS[1:]]
        except httpx.HTTPError as exc:
            raise map_transport_error(exc, False, self.config.base_url) from exc
        catalog = ModelCatalog.from_payloads(*payloads)
        self._catalog.put(catalog)
        return catalog


class AsyncChatStream:
    """``async for delta in stream``; cancelling the consuming task closes the connection."""

    def __init__(self, client: AsyncVeniceClient, body: dict[str, Any]) -> None:
        self._client = client
        self._body = body
        self._exchange = Exchange()

    @property
    def reply(self) -> Reply:
        return self._exchange.reply

    async def __aiter__(self) -> AsyncIterator[Delta]:
        client = self._client
        attempt = 0
        while True:
            attempt += 1
            ex = self._exchange = Exchange(attempt)
            try:
                async for delta in self._attempt(ex):
                    yield delta
                return
            except httpx.HTTPError as exc:
                err = map_transport_error(exc, ex.got_headers, client.config.base_url)
            except VeniceError as exc:
                err = exc
            if not client.retry.should_retry(err, attempt, ex.delivered or ex.accepted):
                raise ex.fail(err)
            await asyncio.sleep(client.retry.delay(err, attempt))

    async def _attempt(self, ex: Exchange) -> AsyncIterator[Delta]:
        config = self._client.config
        http = self._client._http
        request = http.build_request(
            "POST", config.url(CHAT_PATH), json=self._body, headers=config.headers(stream=True)
        )
        response = await http.send(request, stream=True)
        try:
            ex.on_headers(response.status_code, response.headers)
            if response.status_code >= 400:
                body = await response.aread()
                raise ex.error_for_status(response.status_code, response.headers, body)
            if is_json(response.headers):
                reply = ex.on_json(await response.aread())
                ex.acc.reply = reply
                for delta in reply_deltas(reply):
                    yield delta
                return
            async for data in response.aiter_bytes():
                for delta in ex.on_bytes(data):
                    yield delta
            for delta in ex.on_end():
                yield delta
        finally:
            await response.aclose()

    async def until_done(self) -> Reply:
        async for _ in self:
            pass
        return self.reply
