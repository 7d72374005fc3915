"""The compare view: ``compare()`` streams one prompt into columns side by side; ``CompareView``
is the widget (an ``ipywidgets.VBox``), ``CompareResult`` one column's outcome."""

from venice_jupyter.widgets.compare._compare import compare, compare_prepared
from venice_jupyter.widgets.compare._plan import CompareResult
from venice_jupyter.widgets.compare._view import CompareView

__all__ = ["CompareResult", "CompareView", "compare", "compare_prepared"]
