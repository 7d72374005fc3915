"""In a real kernel against the offline server: the cached-token footer, the balance and
rate-limit gauge in ``%venice usage``, the deprecation banner and ``%venice use-replacement``,
the context-window note and meter. Every option is typed as the README documents it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.kernel import Execution, Kernel, venice_kernel
from tests.spec_validator import validate_request
from venice_jupyter.offline import OfflineServer

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def own_server() -> Iterator[OfflineServer]:
    """A server of this module's own: its balance starts at $5 and only these tests spend it."""
    server = OfflineServer(balance_usd=5.0, requests_per_minute=1000).start()
    yield server
    server.stop()
    for body in server.requests:
        validate_request(body)


@pytest.fixture(scope="module")
def k(own_server: OfflineServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    with venice_kernel(tmp_path_factory.mktemp("says"), own_server.base_url) as kernel:
        yield kernel


def ok(k: Kernel, code: str) -> Execution:
    ex = k.execute(code)
    assert ex.status == "ok", ex.error
    return ex


def final(ex: Execution) -> dict[str, Any]:
    """The output the notebook keeps (the last display after the last clear)."""
    kept: list[dict[str, Any]] = []
    for m in ex.messages:
        if m["msg_type"] == "clear_output":
            kept = []
        elif m["msg_type"] == "display_data":
            kept.append(m["content"])
    assert kept, [m["msg_type"] for m in ex.messages]
    return kept[-1]


def footer(ex: Execution) -> str:
    return str(final(ex)["data"]["text/plain"])


SYSTEM = "You answer questions about baking bread, briefly and kindly. " * 12


def test_a_repeated_prefix_shows_cached_tokens_in_the_footer(
    k: Kernel, own_server: OfflineServer
) -> None:
    ok(k, f"system_prompt = {SYSTEM!r}")
    cell = "%%venice -c bakery --system system_prompt --max-completion-tokens 12 --seed 2\n"
    first = ok(k, cell + "How long should dough rise?")
    second = ok(k, cell + "And at what temperature?")
    assert "cached" not in footer(first)
    cached = re.search(r"(\d+) cached", footer(second))
    assert cached and int(cached.group(1)) > 0, footer(second)
    assert "cache saved $" in footer(second)
    meta = final(second)["metadata"]["venice"]
    assert meta["cached_tokens"] == int(cached.group(1)) and meta["cache_saved_usd"] > 0
    assert meta["balance_usd"] <= 5.0 and meta["ratelimit"]["requests"][1] == 1000
    keys = {b["prompt_cache_key"] for b in own_server.requests[-2:]}
    assert len(keys) == 1 and keys.pop().startswith("vj-")  # one stable key per conversation
    # the setting turns it off
    ok(k, "%venice set prompt_cache=off")
    ok(k, cell + "Thanks!")
    assert "prompt_cache_key" not in own_server.requests[-1]
    ok(k, "%venice set prompt_cache=on")


def test_an_explicit_cache_model_gets_marks_and_reports_writes(
    k: Kernel, own_server: OfflineServer
) -> None:
    ok(k, f"system_prompt = {SYSTEM!r}")
    cell = (
        "%%venice -m venice-offline-reasoning -c marks --system system_prompt "
        "--max-completion-tokens 40 --reasoning-effort low\n"
    )
    first = ok(k, cell + "Why does bread rise?")
    system = own_server.requests[-1]["messages"][0]
    assert system["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert re.search(r"\d+ cache write", footer(first)), footer(first)
    second = ok(k, cell + "Why does bread rise?")
    assert re.search(r"\d+ cached", footer(second)), footer(second)


def test_usage_shows_savings_the_balance_change_and_rate_headroom(k: Kernel) -> None:
    before = ok(k, "%%venice --no-history --max-completion-tokens 8\nHi.")
    after = ok(k, "%%venice --no-history --max-completion-tokens 8\nHi again.")
    b1 = final(before)["metadata"]["venice"]["balance_usd"]
    b2 = final(after)["metadata"]["venice"]["balance_usd"]
    assert b2 < b1 <= 5.0  # the header's balance went down with what was spent
    ex = ok(k, "%venice usage")
    out = ex.stdout
    table = next(m for m in ex.of_type("display_data"))["content"]["data"]["text/plain"]
    assert "cache saved" in table and "cache write" in table
    bakery = next(line for line in table.splitlines() if line.startswith("bakery"))
    assert "$" in bakery.split()[-1]  # what caching saved in that conversation, in dollars
    line = re.search(r"balance: \$([\d.]+) before the first exchange → \$([\d.]+) after", out)
    assert line, out
    assert float(line.group(1)) == pytest.approx(5.0) and float(line.group(2)) < 5.0
    gauge = re.search(r"rate limit: requests ([▮▯]{10}) ([\d,]+) of 1,000 left", out)
    assert gauge, out
    assert int(gauge.group(2).replace(",", "")) < 1000


def test_a_deprecated_model_shows_a_banner_and_one_command_switches(
    k: Kernel, own_server: OfflineServer
) -> None:
    ok(k, "%venice use venice-offline-legacy")
    ex = ok(k, "%%venice --no-history --max-completion-tokens 8\nHello.")
    text = footer(ex)
    assert (
        "venice-offline-legacy is deprecated: removed on 2027-01-31; use venice-offline "
        "instead (`%venice use-replacement` switches to it)."
    ) in text
    assert "venice-warning" in final(ex)["data"]["text/html"]
    recorded = final(ex)["metadata"]["venice"]["deprecation"]
    assert recorded["replacement"] == "venice-offline" and recorded["date"].startswith("2027-01-31")
    switched = ok(k, "%venice use-replacement")
    assert "Using venice-offline instead of venice-offline-legacy" in switched.stdout
    assert "removed on 2027-01-31" in switched.stdout
    ex = ok(k, "%%venice --no-history --max-completion-tokens 8\nHello.")
    assert own_server.requests[-1]["model"] == "venice-offline"
    assert "deprecated" not in footer(ex)
    # nothing deprecated in use or in the last answer: it says so and changes nothing
    again = k.execute("%venice use-replacement")
    assert again.error is not None
    assert "a deprecated model that names its replacement" in again.error["evalue"]
    assert "venice-offline is not deprecated" in again.error["evalue"]
    ok(k, "%venice use default")


def test_the_answering_model_is_recorded_not_the_alias(
    k: Kernel, own_server: OfflineServer, tmp_path: Path
) -> None:
    ex = ok(k, "%%venice -m gpt-4o -c aliased --max-completion-tokens 8\nHello.")
    assert own_server.requests[-1]["model"] == "gpt-4o"
    assert "— venice-offline · " in footer(ex)
    assert final(ex)["metadata"]["venice"]["model"] == "venice-offline"
    log = ok(k, "%venice log Hello")
    rows = next(m for m in log.of_type("display_data"))["content"]["data"]["text/plain"]
    assert "gpt-4o" not in rows and "venice-offline" in rows
    path = tmp_path / "aliased.json"
    ok(k, f"%venice export {path} aliased")
    exported = json.loads(path.read_text())
    assert [t["model"] for t in exported["turns"]] == ["venice-offline"]


def test_the_context_note_says_what_history_is_left_out(
    k: Kernel, own_server: OfflineServer
) -> None:
    ok(k, "%venice set history_tokens=120")
    try:
        cell = "%%venice -c longtalk --max-completion-tokens 30 --seed 4\n"
        for i in range(3):
            ok(k, cell + f"Question {i}: " + "tell me about sourdough starters. " * 6)
        ex = ok(k, cell + "One more question.")
        notes = [
            m["content"]["data"]["text/plain"]
            for m in ex.of_type("display_data")
            if "History trimmed" in m["content"]["data"].get("text/plain", "")
        ]
        assert notes, [m["content"]["data"].get("text/plain", "")[:80] for m in ex.messages
                       if m["msg_type"] == "display_data"]  # fmt: skip
        dropped = re.search(
            r"the (?:(\d+) )?oldest turns? of 'longtalk' \(≈([\d,]+) tokens\)", notes[0]
        )
        assert dropped, notes[0]
        sent_users = [m for m in own_server.requests[-1]["messages"] if m["role"] == "user"]
        count = int(dropped.group(1) or 1)
        assert len(sent_users) == 4 - count  # the note matches what was sent
        assert "history budget is ≈120 tokens (history_tokens)" in notes[0]
        show = ok(k, "%venice switch longtalk\n%venice show")
        table = [m for m in show.of_type("display_data")][-1]["content"]["data"]["text/plain"]
        assert re.search(
            r"context +[▮▯]{10} ≈[\d,]+ of 32,768 tokens \(\d+%\) on venice-offline", table
        )
        assert "History trimmed" in table
    finally:
        ok(k, "%venice set history_tokens=0")


def test_cache_options_as_the_readme_writes_them(k: Kernel, own_server: OfflineServer) -> None:
    ok(k, "%%venice -c opts --prompt-cache-retention 24h --max-completion-tokens 8\nHi.")
    assert own_server.requests[-1]["prompt_cache_retention"] == "24h"
    ok(k, "%venice set prompt_cache_retention=24h")
    try:
        ok(k, "%%venice -c opts --prompt-cache-key KEY --max-completion-tokens 8\nHi.")
        body = own_server.requests[-1]
        assert body["prompt_cache_key"] == "KEY" and body["prompt_cache_retention"] == "24h"
    finally:
        ok(k, "%venice unset prompt_cache_retention")
    dry = ok(k, "%%venice -c opts --dry-run\nAnything?")
    shown = dry.of_type("display_data")[-1]["content"]["data"]["text/plain"]
    assert re.search(r"context [▮▯]{10} ≈[\d,]+ of 32,768 tokens \(\d+%\) on venice-offline", shown)
    assert '"prompt_cache_key": "vj-' in shown
