"""The IPython layer: the extension, ``%%venice`` and its options, the ``%venice`` commands.

The magic only translates a cell into a request (``_cell``) and a reply into output (a sink);
sending, streaming and recording happen on the shared ``session`` path.
"""

from venice_jupyter.ipython._extension import load_ipython_extension, unload_ipython_extension

__all__ = ["load_ipython_extension", "unload_ipython_extension"]
