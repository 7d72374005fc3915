"""Run widget callbacks on the kernel's main event loop.

JupyterLab 4.6 sends widget messages over kernel subshells, so ipykernel 7 may run a button's
handler in another thread with its own loop. Streams belong to the main loop (their httpx
connections and tasks live there), so handlers hop back to it before touching them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["current_loop", "on_loop"]


def current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def on_loop(loop: asyncio.AbstractEventLoop | None, action: Callable[[], Any]) -> None:
    """Call ``action`` now if we are on ``loop`` (or have none), else schedule it there."""
    if loop is None or current_loop() is loop or loop.is_closed():
        action()
    else:
        loop.call_soon_threadsafe(action)
