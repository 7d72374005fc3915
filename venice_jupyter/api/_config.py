"""Where requests go and with which credentials: shared by the sync and async clients."""

from __future__ import annotations

import functools
import math
import os
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from venice_jupyter._version import __version__
from venice_jupyter.errors import ConfigError, MissingKeyError

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientConfig",
    "Secret",
    "TTLCache",
    "Timeouts",
    "secret",
    "ssl_context",
]

DEFAULT_BASE_URL = "https://api.venice.ai/api/v1"
VENICE_HOSTS = ("api.venice.ai",)


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One verified TLS context per process: building one loads the CA bundle (~30 ms), and
    every client (sync and async, each session) would otherwise build its own."""
    return httpx.create_ssl_context()


class Secret:
    """Holds the API key; its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        # Pickling (and so copy, multiprocessing, a kernel's "save variables") would write the
        # key out in clear; a key is set again where it is needed instead.
        raise TypeError("an API key is never pickled or copied; set it again where it is needed")


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``read`` is the longest wait for the next bytes, not for the whole reply."""

    connect: float = 10.0
    read: float = 120.0
    write: float = 30.0
    pool: float = 30.0

    def __post_init__(self) -> None:
        for name in ("read", "connect", "write", "pool"):
            value = getattr(self, name)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (number and math.isfinite(value) and value > 0):
                raise ConfigError(
                    f"timeouts.{name}: {value!r} is not allowed; expected a finite number of "
                    "seconds > 0."
                )

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


class ClientConfig:
    """Base URL, key, timeouts and the request headers built from them."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeouts: Timeouts | float | None = None,
    ) -> None:
        self._key = secret(api_key if api_key is not None else os.environ.get("VENICE_API_KEY"))
        url = base_url or os.environ.get("VENICE_BASE_URL") or DEFAULT_BASE_URL
        parts = urlsplit(url.rstrip("/")) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"base_url: {url!r} is not an http(s) URL; expected e.g. {DEFAULT_BASE_URL!r} "
                "(set VENICE_BASE_URL or pass base_url=)."
            )
        self.base_url = url.rstrip("/")
        if isinstance(timeouts, (int, float)) and not isinstance(timeouts, bool):
            timeouts = Timeouts(connect=min(10.0, float(timeouts)), read=float(timeouts))
        if timeouts is not None and not isinstance(timeouts, Timeouts):
            raise ConfigError(
                f"timeouts: {timeouts!r} is not allowed; expected seconds (a number > 0) or "
                "Timeouts(read=…, connect=…)."
            )
        self.timeouts = timeouts or Timeouts()

    @property
    def has_key(self) -> bool:
        return self._key is not None

    @property
    def is_venice(self) -> bool:
        return urlsplit(self.base_url).hostname in VENICE_HOSTS

    def set_key(self, api_key: str | None) -> None:
        self._key = secret(api_key)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def headers(self, *, stream: bool) -> dict[str, str]:
        if self._key is None and self.is_venice:
            raise MissingKeyError()
        headers = {"User-Agent": f"venice-jupyter/{__version__}", "Accept": "application/json"}
        if stream:
            headers["Accept"] = "text/event-stream"
            # SSE must not be buffered or compressed on the way.
            headers["Accept-Encoding"] = "identity"
        else:
            headers["Accept-Encoding"] = "gzip, br"
        if self._key is not None:
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        return headers

    def redact(self, text: str) -> str:
        """Remove the key from any text that is about to be shown or stored."""
        if self._key is not None and self._key.reveal():
            return text.replace(self._key.reveal(), "********")
        return text

    def __repr__(self) -> str:
        key = "set" if self._key else "none"
        return f"ClientConfig(base_url={self.base_url!r}, key={key})"


def secret(key: object) -> Secret | None:
    """The key, stripped, as a Secret (None when empty). A key that an HTTP header cannot carry
    is refused here, and never shown: httpx's own error would quote the whole header."""
    if key is None:
        return None
    if not isinstance(key, str):
        raise ConfigError(
            f"api_key: a value of type {type(key).__name__} is not allowed; expected the key "
            "as a string."
        )
    key = key.strip()
    if not key:
        return None
    if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
        raise ConfigError(
            "api_key: the key holds spaces, line breaks or non-ASCII characters, which an HTTP "
            "header cannot carry; expected the key exactly as https://venice.ai/settings/api "
            "shows it (it is not repeated here)."
        )
    return Secret(key)


class TTLCache:
    """One value, fetched again after ``ttl`` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._value: Any = None
        self._at = 0.0

    def get(self) -> Any:
        if self._value is not None and time.monotonic() - self._at < self.ttl:
            return self._value
        return None

    def put(self, value: Any) -> None:
        self._value = value
        self._at = time.monotonic()

    def clear(self) -> None:
        self._value = None
