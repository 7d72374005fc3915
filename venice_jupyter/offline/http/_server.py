"""``OfflineServer``: the Venice-compatible server on loopback, in a background thread.

    with OfflineServer() as server:              # port 0: the OS picks a free port
        client = VeniceClient(server.base_url, api_key="anything")
        server.inject(Fault("drop", after_tokens=3))
        ...
        assert all(valid(body) for body in server.requests)

Starting also loads the real model when the ``local`` extra (or ``VENICE_OFFLINE_GGUF``) asks for
one; if it cannot be served, ``start()`` warns (``LocalModelWarning``, the reason and what to do,
also kept in ``notices``) and the n-gram models are served as always.

``stop()`` is prompt even with hanging handlers and open keep-alive connections: it sets the
stopping event (which every wait in a handler watches), shuts the listening loop down, shuts down
every connection socket so blocked reads and writes return, then joins the handler threads.
"""

from __future__ import annotations

import threading
import warnings
from types import TracebackType
from typing import Any

from venice_jupyter.offline.http._accounting import Accounting
from venice_jupyter.offline.http._context import ServerContext
from venice_jupyter.offline.http._faults import Fault
from venice_jupyter.offline.http._handler import API_PREFIX, HTTPServer
from venice_jupyter.offline.models import LocalModelWarning, get_topics, local_status

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

    @property
    def notices(self) -> list[str]:
        """What the server warned about when it started (a real model it could not serve)."""
        return list(self.context.notices)

    def _prepare(self) -> None:
        """Train the n-gram model and load the real one, so no request waits for them."""
        get_topics()  # trains the model too
        problem = local_status().problem
        if problem is not None and problem not in self.context.notices:
            self.context.notices.append(problem)
            warnings.warn(problem, LocalModelWarning, stacklevel=3)

    def inject(self, *faults: Fault) -> None:
        """Queue faults for the next chat requests (FIFO; see ``faults``)."""
        self.context.faults.push(*faults)

    def clear_faults(self) -> None:
        self.context.faults.clear()

    def start(self) -> OfflineServer:
        """Serve in a daemon thread (the models are ready first, so no request waits for them)."""
        if self._thread is None:
            self._prepare()
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
        self._prepare()
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
