"""What outlives the kernel: the SQLite log of exchanges and conversation files.

ExchangeLog                 every prompt and reply, written as it happens
ReplyCache                  the log as a response cache: a request sent before, answered again
save / load                 a conversation as .json (round-trips) or .md (to read)
"""

from venice_jupyter.storage._cache import CacheStats, request_key
from venice_jupyter.storage._files import export_json, export_markdown, import_json, load, save
from venice_jupyter.storage._ledger import Entry, Ledger
from venice_jupyter.storage._log import ENV_VAR, ExchangeLog, LogEntry, scrub_params
from venice_jupyter.storage._reuse import ReplyCache

__all__ = [
    "ENV_VAR",
    "CacheStats",
    "Entry",
    "ExchangeLog",
    "Ledger",
    "LogEntry",
    "ReplyCache",
    "export_json",
    "export_markdown",
    "import_json",
    "load",
    "request_key",
    "save",
    "scrub_params",
]
