"""venice-jupyter: the Venice.ai chat completions API in Jupyter, and from any Python code.

    reply = venice_jupyter.chat("Why is the sky blue?")      # or: await achat(...)
    table = venice_jupyter.batch(prompts_or_dataframe)       # many prompts, cached re-runs
    venice_jupyter.panel() / .compare(...) / .sampling_lab(...)     ipywidgets you can compose
    %load_ext venice_jupyter                                 %%venice and %venice in a notebook

The layers, from the cell to the wire, are described in ARCHITECTURE.md. Names are imported
on first use, so ``import venice_jupyter`` and ``%load_ext`` stay quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from venice_jupyter._version import __version__
from venice_jupyter.errors import (
    APIError,
    CapabilityError,
    ConfigError,
    MissingKeyError,
    ParameterError,
    RateLimitError,
    SchemaMismatchError,
    StreamCancelled,
    TransportError,
    VeniceError,
)
from venice_jupyter.ipython import load_ipython_extension, unload_ipython_extension

if TYPE_CHECKING:
    from venice_jupyter._chat import achat, chat
    from venice_jupyter.batching import abatch, batch
    from venice_jupyter.conversation import Conversation
    from venice_jupyter.reply import Reply
    from venice_jupyter.widgets.compare import compare
    from venice_jupyter.widgets.lab import sampling_lab
    from venice_jupyter.widgets.panel import panel
    from venice_jupyter.workspace import Workspace

__all__ = [
    "APIError",
    "CapabilityError",
    "ConfigError",
    "Conversation",
    "MissingKeyError",
    "ParameterError",
    "RateLimitError",
    "Reply",
    "SchemaMismatchError",
    "StreamCancelled",
    "TransportError",
    "VeniceError",
    "Workspace",
    "__version__",
    "abatch",
    "achat",
    "batch",
    "chat",
    "compare",
    "load_ipython_extension",
    "panel",
    "sampling_lab",
    "unload_ipython_extension",
]

# Public name -> the module that defines it, imported when the name is first used.
_LAZY = {
    "abatch": "venice_jupyter.batching",
    "achat": "venice_jupyter._chat",
    "batch": "venice_jupyter.batching",
    "chat": "venice_jupyter._chat",
    "Conversation": "venice_jupyter.conversation",
    "Reply": "venice_jupyter.reply",
    "Workspace": "venice_jupyter.workspace",
    "compare": "venice_jupyter.widgets.compare",
    "panel": "venice_jupyter.widgets.panel",
    "sampling_lab": "venice_jupyter.widgets.lab",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'venice_jupyter' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
