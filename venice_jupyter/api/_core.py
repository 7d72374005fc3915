"""What the sync and async clients share: their set-up, the retry loop, requests and catalogs.

The drivers (``_sync``, ``_async``) only move bytes and sleep; everything they decide, they ask
this module. A request is tried as a series of ``Attempt``s::

    retry = core.retrying()
    while True:
        attempt = retry.next()
        try:
            ... send, feed the attempt, return ...
        except (httpx.HTTPError, VeniceError) as exc:
            delay = retry.failed(exc)       # the final error is raised here
        sleep(delay)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import httpx

from venice_jupyter.api._attempt import Attempt, map_transport_error, parse_json_body
from venice_jupyter.api._catalog import ModelCatalog
from venice_jupyter.api._config import ClientConfig, Timeouts, TTLCache
from venice_jupyter.api._record import Hooks, record_hooks
from venice_jupyter.api._retry import RetryPolicy
from venice_jupyter.errors import APIError, VeniceError
from venice_jupyter.reply import Reply

__all__ = ["CHAT_PATH", "MODEL_PATHS", "ClientCore", "OnRetry", "Retrying", "whole_reply"]

CHAT_PATH: Final = "chat/completions"
# The first is required; traits and aliases are Venice extras a compatible server may lack.
MODEL_PATHS: Final = (
    "models?type=text",
    "models/traits?type=text",
    "models/compatibility_mapping?type=text",
)

OnRetry = Callable[[VeniceError, float, int], None]
"""Told before each wait: the error that failed an attempt, the seconds until the next attempt,
and that next attempt's number (from 2)."""


class Retrying:
    """The retry loop of one request, without I/O: which attempt this is, and what a failure
    means (try again after a delay, or give up with the error that carries the partial reply)."""

    def __init__(self, policy: RetryPolicy, base_url: str, on_retry: OnRetry | None) -> None:
        self.policy = policy
        self.base_url = base_url
        self.on_retry = on_retry
        self.count = 0
        self.attempt = Attempt()

    def next(self) -> Attempt:
        self.count += 1
        self.attempt = Attempt(self.count)
        return self.attempt

    def failed(self, exc: Exception) -> float:
        """Seconds to wait before the next attempt; raises the error when there is none."""
        attempt = self.attempt
        if isinstance(exc, httpx.HTTPError):
            err = map_transport_error(exc, attempt.got_headers, self.base_url)
        elif isinstance(exc, VeniceError):
            err = exc
        else:
            raise exc
        # Once a 2xx began (the server took the request) or a token arrived, never again.
        taken = attempt.delivered or attempt.accepted
        if not self.policy.should_retry(err, self.count, taken):
            raise attempt.fail(self._final(err)) from None
        delay = self.policy.delay(err, self.count)
        if self.on_retry is not None:
            self.on_retry(err, delay, self.count + 1)
        return delay

    def _final(self, err: VeniceError) -> VeniceError:
        # A wait the policy will not take is the user's to decide: say how long it would be.
        retry_after = err.retry_after if isinstance(err, APIError) else None
        if retry_after and (retry_after > self.policy.max_retry_after or self.count > 1):
            err.message = err.message.rstrip(".") + (
                f". The server asks to wait {retry_after:g} s before trying again."
            )
            err.args = (err.message,)
        return err


class ClientCore:
    """Configuration, retry policy and the catalog cache of one client, sync or async."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        timeouts: Timeouts | float | None,
        retry: RetryPolicy | None,
        models_ttl: float,
        config: ClientConfig | None,
    ) -> None:
        self.config = config or ClientConfig(api_key, base_url, timeouts)
        self.retry = retry or RetryPolicy()
        self.catalog_cache = TTLCache(models_ttl)

    def event_hooks(self, *, asynchronous: bool) -> Hooks:
        """The httpx hooks of a driver's client: the recorder's when ``VENICE_RECORD`` is set
        (``_record``), else none, so an unrecorded client pays nothing."""
        return record_hooks(self.config.redact, asynchronous=asynchronous)

    def retrying(self, on_retry: OnRetry | None = None) -> Retrying:
        return Retrying(self.retry, self.config.base_url, on_retry)

    def chat_request(self, http: httpx.Client | httpx.AsyncClient, body: dict[str, Any]) -> Any:
        """The POST of one attempt; a streaming body asks for SSE, a whole one for gzip/br."""
        stream = bool(body.get("stream"))
        return http.build_request(
            "POST",
            self.config.url(CHAT_PATH),
            json=body,
            headers=self.config.headers(stream=stream),
        )

    def get_request(self, http: httpx.Client | httpx.AsyncClient, path: str) -> Any:
        return http.build_request(
            "GET", self.config.url(path), headers=self.config.headers(stream=False)
        )

    def json_of(self, path: str, response: httpx.Response) -> Any:
        """A GET's JSON answer, or the API error it is."""
        if response.status_code >= 400:
            raise Attempt().error_for_status(
                response.status_code, response.headers, response.content
            )
        return parse_json_body(response.content, self.config.url(path))

    def cached_catalog(self, refresh: bool) -> ModelCatalog | None:
        return None if refresh else self.catalog_cache.get()  # type: ignore[no-any-return]

    def make_catalog(self, payloads: list[Any]) -> ModelCatalog:
        catalog = ModelCatalog.from_payloads(*payloads)
        self.catalog_cache.put(catalog)
        return catalog

    def transport_error(self, exc: httpx.HTTPError) -> VeniceError:
        return map_transport_error(exc, False, self.config.base_url)


def whole_reply(attempt: Attempt, response: httpx.Response) -> Reply:
    """A non-streaming answer, read in full: its reply, or the API error it is."""
    attempt.on_headers(response.status_code, response.headers)
    if response.status_code >= 400:
        raise attempt.error_for_status(response.status_code, response.headers, response.content)
    return attempt.on_json(response.content)
