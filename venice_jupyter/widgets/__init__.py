"""ipywidgets front ends: the control panel, the compare view and the sampling lab.

All three send through ``Session.arun`` (the same path as ``%%venice``) as asyncio tasks on the
kernel's running loop, so they never block the kernel and a Stop button can cancel them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compare", "panel", "sampling_lab"]


def panel(**kwargs: Any) -> Any:
    from venice_jupyter.widgets.panel import open_panel

    return open_panel(**kwargs)


def compare(*args: Any, **kwargs: Any) -> Any:
    from venice_jupyter.widgets.compare import compare as _compare

    return _compare(*args, **kwargs)


def sampling_lab(*args: Any, **kwargs: Any) -> Any:
    from venice_jupyter.widgets.lab import sampling_lab as _lab

    return _lab(*args, **kwargs)
