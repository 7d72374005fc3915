"""``%load_ext venice_jupyter``: register the magics on the current workspace.

Loading adopts the workspace the Python API may already have made (its conversations stay) and
gives it settings read from IPython's configuration; unloading closes its clients (sync and
async), the log and the offline server. Nothing here imports httpx or markdown-it.
"""

from __future__ import annotations

from typing import Any

from venice_jupyter import workspace as ws

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    from venice_jupyter.ipython._magics import VeniceMagics

    workspace = ws.current()
    settings = ws.VeniceSettings(parent=ipython)  # %config VeniceSettings.… values
    ipython.configurables.append(settings)  # lets later %config VeniceSettings.… reach it
    workspace.adopt_settings(settings)
    ws.install(workspace)
    ipython.register_magics(VeniceMagics(ipython, workspace))
    ipython.events.register("pre_run_cell", _CellIds(workspace))
    ipython.input_transformers_cleanup.append(help_cell)


def help_cell(lines: list[str]) -> list[str]:
    """``%%venice --help`` alone in a cell: IPython refuses a cell magic with no body before
    the magic runs, so such a cell becomes the line magic, which prints the same reference."""
    if lines and lines[0].startswith("%%venice") and not "".join(lines[1:]).strip():
        words = lines[0].split()
        if words[0] == "%%venice" and ("--help" in words or "-h" in words):
            return ["%venice --help\n"]
    return lines


class _CellIds:
    """Notes the id of each cell as it starts (JupyterLab and Notebook send one with every
    execution), so that running a cell again replaces its turn instead of adding a copy."""

    def __init__(self, workspace: ws.Workspace) -> None:
        self.workspace = workspace

    def __call__(self, info: Any) -> None:
        self.workspace.cell_id = getattr(info, "cell_id", None) or None


def unload_ipython_extension(ipython: Any) -> None:
    if help_cell in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(help_cell)
    for callback in list(ipython.events.callbacks.get("pre_run_cell", [])):
        if isinstance(callback, _CellIds):
            ipython.events.unregister("pre_run_cell", callback)
    workspace = ws.uninstall()
    if workspace is not None:
        workspace.close()
