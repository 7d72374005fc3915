"""venice-jupyter: the Venice.ai chat completions API in Jupyter."""

from venice_jupyter._version import __version__

__all__ = ["__version__"]
