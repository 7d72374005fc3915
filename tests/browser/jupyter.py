"""A JupyterLab server (which also serves Notebook 7) for browser tests, isolated from the user.

The kernels it starts inherit its environment, so ``VENICE_BASE_URL`` given here points every
``%%venice`` cell at the offline server. The venv's ``share/jupyter`` stays on the data path
(only the user-level JUPYTER_DATA_DIR is replaced), so the installed labextension is found.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["JupyterServer", "free_port", "start_jupyter"]

# No news or update toasts over the notebook.
_NOTIFICATIONS = {"fetchNews": "false", "checkForUpdates": False}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class JupyterServer:
    process: subprocess.Popen[bytes]
    url: str  # http://127.0.0.1:PORT
    token: str
    root_dir: Path
    log_path: Path
    ready: bool = False

    def wait_ready(self, timeout: float = 60) -> None:
        """Returns once /api/status answers 200 (at once after the first time)."""
        deadline = time.monotonic() + timeout
        while not self.ready:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"jupyter exited with {code}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"jupyter not ready in {timeout}s:\n{self.log_tail()}")
            try:
                status = httpx.get(f"{self.url}/api/status", params={"token": self.token})
                self.ready = status.status_code == 200
            except httpx.TransportError:
                time.sleep(0.1)  # not listening yet

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def write_notebook(
        self, name: str, cells: list[str], outputs: dict[int, list[dict[str, Any]]] | None = None
    ) -> str:
        """Writes ``name`` (code cells with these sources and outputs, unsigned) under the root."""
        nb: dict[str, Any] = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"},
            },
            "cells": [
                {
                    "cell_type": "code",
                    "id": f"cell-{i}",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": (outputs or {}).get(i, []),
                    "source": source,
                }
                for i, source in enumerate(cells)
            ],
        }
        (self.root_dir / name).write_text(json.dumps(nb, indent=1))
        return name

    def read_notebook(self, name: str) -> dict[str, Any]:
        return json.loads((self.root_dir / name).read_text())  # type: ignore[no-any-return]


def start_jupyter(tmp: Path, *, env: dict[str, str]) -> JupyterServer:
    """Starts ``jupyter lab`` on a free loopback port; ``wait_ready()`` before using it."""
    root = tmp / "root"
    root.mkdir()
    full_env = dict(os.environ)
    for name in (
        "IPYTHONDIR",
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
    ):
        path = tmp / name.lower()
        path.mkdir()
        full_env[name] = str(path)
    settings = Path(full_env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(_NOTIFICATIONS))
    for name in ("VENICE_API_KEY", "VENICE_LIVE_API_KEY", "VENICE_BASE_URL", "JPY_SESSION_NAME"):
        full_env.pop(name, None)
    full_env.update(env)

    port, token = free_port(), secrets.token_hex(16)
    log_path = tmp / "jupyter.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
        "--LabApp.extension_manager=readonly",
        "--LabApp.news_url=None",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=full_env, cwd=root, stdout=log, stderr=subprocess.STDOUT
        )
    return JupyterServer(process, f"http://127.0.0.1:{port}", token, root, log_path)
