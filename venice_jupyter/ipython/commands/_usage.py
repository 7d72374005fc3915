"""``%venice`` commands for what was spent and what was said: usage and the log."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from venice_jupyter.ipython.commands._registry import command, show_table
from venice_jupyter.render import format_cost
from venice_jupyter.workspace import Workspace


@command("usage", "tokens and cost spent in this kernel, per conversation: every exchange counts")
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


def _row(name: str, entries: list[Any]) -> dict[str, str]:
    failed = sum(e.status != "complete" for e in entries)
    usd = sum(e.usd for e in entries)
    estimated = any(e.estimated for e in entries)
    return {
        "conversation": name,
        "exchanges": str(len(entries)) + (f" ({failed} not complete)" if failed else ""),
        "prompt tokens": str(sum(e.prompt_tokens for e in entries)),
        "cached": str(sum(e.cached_tokens for e in entries)),
        "completion tokens": str(sum(e.completion_tokens for e in entries)),
        "reasoning": str(sum(e.reasoning_tokens for e in entries)),
        "cost": ("≈" if estimated else "") + format_cost(usd),
    }


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
