"""Every notebook in notebooks/ runs end to end with `jupyter execute`, offline, with no key."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from testkit.kernel import isolated_env

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.kernel
@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_offline(source: Path, tmp_path: Path) -> None:
    notebook = tmp_path / source.name
    shutil.copy(source, notebook)
    jupyter = Path(sys.executable).parent / "jupyter"
    done = subprocess.run(
        [str(jupyter), "execute", "--inplace", notebook.name],
        cwd=tmp_path,
        env=isolated_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    nb = nbformat.read(notebook, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    replies = [o for o in outputs if "application/vnd.venice.reply+json" in o.get("data", {})]
    assert replies, "no %%venice answer was rendered"
    for o in replies:
        assert o["data"]["text/markdown"].strip()
        assert o["metadata"]["venice"]["complete"] is True
