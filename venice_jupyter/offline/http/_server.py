"""``OfflineServer``: the Venice-compatible server on loopback, in a background thread.

    with OfflineServer() as server:              # port 0: the OS picks a free port
        client = VeniceClient(server.base_url, api_key="anything")
        server.inject(Fault("drop", after_tokens=3))
        ...
        assert all(valid(body) for body in server.requests)

``stop()`` is prompt even with hanging handlers and open keep-alive connections: it sets the
stopping event (which every wait in a handler watches), shuts the listening loop down, shuts down
every connection socket so blocked reads and writes return, then joins the handler threads.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from venice_jupyter.offline.http._accounting import Accounting
from venice_jupyter.offline.http._context import ServerContext
from venice_jupyter.offline.http._faults import Fault
from venice_jupyter.offline.http._handler import API_PREFIX, HTTPServer
from venice_jupyter.offline.models import get_topics

__all__ = ["OfflineServer"]


class OfflineServer:
    """The offline Venice API. ``api_key=None`` accepts any key or none."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        requests_per_minute: int = 10_000,
        tokens_per_minute: int = 10_000_000,
        balance_usd: float = 100.0,
        generic: bool = False,
    ) -> None:
        """``generic``: answer /models the way a plain OpenAI-compatible server does (ids only,
        no capabilities, no traits or aliases), to test clients against such servers."""
        self.context = ServerContext(
            api_key=api_key,
            accounting=Accounting(requests_per_minute, tokens_per_minute, balance_usd),
            generic=generic,
        )
        self._httpd = HTTPServer((host, port), self.context)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every JSON body received on POST /chat/completions, in arrival order (a copy)."""
        return self.context.recorded()

    def wait_for_requests(self, count: int, timeout: float | None = None) -> bool:
        """Block until ``count`` chat bodies have arrived in total; False on timeout."""
        return self.context.wait_for_requests(count, timeout)

    def inject(self, *faults: Fault) -> None:
        """Queue faults for the next chat requests (FIFO; see ``faults``)."""
        self.context.faults.push(*faults)

    def clear_faults(self) -> None:
        self.context.faults.clear()

    def start(self) -> OfflineServer:
        """Serve in a daemon thread (the model is trained first, so no request waits for it)."""
        if self._thread is None:
            get_topics()  # trains the model too
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"venice-offline:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until ``stop()`` from another thread (or KeyboardInterrupt)."""
        get_topics()
        self._httpd.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        self.context.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.context.close_all()
        self._httpd.server_close()

    def __enter__(self) -> OfflineServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"OfflineServer({self.base_url!r})"
