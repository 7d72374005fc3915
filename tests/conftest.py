"""Shared fixtures: the offline Venice server on loopback, and bodies checked against the spec."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.leakscan import TEST_KEY
from tests.spec_validator import validate_request
from venice_jupyter.api import RetryPolicy
from venice_jupyter.offline import OfflineServer
from venice_jupyter.workspace import VeniceSettings, Workspace

__all__ = ["TEST_KEY"]

# With the `local` extra installed the offline default is the real model; the suite's n-gram
# expectations need the n-gram one. Kernels and servers the tests start inherit this; tests of
# the real model name it (tests/test_local_*.py).
os.environ["VENICE_OFFLINE_DEFAULT"] = "venice-offline"


@pytest.fixture(scope="session")
def venice_server() -> Iterator[OfflineServer]:
    """One server for the client tests; every body it received must validate against the spec."""
    server = OfflineServer().start()
    yield server
    server.stop()
    for body in server.requests:
        validate_request(body)


@pytest.fixture
def server(venice_server: OfflineServer) -> Iterator[OfflineServer]:
    venice_server.clear_faults()
    yield venice_server
    venice_server.clear_faults()


@pytest.fixture(scope="module")
def lenient_server() -> Iterator[OfflineServer]:
    """A server of the test module's own, for tests that send invalid bodies on purpose."""
    with OfflineServer() as running:
        yield running


@pytest.fixture
def http(lenient_server: OfflineServer) -> Iterator[httpx.Client]:
    """A plain HTTP client on ``lenient_server``; faults are cleared after each test."""
    with httpx.Client(base_url=lenient_server.base_url, timeout=10) as client:
        yield client
    lenient_server.clear_faults()


@pytest.fixture
def home(server: OfflineServer, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace of the test's own on ``server``: its log in ``tmp_path``, short retry waits."""
    settings = VeniceSettings(base_url=server.base_url, log_path=str(tmp_path / "log.sqlite3"))
    workspace = Workspace(settings, retry=RetryPolicy(base_delay=0.01, max_delay=0.05))
    yield workspace
    workspace.close()
