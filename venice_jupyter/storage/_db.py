"""Opening the log's SQLite file: WAL, the table, older files brought up to date.

Several kernels may open a fresh file at the same moment. SQLite's busy handler (the
``busy_timeout``) covers ordinary reads and writes, but not every step of setting a file up:
switching to WAL needs an exclusive lock and answers SQLITE_BUSY at once when another
connection holds any lock. So the set-up is one short write transaction (``BEGIN IMMEDIATE``,
which does wait on the busy handler) after the journal mode, and the whole set-up is tried
again, within the same time budget, when SQLite still says busy.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Final

__all__ = ["BUSY_TIMEOUT_MS", "open_db"]

BUSY_TIMEOUT_MS: Final = 5000
_BUSY_CODES: Final = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)
_SCHEMA: Final = """CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY, created REAL NOT NULL, finished REAL, pid INTEGER NOT NULL,
    status TEXT NOT NULL, conversation TEXT NOT NULL, notebook TEXT, model TEXT NOT NULL,
    params TEXT NOT NULL, prompt TEXT NOT NULL, reply TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL DEFAULT '', finish_reason TEXT, usage TEXT, cost_usd REAL,
    timings TEXT, request_id TEXT, completion_id TEXT, error TEXT,
    request_key TEXT, extras TEXT)"""
# Columns added after the first release: a file written by an older version gets them here.
_ADDED: Final = {"request_key": "TEXT", "extras": "TEXT"}
_INDEX: Final = (
    "CREATE INDEX IF NOT EXISTS exchanges_request_key ON exchanges (request_key) "
    "WHERE request_key IS NOT NULL"
)


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    # Without the code (3.10), any OperationalError during set-up is tried again until the
    # deadline: a real problem (a read-only file) still surfaces, a few seconds later.
    return code is None or code & 0xFF in _BUSY_CODES


def _set_up(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # WAL is a property of the file: only the first connection ever has to switch it.
    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    # With WAL, NORMAL still survives a killed process (a kernel's row outlives it); only a
    # power cut may lose the last commits. FULL would fsync every row, a third of a
    # millisecond each, on the event loop of a batch of thousands.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_SCHEMA)
        have = {row[1] for row in conn.execute("PRAGMA table_info(exchanges)")}
        for name, kind in _ADDED.items():
            if name not in have:
                conn.execute(f"ALTER TABLE exchanges ADD COLUMN {name} {kind}")
        conn.execute(_INDEX)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def open_db(path: Path) -> sqlite3.Connection:
    """An autocommit connection to the log at ``path``, set up; sqlite3 errors propagate."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.002
    while True:
        # Autocommit (isolation_level=None): every statement is durable when it returns,
        # which is what lets a killed kernel leave its "streaming" row behind.
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        try:
            _set_up(conn)
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if not _busy(exc) or time.monotonic() + pause > deadline:
                raise
        except BaseException:
            conn.close()
            raise
        time.sleep(pause)  # another connection is setting the file up: let it finish
        pause = min(pause * 2, 0.1)
