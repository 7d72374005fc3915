"""Browser fixtures: one JupyterLab server and one chromium for the session, a fresh page per test.

Every test gets a screenshot in ``artifacts/screenshots/`` and fails on unexpected page errors.
Chromium is Debian's (``apt-get install chromium``), never a playwright download.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.jupyter import JupyterServer, start_jupyter
from tests.leakscan import TEST_KEY
from venice_jupyter.offline import OfflineServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# A loaded 2-core machine can take seconds to render; waits still end as soon as they can.
expect.set_options(timeout=15_000)

# Notebook 7.6.5's own, seen with this extension disabled: "reading 'schema'" once per page
# load; "filebrowser:open-path" on a Notebook 7 page once the same server has served a Lab page.
ALLOWED_ERRORS = [
    re.compile(r"^page error: Cannot read properties of undefined \(reading 'schema'\)$"),
    re.compile(r"^page error: Command 'filebrowser:open-path' not registered\.$"),
]


# Package scope, not session: playwright's sync API keeps an asyncio loop running in the main
# thread while it is open, which would break every later test that calls asyncio.run().
@pytest.fixture(scope="package")
def jupyter(
    venice_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterServer]:
    """JupyterLab (and Notebook 7 at /notebooks/); its kernels talk to the offline server.

    Not waited for here, so chromium starts meanwhile: ``page`` waits until it is ready.
    """
    tmp = tmp_path_factory.mktemp("jupyter")
    env = {
        "VENICE_BASE_URL": venice_server.base_url,
        "VENICE_API_KEY": TEST_KEY,  # recognisable: the suite's leak scan looks for it everywhere
        "VENICE_JUPYTER_LOG": str(tmp / "log.db"),
    }
    server = start_jupyter(tmp, env=env)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium: apt-get install -y chromium (scripts/test.sh does, as root)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def offline(venice_server: OfflineServer) -> Iterator[OfflineServer]:
    venice_server.clear_faults()
    yield venice_server
    venice_server.clear_faults()


@pytest.fixture
def page(
    jupyter: JupyterServer, browser: Browser, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A page in a fresh context; fails the test on unexpected page or console errors."""
    jupyter.wait_ready()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=jupyter.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=jupyter.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console.error: {msg.text}") if msg.type == "error" else None,
    )
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    unexpected = [e for e in errors if not any(p.search(e) for p in ALLOWED_ERRORS)]
    if unexpected:
        pytest.fail("unexpected errors in the page:\n" + "\n".join(unexpected), pytrace=False)
