"""``bash scripts/lab.sh``, the README's first command, as a user runs it (here as root, like
most containers): Lab starts on the offline server's free port, or says which port is taken."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kernel


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENICE_")}
    for name in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        (tmp / name.lower()).mkdir(exist_ok=True)
        env[name] = str(tmp / name.lower())
    env["VENICE_JUPYTER_LOG"] = "off"
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LAB_ARGS = ["--no-browser", "--ServerApp.token=t0k", "--ServerApp.ip=127.0.0.1",
            "--LabApp.news_url=None"]  # fmt: skip


@pytest.fixture
def holder() -> Iterator[int]:
    """A port someone else holds."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_a_taken_port_is_named_and_lab_does_not_start(tmp_path: Path, holder: int) -> None:
    done = subprocess.run(
        ["bash", "scripts/lab.sh", *LAB_ARGS, f"--ServerApp.port={_free_port()}"],
        cwd=ROOT, env=_env(tmp_path, VENICE_OFFLINE_PORT=str(holder)),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"port {holder} is taken" in done.stderr
    assert "VENICE_OFFLINE_PORT" in done.stderr and "Traceback" not in done.stderr
    assert "Jupyter Server" not in done.stderr  # Lab never started


def test_lab_starts_as_root_on_the_offline_servers_free_port(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        ["bash", "scripts/lab.sh", *LAB_ARGS, f"--ServerApp.port={port}"],
        cwd=ROOT, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    seen: list[str] = []
    url = None
    try:
        for line in process.stdout:  # the script's own lines, then Lab's log
            seen.append(line)
            found = re.search(r"offline server at (http://127\.0\.0\.1:\d+/api/v1)", line)
            url = url or (found.group(1) if found else None)
            if f":{port}/lab" in line:
                break
        assert url is not None, "".join(seen)
        models = httpx.get(f"{url}/models", timeout=10).json()
        assert "venice-offline" in [m["id"] for m in models["data"]]
        status = httpx.get(f"http://127.0.0.1:{port}/api/status?token=t0k", timeout=10)
        assert status.status_code == 200  # as root: the script passed --allow-root
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/models", timeout=2)  # the offline server went with it
