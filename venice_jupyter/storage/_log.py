"""A persistent SQLite log of every exchange, so a reply survives a kernel restart.

    row = log.start(conversation, model, params, prompt, body=…)   committed at once: "streaming"
    log.finish(row, reply)                                   status "complete"
    log.fail(row, "error" | "interrupted", message, partial)
    log.recall(body) / recall_many(bodies)                   the response cache (``_cache``)

A kernel killed mid-stream leaves its row "streaming"; such a row reads back as "interrupted"
once its process is gone. The API key is never stored: key-like names are dropped from the
parameters (``scrub_params``), and the request body is kept only as a hash (its cache key).
Any SQLite or file-system failure surfaces as a ``ConfigError`` naming the file and how to turn
logging off; callers show it as a warning and keep the reply.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from venice_jupyter.errors import ConfigError, ParameterError
from venice_jupyter.reply import Reply, Timings, Usage
from venice_jupyter.storage._cache import (
    CacheStats,
    cache_stats,
    cached_replies,
    extras_json,
    forget_keys,
    request_key,
)
from venice_jupyter.storage._db import open_db

__all__ = ["ENV_VAR", "ExchangeLog", "LogEntry", "default_path", "scrub_params"]

ENV_VAR = "VENICE_JUPYTER_LOG"
OFF = frozenset({"off", "0", "false", "no", "none"})
_SECRET_PARTS = ("apikey", "authorization", "secret", "password", "accesstoken")


@dataclass(frozen=True)
class LogEntry:
    id: int
    created: float  # unix time
    status: str  # "streaming", "complete", "error" or "interrupted"
    conversation: str
    model: str
    prompt: str
    params: dict[str, Any] = field(default_factory=dict)
    notebook: str | None = None
    reply: str = ""  # the whole reply, or what had streamed before an error
    reasoning: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    cost_usd: float | None = None
    timings: Timings | None = None
    request_id: str | None = None
    completion_id: str | None = None
    error: str | None = None
    finished: float | None = None
    pid: int = 0


def default_path() -> Path | None:
    """``$VENICE_JUPYTER_LOG``, else the XDG data directory; None when the variable says off."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured.lower() in OFF:
        return None
    if configured:
        return Path(configured).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(data_home) if data_home else Path.home() / ".local" / "share"
    return base / "venice-jupyter" / "log.sqlite3"


def scrub_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` without any key named like a credential, at any depth."""
    return {k: _scrub(v) for k, v in params.items() if not _is_secret_name(k)}


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return scrub_params(value)
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    return value


def _is_secret_name(name: object) -> bool:
    squashed = str(name).lower().replace("_", "").replace("-", "")
    return squashed in ("auth", "token", "bearer") or any(p in squashed for p in _SECRET_PARTS)


def _json(value: Any) -> str:
    # Parameters may hold objects that JSON does not know; their str() is enough for a log.
    return json.dumps(value, ensure_ascii=False, default=str)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:
        return False
    return True


class ExchangeLog:
    """The log in one SQLite file, opened on first use. ``disabled()`` stores nothing."""

    def __init__(self, path: Path | str | None = None, *, enabled: bool = True) -> None:
        # path is None when disabled, here or by VENICE_JUPYTER_LOG=off: every method is a no-op.
        self.path = None if not enabled else Path(path).expanduser() if path else default_path()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, shared by the kernel's threads
        # Which server answers (the workspace sets it): a cached answer is reused only for the
        # same one, so an offline answer never stands in for Venice's.
        self.scope = ""

    @classmethod
    def disabled(cls) -> ExchangeLog:
        return cls(enabled=False)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def start(
        self,
        conversation: str,
        model: str,
        params: Mapping[str, Any],
        prompt: str,
        notebook: str | None = None,
        *,
        body: Mapping[str, Any] | None = None,
    ) -> int:
        """A "streaming" row, committed before the request goes out; its id (0 when disabled).
        With the request ``body``, a complete reply to it can answer the same request later."""
        if self.path is None:
            return 0
        row = (time.time(), os.getpid(), conversation, notebook, model, prompt)
        key = request_key(body, self.scope) if body is not None else None
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO exchanges (created, pid, status, conversation, notebook, model, "
                "prompt, params, request_key) VALUES (?, ?, 'streaming', ?, ?, ?, ?, ?, ?)",
                (*row, _json(scrub_params(params)), key),
            )
            return int(cursor.lastrowid or 0)

    def finish(self, row_id: int, reply: Reply) -> None:
        if self.path is None:
            return
        usage = _json(asdict(reply.usage)) if reply.usage else None
        cost = reply.cost.usd if reply.cost else None
        with self._db() as db:
            db.execute(
                "UPDATE exchanges SET status = 'complete', finished = ?, reply = ?, reasoning = ?, "
                "finish_reason = ?, usage = ?, cost_usd = ?, timings = ?, request_id = ?, "
                "completion_id = ?, extras = ?, model = COALESCE(?, model) WHERE id = ?",
                (
                    time.time(),
                    reply.text,
                    reply.reasoning,
                    reply.finish_reason,
                    usage,
                    cost,
                    _json(asdict(reply.timings)),
                    reply.meta.request_id,
                    reply.id,
                    extras_json(reply),
                    reply.meta.model_id or reply.model,  # the model that answered
                    row_id,
                ),
            )

    def fail(self, row_id: int, status: str, message: str, partial_text: str = "") -> None:
        """Close a row as "error" or "interrupted", keeping what had streamed so far."""
        if status not in ("error", "interrupted"):
            raise ParameterError("status", status, "'error' or 'interrupted'")
        if self.path is None:
            return
        with self._db() as db:
            db.execute(
                "UPDATE exchanges SET status = ?, finished = ?, error = ?, reply = ? WHERE id = ?",
                (status, time.time(), message, partial_text, row_id),
            )

    def search(self, query: str = "", limit: int = 20) -> list[LogEntry]:
        """Newest first; ``query`` is a case-insensitive substring of the prompt or the reply."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ParameterError("limit", limit, "a whole number of entries, 0 or more")
        if not query:
            return self._select("ORDER BY id DESC LIMIT ?", (limit,))
        # A Python function gives real Unicode case folding; LIKE folds ASCII letters only.
        needle = query.casefold()
        where = "WHERE vj_contains(prompt, ?) OR vj_contains(reply, ?) ORDER BY id DESC LIMIT ?"
        return self._select(where, (needle, needle, limit))

    def entries(self) -> list[LogEntry]:
        """Every entry, oldest first."""
        return self._select("ORDER BY id", ())

    def get(self, row_id: int) -> LogEntry | None:
        found = self._select("WHERE id = ?", (row_id,))
        return found[0] if found else None

    # -- the response cache -------------------------------------------------------------

    def recall(self, body: Mapping[str, Any]) -> Reply | None:
        """The newest complete reply to exactly this request, rebuilt (``cached=True``)."""
        return self.recall_many([body])[0]

    def recall_many(self, bodies: Sequence[Mapping[str, Any]]) -> list[Reply | None]:
        """``recall`` for many requests at once (a few queries, not one per body)."""
        if not bodies or not self._readable():
            return [None] * len(bodies)
        keys = [request_key(body, self.scope) for body in bodies]
        with self._db() as db:
            return cached_replies(db, keys)

    def cache_stats(self) -> CacheStats:
        if not self._readable():
            return CacheStats(0, 0, 0.0, str(self.path) if self.path else None)
        with self._db() as db:
            return cache_stats(db, str(self.path))

    def forget_cache(self) -> int:
        """Drop every cache key: the exchanges stay in the log, but no request is answered from
        them any more. Returns how many rows were keyed."""
        if not self._readable():
            return 0
        with self._db() as db:
            return forget_keys(db)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __repr__(self) -> str:
        return f"ExchangeLog({str(self.path)!r})" if self.path else "ExchangeLog.disabled()"

    # -- plumbing -------------------------------------------------------------------------

    def _readable(self) -> bool:
        # Reading never creates the file: a log that was never written is simply empty.
        return self.path is not None and (self._conn is not None or self.path.exists())

    def _select(self, tail: str, args: tuple[Any, ...]) -> list[LogEntry]:
        if not self._readable():
            return []
        with self._db() as db:
            rows = db.execute(f"SELECT * FROM exchanges {tail}", args).fetchall()
        return [_entry(row) for row in rows]

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._connect()
            except (sqlite3.Error, OSError) as exc:
                raise self._problem(exc) from None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = open_db(self.path)
            conn.create_function("vj_contains", 2, _contains, deterministic=True)
            conn.row_factory = sqlite3.Row
            self._conn = conn
        return self._conn

    def _problem(self, exc: BaseException) -> ConfigError:
        return ConfigError(
            f"The exchange log {self.path} cannot be used ({exc}). Move or delete that file, "
            f"point {ENV_VAR} at another file, or turn the log off with {ENV_VAR}=off "
            "(or ExchangeLog.disabled())."
        )


def _contains(haystack: str | None, needle: str) -> bool:
    return haystack is not None and needle in haystack.casefold()


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:  # a hand-edited row should not make the whole log unreadable
        return None


def _known(cls: type[Any], data: Any) -> Any:
    """``cls(**data)`` with only the fields ``cls`` has (rows may come from other versions)."""
    if not isinstance(data, dict):
        return None
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def _entry(row: sqlite3.Row) -> LogEntry:
    status = row["status"]
    if status == "streaming" and not _alive(row["pid"]):
        status = "interrupted"
    plain = ("id", "created", "finished", "pid", "conversation", "notebook", "model", "prompt")
    text = ("reply", "reasoning", "finish_reason", "cost_usd", "request_id", "completion_id")
    return LogEntry(
        status=status,
        params=_loads(row["params"]) or {},
        usage=_known(Usage, _loads(row["usage"])),
        timings=_known(Timings, _loads(row["timings"])),
        error=row["error"],
        **{name: row[name] for name in (*plain, *text)},
    )
