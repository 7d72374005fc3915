"""Where a streamed reply is shown: a notebook output, a terminal, a widget; and the log.

Every sink has ``on_start / on_delta / on_finish / on_error`` (``session.Sink``); ``LoggedSink``
wraps any of them so that every front end writes the exchange log the same way.
"""

from venice_jupyter.sinks._logged import LoggedSink
from venice_jupyter.sinks._notebook import MIME_REPLY, NotebookSink, final_bundle
from venice_jupyter.sinks._quiet import QuietSink
from venice_jupyter.sinks._terminal import TerminalSink
from venice_jupyter.sinks._widget import WidgetSink

__all__ = [
    "MIME_REPLY",
    "LoggedSink",
    "NotebookSink",
    "QuietSink",
    "TerminalSink",
    "WidgetSink",
    "final_bundle",
]
