"""What outlives the kernel: the SQLite log of exchanges and conversation files.

ExchangeLog                 every prompt and reply, written as it happens
save / load                 a conversation as .json (round-trips) or .md (to read)
"""

from venice_jupyter.storage._files import export_json, export_markdown, import_json, load, save
from venice_jupyter.storage._ledger import Entry, Ledger
from venice_jupyter.storage._log import ENV_VAR, ExchangeLog, LogEntry, scrub_params

__all__ = [
    "ENV_VAR",
    "Entry",
    "ExchangeLog",
    "Ledger",
    "LogEntry",
    "export_json",
    "export_markdown",
    "import_json",
    "load",
    "save",
    "scrub_params",
]
