"""The control panel: ``panel()`` makes one; ``Panel`` is the widget (an ``ipywidgets.VBox``)."""

from venice_jupyter.widgets.panel._panel import Panel, panel

__all__ = ["Panel", "panel"]
