"""A new user's first hour, end to end: the quickstart's cells, then what the trial tried
(issue 11), typed as the docs spell them, in one real kernel against the offline server with
no key. Every cell must run without an error output or anything on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from testkit.kernel import isolated_env

ROOT = Path(__file__).resolve().parents[1]

FIRST_HOUR = [
    "%%venice --help",
    "%venice help",
    "%venice models --with R",
    "%%venice -m venice-offline-reasoning --max-completion-tokens 20\nWhy is the sky blue?",
    "%%venice -m venice-offline-reasoning --reasoning hide --max-completion-tokens 60\nWhy?",
    "%%venice -m venice-offline-reasoning --reasoning off --max-completion-tokens 20\nWhy?",
    "i = 7",
    "%%venice --max-completion-tokens 10\nFix `print(f'{i}')` and $\\frac{x}{i}$; i is {i}.",
    "%%venice --no-interpolate --max-completion-tokens 5\nKeep {i}.",
    "%%venice --dry-run\n{i} apples and {nothere} pears.",
    "%%venice --web-search on --citations --max-completion-tokens 60\nThe planets?",
    "%%venice --max-completion-tokens 10 --temperature 0.1\nTell me about bread.",
    "%venice retry",
    "%%venice --n 3 --max-completion-tokens 10\nTea?",
    "tools = " + json.dumps([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]),
    "%%venice --tools tools --tool-choice required --max-completion-tokens 30\nWeather in Rome?",
    "%%venice --max-completion-tokens 8\nThanks.",
    "%venice usage",
    "%venice show",
    "%venice history",
    "%venice switch --new scratch",
    "%venice switch default",
]  # fmt: skip


@pytest.mark.kernel
def test_the_first_hour_runs_clean(tmp_path: Path) -> None:
    quickstart = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    nb = nbformat.v4.new_notebook(metadata=quickstart.metadata)
    nb.cells = [c for c in quickstart.cells] + [nbformat.v4.new_code_cell(s) for s in FIRST_HOUR]
    env = isolated_env(tmp_path)  # no key, no VENICE_BASE_URL: the offline server
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.km = client.create_kernel_manager()
    client.start_new_kernel(env=env)
    with client.setup_kernel(env=env):
        client.start_new_kernel_client()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    outputs = [(c.source, o) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [s for s, o in outputs if o.output_type == "error"]
    stderr = [(s, o.text) for s, o in outputs if o.get("name") == "stderr"]
    assert errors == [] and stderr == []
    texts = [o.get("data", {}).get("text/plain", "") or o.get("text", "") for _, o in outputs]
    joined = "\n".join(texts)
    expectations = ("--reasoning-object", "still reasoning", "Sources:", "[choice 3",
                    "[tool get_weather(", "default → venice-offline",
                    "left as written")  # fmt: skip
    for expected in expectations:
        assert expected in joined, expected
