"""``%venice`` commands for what was spent and what was said: usage and the log."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from venice_jupyter.ipython.commands._registry import command, show_table
from venice_jupyter.render import format_cost, gauge
from venice_jupyter.workspace import Workspace


@command(
    "usage",
    "tokens, cost and what prompt caching saved in this kernel, per conversation (every "
    "exchange counts); Venice's balance before → after and the rate-limit headroom",
)
def _usage(state: Workspace, shell: Any, args: list[str]) -> None:
    # The ledger, not the conversations: retries, undos, --no-history cells and failed calls
    # were spent too, and an imported conversation was paid for elsewhere.
    groups: dict[str, list[Any]] = defaultdict(list)
    for entry in state.ledger:
        groups[entry.conversation].append(entry)
    everything = [e for entries in groups.values() for e in entries]
    rows = [_row(name, entries) for name, entries in groups.items()]
    rows.append(_row("(all)", everything))
    show_table(rows, f"spent in this kernel ({len(everything)} exchanges)")
    lines = [line for line in (balance_line(everything), headroom_line(everything)) if line]
    if lines:
        print("\n".join(lines))


def balance_line(entries: list[Any]) -> str | None:
    """Venice's balance before the first exchange that reported one, and after the last."""
    seen = [e for e in entries if e.balance_usd is not None]
    if not seen:
        return None
    first, last = seen[0], seen[-1]
    after = last.balance_after_usd
    assert first.balance_usd is not None and after is not None
    text = (
        f"balance: {format_cost(first.balance_usd)} before the first exchange → "
        f"{format_cost(after)} after the last (Venice's x-venice-balance-usd, less the last cost)"
    )
    diem = [e.balance_diem for e in seen if e.balance_diem]
    if diem:
        text += f"; DIEM {diem[0]:g} → {diem[-1]:g}"
    return text


def headroom_line(entries: list[Any]) -> str | None:
    """The rate-limit headroom the last response reported, as small gauges."""
    last = next((e for e in reversed(entries) if e.headroom), None)
    if last is None:
        return None
    parts = [
        f"{kind} {gauge(left, limit)} {left:,} of {limit:,} left"
        for kind, left, limit in last.headroom
    ]
    return "rate limit: " + " · ".join(parts)


def _row(name: str, entries: list[Any]) -> dict[str, str]:
    failed = sum(e.status != "complete" for e in entries)
    usd = sum(e.usd for e in entries)
    estimated = any(e.estimated for e in entries)
    return {
        "conversation": name,
        "exchanges": str(len(entries)) + (f" ({failed} not complete)" if failed else ""),
        "prompt tokens": str(sum(e.prompt_tokens for e in entries)),
        "cached": str(sum(e.cached_tokens for e in entries)),
        "cache write": str(sum(e.cache_write_tokens for e in entries)),
        "completion tokens": str(sum(e.completion_tokens for e in entries)),
        "reasoning": str(sum(e.reasoning_tokens for e in entries)),
        "cost": ("≈" if estimated else "") + format_cost(usd),
        "cache saved": _saved(entries),
    }


def _saved(entries: list[Any]) -> str:
    """What the prompt cache saved: cached tokens at the cache-read price instead of the full
    input price, less the cache-write premium (``api.cache_savings``); — without cache prices."""
    known = [e.saved_usd for e in entries if e.saved_usd is not None]
    if not known:
        return "—"
    total = sum(known)
    return format_cost(total) if total >= 0 else "-" + format_cost(-total)


@command("log", "[TEXT]: search the persistent log of exchanges")
def _log(state: Workspace, shell: Any, args: list[str]) -> None:
    entries = state.log().search(" ".join(args), limit=20)
    rows = [
        {
            "when": time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created)),
            "status": e.status,
            "model": e.model,
            "prompt": e.prompt[:60],
            "reply": (e.reply or "")[:60],
        }
        for e in entries
    ]
    show_table(rows, f"log: {len(rows)} newest matches")
