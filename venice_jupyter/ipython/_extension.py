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


def unload_ipython_extension(ipython: Any) -> None:
    workspace = ws.uninstall()
    if workspace is not None:
        workspace.close()
