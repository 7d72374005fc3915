"""What Venice's responses say beyond the text: headers, prompt caching, the context window.

Unit tests for the header parsing, the cache-savings maths, the cache_control marks and the
history window; loopback tests of the offline server's prompt cache, balance and deprecation
headers through the real client.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.spec_validator import validate_request
from venice_jupyter.api import (
    ModelCatalog,
    ModelInfo,
    Pricing,
    Rate,
    VeniceClient,
    cache_savings,
    estimate_cost,
)
from venice_jupyter.api._headers import meta_from_headers
from venice_jupyter.context import ContextUse
from venice_jupyter.conversation import Conversation
from venice_jupyter.offline import OfflineServer
from venice_jupyter.render import account_text, deprecation_banner, footer_text, gauge
from venice_jupyter.reply import Choice, Cost, Deprecation, Reply, ResponseMeta, Usage
from venice_jupyter.request import (
    ChatParams,
    build_body,
    conversation_cache_key,
    mark_cache_breakpoints,
)
from venice_jupyter.request import messages as msg
from venice_jupyter.session import Session
from venice_jupyter.storage import Ledger

# -- headers ----------------------------------------------------------------------------------


def test_headers_parse_every_documented_field_case_insensitively() -> None:
    meta = meta_from_headers(
        200,
        {
            "CF-RAY": "8f1-AMS",
            "X-Venice-Model-Id": "zai-org-glm-5-2",
            "x-venice-model-name": "GLM 5.2",
            "x-venice-model-deprecation-warning": "old",
            "x-venice-model-deprecation-date": "2027-01-31",
            "x-venice-deprecated-replacement": "zai-org-glm-6",
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "499",
            "x-ratelimit-reset-requests": "1767225660",
            "x-ratelimit-limit-tokens": "1000000",
            "x-ratelimit-remaining-tokens": "999000.0",
            "x-ratelimit-reset-tokens": "12.5",
            "x-ratelimit-type": "api_key",
            "x-venice-balance-usd": "12.34560000",
            "x-venice-balance-diem": "3.5",
            "x-venice-version": "20260821.1",
        },
    )
    assert meta.request_id == "8f1-AMS" and meta.model_id == "zai-org-glm-5-2"
    assert meta.deprecated_replacement == "zai-org-glm-6"
    assert meta.deprecation_date == "2027-01-31"
    assert meta.balance_usd == pytest.approx(12.3456) and meta.balance_diem == 3.5
    assert meta.ratelimit_remaining_tokens == 999_000 and meta.ratelimit_reset_tokens == 12.5
    assert meta.ratelimit_type == "api_key"
    assert meta.headroom() == {"requests": (499, 500), "tokens": (999_000, 1_000_000)}


@pytest.mark.parametrize("junk", ["nan", "inf", "-inf", "12,5", "", "lots"])
def test_a_header_that_is_no_finite_number_is_absent(junk: str) -> None:
    meta = meta_from_headers(
        200,
        {
            "x-venice-balance-usd": junk,
            "x-ratelimit-limit-requests": junk,
            "x-ratelimit-remaining-requests": "3",
        },
    )
    assert meta.balance_usd is None and meta.ratelimit_limit_requests is None
    assert meta.headroom() == {}  # no limit: no gauge, rather than a wrong one


def test_the_answering_model_is_the_header_not_the_trait() -> None:
    reply = Reply(model="default", meta=ResponseMeta(model_id="venice-offline"))
    reply.choices = [Choice(0, content="hi", finish_reason="stop")]
    assert reply.answered_by == "venice-offline"
    assert footer_text(reply).split(" · ")[0] == "venice-offline"
    ledger = Ledger()
    assert ledger.add("c", "default", "complete", reply).model == "venice-offline"
    assert Reply(model="m").answered_by == "m"


# -- the savings maths ------------------------------------------------------------------------

CLAUDE = ModelInfo(
    "claude",
    pricing=Pricing(
        input=Rate(6.0, 60.0),
        output=Rate(30.0, 300.0),
        cache_input=Rate(0.6, 6.0),
        cache_write=Rate(7.5, 75.0),
    ),
)
AUTO = ModelInfo("auto", pricing=Pricing(Rate(1.0, 0), Rate(4.0, 0), cache_input=Rate(0.1, 0)))
PLAIN = ModelInfo("plain", pricing=Pricing(Rate(1.0, 0), Rate(4.0, 0)))


def test_savings_are_cached_tokens_at_the_read_price_less_the_write_premium() -> None:
    usage = Usage(prompt_tokens=10_000, completion_tokens=100, cached_tokens=8_000)
    # 8,000 tokens at $0.6 instead of $6 per 1M
    assert cache_savings(usage, CLAUDE) == pytest.approx(8_000 * 5.4 / 1e6)
    first = Usage(prompt_tokens=10_000, completion_tokens=100, cache_creation_tokens=8_000)
    # the first request pays $1.5 per 1M more for the 8,000 it writes: a negative saving
    assert cache_savings(first, CLAUDE) == pytest.approx(-8_000 * 1.5 / 1e6)
    # and the cost of the pair is the full-price cost less the two savings
    full = Usage(prompt_tokens=10_000, completion_tokens=100)
    for u in (usage, first):
        cost = estimate_cost(u, CLAUDE)
        saved = cache_savings(u, CLAUDE)
        assert cost is not None and saved is not None
        assert cost.usd == pytest.approx(estimate_cost(full, CLAUDE).usd - saved)  # type: ignore[union-attr]


def test_savings_need_cache_prices_and_never_count_beyond_the_prompt() -> None:
    assert cache_savings(Usage(prompt_tokens=100, cached_tokens=50), PLAIN) is None
    assert cache_savings(Usage(prompt_tokens=100), AUTO) == 0
    odd = Usage(prompt_tokens=100, cached_tokens=500)  # a server's odd numbers: clamp
    assert cache_savings(odd, AUTO) == pytest.approx(100 * 0.9 / 1e6)


def test_savings_use_the_extended_tier_above_its_threshold() -> None:
    ext = Pricing(Rate(2.0, 0), Rate(8.0, 0), cache_input=Rate(0.2, 0))
    model = ModelInfo(
        "long", pricing=Pricing(Rate(1.0, 0), Rate(4.0, 0), Rate(0.1, 0), None, 1000, ext)
    )
    assert cache_savings(Usage(prompt_tokens=2000, cached_tokens=1000), model) == pytest.approx(
        1000 * 1.8 / 1e6
    )


# -- cache keys and marks ---------------------------------------------------------------------


def test_the_cache_key_is_stable_per_conversation_and_hides_its_name() -> None:
    key = conversation_cache_key("tax return 2026")
    assert key == conversation_cache_key("tax return 2026") != conversation_cache_key("other")
    assert key.startswith("vj-") and "tax" not in key


def test_marks_go_on_the_system_prompt_the_history_end_and_a_long_message() -> None:
    history = [msg.system("Be terse."), msg.user("a"), msg.assistant("b")]
    long = msg.user("word " * 1200)
    marked = mark_cache_breakpoints([*history, long])
    where = [i for i, m in enumerate(marked) if isinstance(m["content"], list)]
    assert where == [0, 2, 3]
    for i in where:
        part = marked[i]["content"][-1]
        assert part["cache_control"] == {"type": "ephemeral"}
        assert part["text"] == [*history, long][i]["content"]
    assert history[0]["content"] == "Be terse."  # the stored messages are untouched
    short = mark_cache_breakpoints([msg.user("hi")])
    assert short == [msg.user("hi")]
    body = build_body("claude", marked, ChatParams(), stream=True)
    validate_request(body)  # the spec's ChatCompletionRequest takes the marked parts


def test_tool_messages_are_never_marked() -> None:
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    sent = [msg.user("x"), msg.assistant(None, tool_calls=calls), msg.tool("c1", "42")]
    marked = mark_cache_breakpoints([*sent, msg.user("y")])
    assert marked[2] == sent[2] and marked[1] == sent[1]  # no content to mark on the call
    assert marked[0]["content"][-1]["cache_control"] == {"type": "ephemeral"}


def _catalog(server: OfflineServer) -> ModelCatalog:
    with VeniceClient(base_url=server.base_url) as client:
        return client.catalog()


def test_prepare_sends_the_key_and_marks_only_where_the_model_needs_them(
    server: OfflineServer,
) -> None:
    catalog = _catalog(server)
    session = Session(VeniceClient(base_url=server.base_url))
    conv = Conversation("notes", system="Be terse.")
    auto = session.prepare("hi", conversation=conv, model="venice-offline", catalog=catalog)
    assert auto.body["prompt_cache_key"] == conversation_cache_key("notes")
    assert auto.body["messages"][0] == msg.system("Be terse.")  # automatic caching: no marks
    explicit = session.prepare(
        "hi", conversation=conv, model="venice-offline-reasoning", catalog=catalog
    )
    assert explicit.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    mine = session.prepare(
        "hi", conversation=conv, catalog=catalog, params={"prompt_cache_key": "mine"}
    )
    assert mine.body["prompt_cache_key"] == "mine"  # the user's own key wins
    one_off = session.prepare("hi", catalog=catalog)
    assert "prompt_cache_key" not in one_off.body  # no conversation, no key of ours
    off = Session(VeniceClient(base_url=server.base_url), prompt_cache=False)
    plain = off.prepare("hi", conversation=conv, model="venice-offline-reasoning", catalog=catalog)
    assert "prompt_cache_key" not in plain.body
    assert plain.body["messages"][0] == msg.system("Be terse.")
    for p in (auto, explicit, mine, one_off, plain):
        validate_request(p.body)
    session.close()
    off.close()


# -- the offline server's prompt cache, balance and deprecation, through the client ----------


def _ask(session: Session, conv: Conversation, catalog: ModelCatalog, model: str) -> Reply:
    class Quiet:
        def __getattr__(self, name: str) -> Any:
            return lambda *a, **k: None

    prepared = session.prepare(
        "Tell me about bread.", conversation=conv, model=model, catalog=catalog,
        params={"max_completion_tokens": 8, "seed": 3},
    )  # fmt: skip
    return session.run(prepared, Quiet())


def test_a_repeated_prefix_under_one_key_is_read_from_the_cache(server: OfflineServer) -> None:
    catalog = _catalog(server)
    session = Session(VeniceClient(base_url=server.base_url))
    conv = Conversation("bread-auto", system="You answer about baking. " * 20)
    first = _ask(session, conv, catalog, "venice-offline")
    second = _ask(session, conv, catalog, "venice-offline")
    assert first.usage is not None and second.usage is not None
    assert first.usage.cached_tokens == 0
    assert 0 < second.usage.cached_tokens < second.usage.prompt_tokens
    assert second.cache_savings_usd == pytest.approx(second.usage.cached_tokens * 0.09 / 1e6)
    # another conversation (another key) starts cold, though its system prompt is the same
    other = _ask(session, Conversation("bread-2", system=conv.system), catalog, "venice-offline")
    assert other.usage is not None and other.usage.cached_tokens == 0
    # the balance the headers report went down by what was spent between the requests
    assert first.meta.balance_usd is not None and second.meta.balance_usd is not None
    assert first.cost is not None
    assert second.meta.balance_usd == pytest.approx(first.meta.balance_usd - first.cost.usd)
    assert second.meta.ratelimit_remaining_requests is not None
    assert first.meta.ratelimit_remaining_requests is not None
    assert second.meta.ratelimit_remaining_requests < first.meta.ratelimit_remaining_requests
    session.close()


def test_an_explicit_cache_writes_then_reads(server: OfflineServer) -> None:
    catalog = _catalog(server)
    session = Session(VeniceClient(base_url=server.base_url))
    conv = Conversation("bread-explicit", system="You answer about baking. " * 20)
    first = _ask(session, conv, catalog, "venice-offline-reasoning")
    second = _ask(session, conv, catalog, "venice-offline-reasoning")
    assert first.usage is not None and second.usage is not None
    assert first.usage.cache_creation_tokens > 0 and first.usage.cached_tokens == 0
    assert second.usage.cached_tokens >= first.usage.cache_creation_tokens
    assert first.cache_savings_usd is not None and first.cache_savings_usd < 0  # the premium
    assert second.cache_savings_usd is not None and second.cache_savings_usd > 0
    assert "cache write" in footer_text(first) and "cached" in footer_text(second)
    session.close()


def test_a_deprecated_model_says_when_and_what_replaces_it(server: OfflineServer) -> None:
    catalog = _catalog(server)
    session = Session(VeniceClient(base_url=server.base_url))
    reply = _ask(session, Conversation("old"), catalog, "venice-offline-legacy")
    assert reply.deprecation == Deprecation(
        model="venice-offline-legacy",
        date="2027-01-31T00:00:00.000Z",
        replacement="venice-offline",
        message=reply.meta.deprecation_warning,
    )
    banner = deprecation_banner(reply)
    assert banner == (
        "venice-offline-legacy is deprecated: removed on 2027-01-31; use venice-offline "
        "instead (`%venice use-replacement` switches to it)."
    )
    assert banner in footer_text(reply)
    current = _ask(session, Conversation("new"), catalog, "venice-offline")
    assert current.deprecation is None and "deprecated" not in footer_text(current)
    session.close()


def test_a_listed_deprecation_shows_without_the_headers() -> None:
    info = ModelInfo.from_json(
        {
            "id": "old",
            "model_spec": {"deprecation": {"removesAt": "2027-03-01", "replacementModelId": "new"}},
        }
    )
    assert info.replacement == "new" and info.removal_date == "2027-03-01"
    from venice_jupyter.api import deprecation_of

    reply = Reply(model="old")
    assert deprecation_of(reply, info) == Deprecation("old", "2027-03-01", "new")
    # /models describes the model asked for; an answer from another model is not it
    assert deprecation_of(Reply(meta=ResponseMeta(model_id="other")), info) == Deprecation("other")


# -- the context window -----------------------------------------------------------------------


def _long_conversation(turns: int) -> Conversation:
    conv = Conversation("ctx")
    for i in range(turns):
        reply = Reply(choices=[Choice(0, content=f"answer {i} " * 20, finish_reason="stop")])
        conv.record(msg.user(f"question {i} " * 20), reply)
    return conv


def test_the_window_says_what_it_drops() -> None:
    conv = _long_conversation(5)
    sizes = [sum(len(m["content"]) // 4 + 4 for m in t.messages()) for t in conv.turns]
    budget = sum(sizes[-2:])  # room for exactly the two newest turns
    w = conv.window(max_tokens=budget)
    assert (w.sent_turns, w.dropped_turns) == (2, 3)
    assert w.dropped_tokens == sum(sizes[:3]) and w.sent_tokens == budget
    assert w.messages == conv.messages(max_tokens=budget)
    by_turns = conv.window(max_turns=4)
    assert (by_turns.dropped_turns, by_turns.by_turns) == (1, 1)
    use = ContextUse("venice-offline", "ctx", 32768, 500, w)
    note = use.note()
    assert note is not None and "the 3 oldest turns of 'ctx'" in note
    assert f"≈{sum(sizes[:3]):,} tokens" in note and "2 newer sent" in note
    assert ContextUse("m", "ctx", 100, 10, conv.window()).note() is None
    assert "(15%)" in ContextUse("m", None, 1000, 150).meter()


def test_prepare_reports_the_history_it_leaves_out(server: OfflineServer) -> None:
    catalog = _catalog(server)
    session = Session(VeniceClient(base_url=server.base_url))
    conv = _long_conversation(4)
    prepared = session.prepare("next?", conversation=conv, catalog=catalog, max_turns=2)
    assert prepared.context is not None and prepared.context.limit == 32768
    assert prepared.context.window is not None and prepared.context.window.dropped_turns == 2
    assert len(prepared.body["messages"]) == 5  # two turns and the new message
    assert "history_turns keeps the newest 2" in (prepared.context.note() or "")
    session.close()


def test_gauge() -> None:
    assert gauge(0, 10) == "▯" * 10 and gauge(10, 10) == "▮" * 10
    assert gauge(3, 10) == "▮▮▮▯▯▯▯▯▯▯" and gauge(50, 10) == "▮" * 10 and gauge(1, 0) == "▯" * 10


def test_account_text_shows_the_balance_before_and_after_and_the_gauges() -> None:
    meta = ResponseMeta(
        balance_usd=5.0,
        ratelimit_limit_requests=1000,
        ratelimit_remaining_requests=250,
        ratelimit_limit_tokens=100,
        ratelimit_remaining_tokens=100,
    )
    reply = Reply(meta=meta, cost=Cost(usd=0.25))
    assert account_text(reply) == (
        "balance $5.0000 → $4.7500 · requests ▮▮▯▯▯▯▯▯▯▯ 250/1,000 left · "
        "tokens ▮▮▮▮▮▮▮▮▮▮ 100/100 left"
    )
    assert account_text(Reply()) == ""  # a server that sends no such headers: nothing


def test_the_panel_shows_the_balance_and_rate_headroom(server: OfflineServer) -> None:
    import asyncio

    from venice_jupyter.widgets.panel import panel as open_panel
    from venice_jupyter.workspace import VeniceSettings, Workspace

    settings = VeniceSettings()
    settings.base_url, settings.log = server.base_url, False
    state = Workspace(settings)
    panel = open_panel(workspace=state, updates_per_second=100)
    panel.controls.controls["max_completion_tokens"].value = 8

    async def go() -> Any:
        panel.ask("Tell me about bread")
        return await panel.wait()

    try:
        reply = asyncio.run(go())
        assert reply is not None and reply.meta.balance_usd is not None
        assert "balance $" in panel.stats.value and "requests ▮" in panel.stats.value
        assert account_text(reply) in panel.stats.value
    finally:
        state.close()


def test_the_footer_warns_when_a_limit_or_the_balance_runs_low() -> None:
    meta = ResponseMeta(
        balance_usd=0.5, ratelimit_limit_requests=100, ratelimit_remaining_requests=9
    )
    text = footer_text(Reply(meta=meta))
    assert "Low balance: $0.50 left" in text
    assert "Rate limit nearly reached: 9 of 100 requests left this window" in text
    plenty = ResponseMeta(
        balance_usd=50, ratelimit_limit_requests=100, ratelimit_remaining_requests=10
    )
    assert "Rate limit" not in footer_text(Reply(meta=plenty))
    assert "balance" not in footer_text(Reply(meta=plenty)).lower()


def test_the_panel_says_what_history_it_leaves_out(server: OfflineServer) -> None:
    import asyncio

    from venice_jupyter.widgets.panel import panel as open_panel
    from venice_jupyter.workspace import VeniceSettings, Workspace

    settings = VeniceSettings()
    settings.base_url, settings.log, settings.history_turns = server.base_url, False, 1
    state = Workspace(settings)
    panel = open_panel(workspace=state, updates_per_second=100)
    panel.controls.controls["max_completion_tokens"].value = 8

    async def go(prompt: str) -> Any:
        panel.ask(prompt)
        return await panel.wait()

    try:
        asyncio.run(go("Tell me about bread"))
        assert "History trimmed" not in panel.status.value
        asyncio.run(go("And about rye?"))
        assert "History trimmed" not in panel.status.value  # one turn, one kept
        asyncio.run(go("And spelt?"))
        assert "History trimmed: the oldest turn of &#x27;default&#x27; (≈" in panel.status.value
        assert "history_turns keeps the newest 1" in panel.status.value
        sent = server.requests[-1]["messages"]
        assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    finally:
        state.close()
