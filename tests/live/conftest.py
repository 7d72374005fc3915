"""The live suite: the real Venice API, run only when the session was given a real key.

``tests/leakscan.py`` replaces ``VENICE_API_KEY`` with the suite's fake key at start and keeps a
real one in ``VENICE_LIVE_API_KEY``; without it every test here is skipped, and says why. The
key goes straight from the environment into the client: no test, fixture or helper holds it in
a variable that a traceback could show, and a report that shows it anyway is failed, redacted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from testkit.keys import LIVE_KEY_VAR
from tests.live.helpers import live_client
from venice_jupyter.api import ModelCatalog, VeniceClient


@pytest.fixture(scope="module")
def client() -> Iterator[VeniceClient]:
    with live_client() as made:
        yield made


@pytest.fixture(scope="module")
def catalog(client: VeniceClient) -> ModelCatalog:
    return client.catalog()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not os.environ.get(LIVE_KEY_VAR):
        return
    secret = os.environ[LIVE_KEY_VAR]
    texts = [report.longreprtext, *(content for _, content in report.sections)]
    if any(secret in text for text in texts):
        shown = report.longreprtext.replace(secret, "********")
        report.outcome = "failed"
        report.longrepr = f"The live API key appeared in this test's report (redacted):\n{shown}"
        report.sections = [(n, c.replace(secret, "********")) for n, c in report.sections]
