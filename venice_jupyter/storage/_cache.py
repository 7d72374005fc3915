"""The exchange log as a response cache: a request sent before is answered again without a call.

    request_key(body, scope)       which requests are "the same": the exact body, minus how it
                                   is delivered (``stream``, ``stream_options``), per server
    extras_json / rebuild          what the log's columns lack to rebuild the ``Reply``
    cached_replies / cache_stats / forget_keys     the SQL, on the log's connection

Every complete exchange the log records is keyed (``ExchangeLog.start(body=…)``), so turning
the cache on later still finds what was sent before. A cached ``Reply`` has ``cached=True``,
its original usage, cost and timings, and ``timings.attempts == 0``: nothing was sent now,
nothing was spent.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

from venice_jupyter.reply import Choice, Citation, Cost, Reply, Timings, ToolCall, Usage

__all__ = [
    "CacheStats",
    "cache_stats",
    "cached_replies",
    "extras_json",
    "forget_keys",
    "rebuild",
    "request_key",
]

# How a reply is delivered does not change what it says, nor does the prompt cache's routing
# (``prompt_cache_key``, its retention, ``cache_control`` marks: request/_caching.py).
_DELIVERY: Final = frozenset(
    {"stream", "stream_options", "prompt_cache_key", "prompt_cache_retention"}
)
_CHUNK: Final = 500  # keys per query: well under SQLite's limit on bound parameters


def request_key(body: Mapping[str, Any], scope: str = "") -> str:
    """A hash of the exact request (keys sorted) and of the server it goes to (``scope``)."""
    what = {k: v for k, v in body.items() if k not in _DELIVERY}
    if isinstance(what.get("messages"), list):
        what["messages"] = [_unmarked(m) for m in what["messages"]]
    text = json.dumps(what, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{scope}\n{text}".encode()).hexdigest()


def _unmarked(message: Any) -> Any:
    """A message as it reads: without ``cache_control`` marks (a marked string content is a
    single text part, the same text)."""
    content = message.get("content") if isinstance(message, Mapping) else None
    if not isinstance(content, list):
        return message
    parts = [
        {k: v for k, v in p.items() if k != "cache_control"} if isinstance(p, Mapping) else p
        for p in content
    ]
    only = parts[0] if len(parts) == 1 and isinstance(parts[0], dict) else {}
    if set(only) == {"type", "text"} and only["type"] == "text":
        return {**message, "content": only["text"]}
    return {**message, "content": parts}


def extras_json(reply: Reply) -> str:
    """What a ``Reply`` holds beyond the log's text, reasoning, finish, usage and cost columns."""
    first = reply.choices[0] if reply.choices else Choice(0)
    extras: dict[str, Any] = {
        "model": reply.model,
        "id": reply.id,
        "created": reply.created,
        "cost": asdict(reply.cost) if reply.cost else None,
        "tool_calls": [asdict(t) for t in first.tool_calls],
        "more_choices": [asdict(c) for c in reply.choices[1:]],
        "citations": [asdict(c) for c in reply.citations],
        "venice_parameters": reply.venice_parameters,
    }
    return json.dumps({k: v for k, v in extras.items() if v}, ensure_ascii=False, default=str)


def _choice(data: Mapping[str, Any]) -> Choice:
    calls = [ToolCall(**t) for t in data.get("tool_calls") or []]
    return Choice(
        index=int(data.get("index", 0)),
        content=str(data.get("content", "")),
        reasoning=str(data.get("reasoning", "")),
        tool_calls=calls,
        finish_reason=data.get("finish_reason"),
    )


def rebuild(
    text: str,
    reasoning: str,
    finish_reason: str | None,
    usage: Usage | None,
    cost_usd: float | None,
    extras: str | None,
) -> Reply:
    """The cached ``Reply`` from a complete row (logprobs are not kept)."""
    more: dict[str, Any] = json.loads(extras) if extras else {}
    first = Choice(0, text, reasoning, [ToolCall(**t) for t in more.get("tool_calls", [])])
    first.finish_reason = finish_reason
    cost = Cost(**more["cost"]) if more.get("cost") else None
    if cost is None and cost_usd is not None:
        cost = Cost(usd=cost_usd)
    reply = Reply(
        id=more.get("id"),
        model=more.get("model"),
        created=more.get("created"),
        choices=[first, *(_choice(c) for c in more.get("more_choices", []))],
        usage=usage,
        cost=cost,
        citations=[Citation(**c) for c in more.get("citations", [])],
        venice_parameters=more.get("venice_parameters") or {},
        complete=True,
        cached=True,
    )
    reply.timings.attempts = 0  # no request was sent for it
    return reply


def cached_replies(db: sqlite3.Connection, keys: Sequence[str]) -> list[Reply | None]:
    """The newest complete reply for each key (None for a miss), a query per 500 keys."""
    found: dict[str, sqlite3.Row] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            "SELECT request_key, reply, reasoning, finish_reason, usage, cost_usd, timings, extras "
            "FROM exchanges WHERE id IN (SELECT MAX(id) FROM exchanges WHERE status = "
            f"'complete' AND request_key IN ({marks}) GROUP BY request_key)",
            chunk,
        ).fetchall()
        found.update((row["request_key"], row) for row in rows)
    # Rebuilt per key, not shared: a sink or a conversation may change the Reply it gets.
    return [_from_row(found[k]) if k in found else None for k in keys]


def _from_row(row: sqlite3.Row) -> Reply | None:
    try:
        return _rebuild_row(row)
    except (ValueError, TypeError):  # a hand-edited row is a miss, not a broken cache
        return None


def _known(cls: type[Any], text: str | None) -> Any:
    data = json.loads(text) if text else None
    if not isinstance(data, dict):
        return None
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def _rebuild_row(row: sqlite3.Row) -> Reply:
    reply = rebuild(row["reply"], row["reasoning"], row["finish_reason"],
                    _known(Usage, row["usage"]), row["cost_usd"], row["extras"])  # fmt: skip
    timings = _known(Timings, row["timings"])
    if timings is not None:  # how the answer was made; attempts 0: none was made now
        timings.attempts = 0
        reply.timings = timings
    return reply


def cache_stats(db: sqlite3.Connection, path: str) -> CacheStats:
    keys, answers, usd = db.execute(
        "SELECT COUNT(DISTINCT request_key), COUNT(*), TOTAL(cost_usd) FROM exchanges "
        "WHERE status = 'complete' AND request_key IS NOT NULL"
    ).fetchone()
    return CacheStats(int(keys), int(answers), float(usd), path)


def forget_keys(db: sqlite3.Connection) -> int:
    """Unlink every answer from its request; how many answers could have been served (the
    number ``cache stats`` showed: failed and cut-off exchanges carry a key but never answer)."""
    (answers,) = db.execute(
        "SELECT COUNT(*) FROM exchanges WHERE status = 'complete' AND request_key IS NOT NULL"
    ).fetchone()
    db.execute("UPDATE exchanges SET request_key = NULL WHERE request_key IS NOT NULL")
    return int(answers)


@dataclass(frozen=True)
class CacheStats:
    """What the cache holds: distinct requests with an answer, and what those answers cost."""

    requests: int
    answers: int
    cost_usd: float
    path: str | None

    def rows(self) -> list[dict[str, str]]:
        return [
            {"name": "cached requests", "value": f"{self.requests:,}"},
            {"name": "answers logged for them", "value": f"{self.answers:,}"},
            {"name": "what they cost when made", "value": f"${self.cost_usd:.6f}"},
            {"name": "file", "value": self.path or "(log off)"},
        ]
