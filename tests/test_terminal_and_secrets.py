"""Terminal IPython gets plain streamed text; the API key never leaks anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from testkit.kernel import isolated_env
from tests.conftest import TEST_KEY
from venice_jupyter.offline import Fault, OfflineServer

pytestmark = pytest.mark.kernel


def test_terminal_ipython_streams_plain_text(server: OfflineServer, tmp_path: Path) -> None:
    script = tmp_path / "chat.ipy"
    script.write_text(
        "%load_ext venice_jupyter\n"
        "get_ipython().run_cell_magic('venice', '--seed 3 --max-completion-tokens 40', "
        "'Tell me about tea.')\n"
        "import venice_jupyter\n"
        "print('TURNS', len(venice_jupyter.workspace.current().conversations.get()))\n"
    )
    ipython = Path(sys.executable).parent / "ipython"
    done = subprocess.run(
        [str(ipython), "--no-banner", "--colors=NoColor", str(script)],
        env=isolated_env(tmp_path, VENICE_BASE_URL=server.base_url),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    reply_text = server.requests[-1]  # the body we sent; the answer is in stdout
    assert reply_text["seed"] == 3
    assert "— venice-offline" in out and "tokens" in out  # the plain footer
    assert "<div" not in out and "IPython.core.display" not in out  # no HTML, no reprs
    assert "TURNS 1" in out


def _scan(text: str, where: str) -> list[str]:
    return [where] if TEST_KEY in text else []


def test_the_key_never_appears_in_outputs_logs_exports_or_notebooks(tmp_path: Path) -> None:
    with OfflineServer(api_key=TEST_KEY) as server:
        server.inject(Fault(kind="drop", after_tokens=3))
        cells = [
            "%load_ext venice_jupyter",
            "import logging, sys\nlogging.basicConfig(level=logging.DEBUG, stream=sys.stderr)",
            "%%venice --max-completion-tokens 10\nThis stream breaks.",  # a failure
            "%%venice --max-completion-tokens 10 -o r\nHello there.",
            "%%venice --dry-run\nWhat would you send?",
            "%venice show",
            f"%venice export {tmp_path / 'conv.json'}",
            f"%venice export {tmp_path / 'conv.md'}",
            "%venice log",
            "print(repr(r), r.meta, r.timings)",
            "import venice_jupyter; s = venice_jupyter.workspace.current().session()\n"
            "print(repr(s.client), repr(s.client.config), vars(s.client.config))",
            "try:\n    s.client.config.set_key('other'); s.client.catalog(refresh=True)\n"
            "except Exception as e:\n    print(repr(e), str(e))",
        ]
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        env = isolated_env(tmp_path, VENICE_BASE_URL=server.base_url, VENICE_API_KEY=TEST_KEY)
        client = NotebookClient(nb, timeout=120, allow_errors=True, resources={})
        import os

        old = dict(os.environ)
        os.environ.update(env)
        try:
            client.execute(cwd=str(tmp_path))
        finally:
            os.environ.clear()
            os.environ.update(old)
        saved = tmp_path / "saved.ipynb"
        nbformat.write(nb, saved)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    # the cells really ran: a reply, a failure with partial text, a dry run, debug logs
    assert any("application/vnd.venice.reply+json" in o.get("data", {}) for o in outputs)
    assert any("Bearer ********" in json.dumps(o) for o in outputs)
    assert any("httpcore" in o.get("text", "") for o in outputs), "debug logging was not on"
    leaks: list[str] = []
    leaks += _scan(saved.read_text(), "saved notebook")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            leaks += _scan(path.read_bytes().decode("utf-8", "replace"), str(path))
    assert leaks == []


def test_terminal_compare_and_samples_print_text_columns(
    server: OfflineServer, tmp_path: Path
) -> None:
    script = tmp_path / "compare.ipy"
    script.write_text(
        "%load_ext venice_jupyter\n"
        "r = get_ipython().run_cell_magic('venice', '--compare venice-offline,venice-offline-small"
        " --max-completion-tokens 12', 'Tell me about tea.')\n"
        "print('RESULT', repr(r))\n"
        "s = get_ipython().run_cell_magic('venice', '--samples 2 --seed 3 "
        "--max-completion-tokens 8', 'Tell me about tea.')\n"
        "print('STATUSES', [x.status for x in s])\n"
    )
    ipython = Path(sys.executable).parent / "ipython"
    done = subprocess.run(
        [str(ipython), "--no-banner", "--colors=NoColor", str(script)],
        env=isolated_env(tmp_path, VENICE_BASE_URL=server.base_url),
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "=== venice-offline ===" in out and "=== venice-offline-small ===" in out
    assert "RESULT venice-offline [done]" in out and "tokens" in out
    assert "STATUSES ['done', 'done']" in out
    assert "Widget" not in out and "<div" not in out and "Traceback" not in done.stderr
