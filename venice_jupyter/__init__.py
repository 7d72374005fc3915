"""venice-jupyter: the Venice.ai chat completions API in Jupyter.

``%load_ext venice_jupyter`` registers ``%%venice`` / ``%venice``. Heavy modules (httpx,
markdown-it, the offline model) load on first use, so loading the extension is quick.
"""

from __future__ import annotations

from typing import Any

from venice_jupyter._version import __version__

__all__ = [
    "__version__",
    "compare",
    "load_ipython_extension",
    "panel",
    "sampling_lab",
    "unload_ipython_extension",
]

_STATE: Any = None


def load_ipython_extension(ipython: Any) -> None:
    global _STATE
    from venice_jupyter.magics import VeniceMagics
    from venice_jupyter.state import VeniceSettings, VeniceState

    settings = VeniceSettings(parent=ipython)
    ipython.configurables.append(settings)  # lets %config VeniceSettings.… reach it
    _STATE = VeniceState(settings)
    ipython.register_magics(VeniceMagics(ipython, _STATE))


def unload_ipython_extension(ipython: Any) -> None:
    global _STATE
    if _STATE is not None:
        _STATE.close()
        _STATE = None


def panel(**kwargs: Any) -> Any:
    """The control panel (also ``%venice panel``); see ``widgets.panel.open_panel``."""
    from venice_jupyter.widgets.panel import open_panel

    return open_panel(**kwargs)


def compare(*args: Any, **kwargs: Any) -> Any:
    """Side-by-side streams (also ``%%venice --compare``); see ``widgets.compare.compare``."""
    from venice_jupyter.widgets.compare import compare as _compare

    return _compare(*args, **kwargs)


def sampling_lab(*args: Any, **kwargs: Any) -> Any:
    """How samplers reshape a next-token distribution; see ``widgets.lab.sampling_lab``."""
    from venice_jupyter.widgets.lab import sampling_lab as _lab

    return _lab(*args, **kwargs)
