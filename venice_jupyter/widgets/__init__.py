"""ipywidgets front ends: the control panel, the compare view and the sampling lab.

Each is an ``ipywidgets.VBox`` (compose them in an ``HBox`` or a ``Tab``). The panel and the
compare view send through ``Session.arun`` (the same path as ``%%venice``) as asyncio tasks on
the kernel's running loop, so they never block the kernel and a Stop button can cancel them.
They run on the current workspace, whether or not the extension is loaded.
"""

from venice_jupyter.widgets._approval import ButtonApprover
from venice_jupyter.widgets.compare import CompareResult, CompareView
from venice_jupyter.widgets.lab import SamplingLab
from venice_jupyter.widgets.panel import Panel

__all__ = [
    "ButtonApprover",
    "CompareResult",
    "CompareView",
    "Panel",
    "SamplingLab",
]
