"""The wheel as a user gets it: built from this checkout, installed into a fresh venv.

One wheel and one clean venv (the wheel plus ``jupyterlab`` from the package index, through
pip's cache) per session: the slow part, timed and printed. Everything Jupyter or IPython reads
from the user's home is redirected to temp folders, so only what the venv holds is seen.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = "share/jupyter/labextensions/venice-jupyter"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Installed:
    wheel: Path
    venv: Path
    env: dict[str, str]  # isolated from the user's Jupyter and IPython settings
    cwd: Path  # outside the checkout, so `import venice_jupyter` cannot find its sources

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.venv / "bin" / args[0]), *args[1:]]
        return subprocess.run(
            command, env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=timeout
        )


def _check(step: str, result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        pytest.fail(f"{step} failed ({result.returncode}):\n{output}")


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "JUPYTER"))}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "IPYTHONDIR", "PIP_REQUIRE_VIRTUALENV"):
        env.pop(name, None)
    for name in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        path = tmp / name.lower()
        path.mkdir()
        env[name] = str(path)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    env = _clean_env(tmp)
    dist, venv, cwd = tmp / "dist", tmp / "venv", tmp / "cwd"
    cwd.mkdir()
    times: dict[str, float] = {}

    started = time.monotonic()
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(ROOT)]
    _check("pip wheel", subprocess.run(build, env=env, capture_output=True, text=True))
    times["build"] = time.monotonic() - started
    (wheel,) = dist.glob("venice_jupyter-*.whl")

    started = time.monotonic()
    # A clean venv: no system site-packages, nothing from the test environment. This pip
    # installs into it (`--python`): no ensurepip run, and no .pyc compiling of ~90 packages,
    # which together more than halve the time on a loaded machine.
    create = [sys.executable, "-m", "venv", "--without-pip", str(venv)]
    _check("venv", subprocess.run(create, env=env, capture_output=True, text=True))
    python = str(venv / "bin" / "python")
    install = [sys.executable, "-m", "pip", "--python", python, "install", "--no-compile"]
    install += [str(wheel), "jupyterlab"]
    _check("pip install", subprocess.run(install, env=env, capture_output=True, text=True))
    times["venv + install"] = time.monotonic() - started

    print("\nwheel test setup: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    return Installed(wheel, venv, env, cwd)


def test_wheel_ships_the_prebuilt_labextension(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        data = f"venice_jupyter-{installed.wheel.name.split('-')[1]}.data/data/{EXTENSION}"
        package = json.loads(wheel.read(f"{data}/package.json"))
        install = json.loads(wheel.read(f"{data}/install.json"))
    static = [n[len(data) + 1 :] for n in names if n.startswith(f"{data}/static/")]
    assert package["name"] == "venice-jupyter"
    assert package["jupyterlab"]["_build"]["load"].startswith("static/remoteEntry.")
    assert install["packageManager"] == "python"
    assert install["packageName"] == "venice-jupyter"
    assert any(re.fullmatch(r"static/remoteEntry\.[0-9a-f]+\.js", s) for s in static), static
    assert f"{package['jupyterlab']['_build']['load']}" in static  # the entry point it names
    assert "static/style.js" in static
    # Python sources ship too; the front-end's sources and node_modules do not.
    assert "venice_jupyter/__init__.py" in names
    assert not [n for n in names if "node_modules" in n or n.endswith(".ts")]


def test_labextension_is_enabled_in_a_fresh_venv(installed: Installed) -> None:
    result = installed.run("jupyter", "labextension", "list")
    _check("jupyter labextension list", result)
    listing = ANSI.sub("", result.stdout + result.stderr)
    line = next((ln for ln in listing.splitlines() if "venice-jupyter" in ln), None)
    assert line is not None, listing
    assert re.search(r"venice-jupyter v\S+ enabled\s+OK", line), listing
    # Found in the venv's own share/jupyter, not through the user's or the checkout's folders.
    assert str(installed.venv / "share" / "jupyter" / "labextensions") in listing


def test_import_and_load_ext_in_a_fresh_venv(installed: Installed) -> None:
    result = installed.run("python", "-c", "import venice_jupyter; print(venice_jupyter.__file__)")
    _check("import venice_jupyter", result)
    assert Path(result.stdout.strip()).is_relative_to(installed.venv)  # not the checkout

    code = (
        "%load_ext venice_jupyter\n"
        "print('cell magic:', get_ipython().find_cell_magic('venice') is not None)\n"
        "print('line magic:', get_ipython().find_line_magic('venice') is not None)"
    )
    result = installed.run("ipython", "--no-banner", "-c", code)
    _check("ipython %load_ext venice_jupyter", result)
    assert "cell magic: True" in result.stdout, result.stdout + result.stderr
    assert "line magic: True" in result.stdout, result.stdout + result.stderr
    assert "Error" not in result.stdout + result.stderr, result.stdout + result.stderr
