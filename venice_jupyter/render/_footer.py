"""The line under an answer: model, tokens, timing, cost, Venice's warnings, citations.

Everything here comes from the server, so every value is escaped and links are http(s) only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from html import escape
from typing import Any

from venice_jupyter.render._citations import sources_html
from venice_jupyter.reply import Reply

__all__ = [
    "LOW_BALANCE_USD",
    "LOW_HEADROOM",
    "REPLACE_COMMAND",
    "account_text",
    "citations_html",
    "deprecation_banner",
    "footer_html",
    "footer_text",
    "format_cost",
    "gauge",
    "stats_parts",
    "stats_text",
    "summary",
    "warnings",
]

LOW_BALANCE_USD = 1.0
LOW_HEADROOM = 0.1  # warn when less than this share of a rate limit is left
REPLACE_COMMAND = "%venice use-replacement"


def format_cost(usd: float) -> str:
    """``$0.0001234`` below a cent (every digit that matters), ``$0.0123`` above."""
    return f"${usd:.6f}".rstrip("0").rstrip(".") if usd < 0.01 else f"${usd:.4f}"


def summary(reply: Reply) -> dict[str, Any]:
    """The numbers a footer, a compare column and the saved metadata show."""
    usage = reply.usage
    out: dict[str, Any] = {
        "model": reply.answered_by,
        "prompt_tokens": usage.prompt_tokens if usage else None,
        "completion_tokens": usage.completion_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        "cached_tokens": usage.cached_tokens if usage else None,
        "cache_write_tokens": usage.cache_creation_tokens if usage else None,
        "ttft_s": reply.timings.ttft,
        "total_s": reply.timings.total,
        "tokens_per_s": reply.tokens_per_second,
        "cost_usd": reply.cost.usd if reply.cost else None,
        "cost_estimated": reply.cost.estimated if reply.cost else None,
        "finish_reason": reply.finish_reason,
        "request_id": reply.meta.request_id,
        "attempts": reply.timings.attempts,
        "cached": reply.cached,
        "cache_saved_usd": reply.cache_savings_usd,
        "balance_usd": reply.meta.balance_usd,  # before this request (Venice's header)
        "balance_diem": reply.meta.balance_diem,
        "ratelimit": {k: list(v) for k, v in reply.meta.headroom().items()} or None,
        "deprecation": asdict(reply.deprecation) if reply.deprecation else None,
    }
    return out


def stats_parts(s: Mapping[str, Any]) -> list[str]:
    """The stats line of every view, from ``summary()`` numbers; absent ones are left out.

    ``12→80 tokens (30 reasoning, 8 cached) · TTFT 120 ms · 45 tok/s · ≈$0.00004``, and for
    an answer from the response cache ``12→80 tokens · cached (no new cost, first cost $0.00004)``
    """
    parts = []
    if s.get("completion_tokens") is not None:
        tokens = f"{s.get('prompt_tokens') or 0}→{s['completion_tokens']} tokens"
        extra = [
            f"{s[key]} {word}"
            for key, word in (
                ("reasoning_tokens", "reasoning"),
                ("cached_tokens", "cached"),
                ("cache_write_tokens", "cache write"),
            )
            if s.get(key)
        ]
        parts.append(tokens + (f" ({', '.join(extra)})" if extra else ""))
    if s.get("ttft_s") is not None:
        parts.append(f"TTFT {s['ttft_s'] * 1000:.0f} ms")
    if s.get("tokens_per_s"):
        parts.append(f"{s['tokens_per_s']:.0f} tok/s")
    cost = s.get("cost_usd")
    if s.get("cached"):  # answered from the log: the first run's cost, nothing spent now
        original = "" if cost is None else f", first cost {format_cost(cost)}"
        parts.append(f"cached (no new cost{original})")
    elif cost is not None:
        parts.append(("≈" if s.get("cost_estimated") else "") + format_cost(cost))
        saved = s.get("cache_saved_usd")
        if saved:  # the prompt cache's effect on this reply, from the model's cache prices
            word = "saved" if saved > 0 else "cost"
            parts.append(f"cache {word} {format_cost(abs(saved))}")
    return parts


def gauge(used: float, total: float, width: int = 10) -> str:
    """``▮▮▮▯▯▯▯▯▯▯``: ``used`` of ``total``, clamped."""
    share = 0.0 if total <= 0 else max(0.0, min(1.0, used / total))
    full = round(share * width)
    return "▮" * full + "▯" * (width - full)


def account_text(reply: Reply) -> str:
    """What Venice's headers say about the account after this reply: the balance before and
    after it (``x-venice-balance-usd`` is the balance before the request; after is that less
    the reply's cost) and the rate-limit headroom as gauges; empty when nothing was sent."""
    meta = reply.meta
    parts = []
    if meta.balance_usd is not None and not reply.cached:
        spent = reply.cost.usd if reply.cost else 0.0
        after = max(0.0, meta.balance_usd - spent)
        parts.append(f"balance {format_cost(meta.balance_usd)} → {format_cost(after)}")
    for kind, (left, limit) in meta.headroom().items():
        parts.append(f"{kind} {gauge(left, limit)} {left:,}/{limit:,} left")
    return " · ".join(parts)


def stats_text(reply: Reply) -> str:
    """The stats line alone (no model, no warnings), as the panel shows it."""
    return " · ".join(stats_parts(summary(reply)))


def deprecation_banner(reply: Reply) -> str | None:
    """``venice-offline-legacy is deprecated: removed on 2027-01-31; use venice-offline
    instead (`%venice use-replacement` switches to it).`` plus Venice's own words."""
    d = reply.deprecation
    if d is None:
        meta = reply.meta
        if not meta.deprecation_warning:
            return None
        when = f" (removal date {meta.deprecation_date})" if meta.deprecation_date else ""
        return f"Deprecated model: {meta.deprecation_warning}{when}"
    text = f"{d.model} is deprecated"
    if d.date:
        text += f": removed on {d.date[:10]}"
    if d.replacement:
        text += f"; use {d.replacement} instead (`{REPLACE_COMMAND}` switches to it)"
    text += "."
    if d.message and not (d.replacement and d.replacement in d.message):
        text += f" Venice says: {d.message}"
    return text


def warnings(reply: Reply) -> list[str]:
    out = []
    meta = reply.meta
    banner = deprecation_banner(reply)
    if banner:
        out.append(banner)
    if meta.balance_usd is not None and meta.balance_usd < LOW_BALANCE_USD:
        out.append(f"Low balance: ${meta.balance_usd:.2f} left")
    for kind, (left, limit) in meta.headroom().items():
        if left < limit * LOW_HEADROOM:
            out.append(f"Rate limit nearly reached: {left:,} of {limit:,} {kind} left this window")
    answered = bool(reply.text) or any(c.tool_calls for c in reply.choices[:1])
    if reply.finish_reason == "length" and not answered and reply.reasoning:
        out.append(
            "Stopped at the token limit while still reasoning: no answer yet, and nothing was "
            "added to the conversation (raise --max-completion-tokens)"
        )
    elif reply.finish_reason == "length":
        out.append("Stopped at the token limit (raise --max-completion-tokens)")
    elif reply.complete and not answered:
        out.append("The model sent no answer; nothing was added to the conversation")
    if reply.finish_reason == "content_filter":
        out.append("The provider filtered this answer")
    return out + reply.notes


def _parts(reply: Reply) -> list[str]:
    s = summary(reply)
    return [str(s["model"] or "?"), *stats_parts(s)]


def footer_text(reply: Reply) -> str:
    return " · ".join(_parts(reply) + warnings(reply))


def citations_html(reply: Reply) -> str:
    return sources_html(reply.citations)


def footer_html(reply: Reply) -> str:
    text = " · ".join(escape(p) for p in _parts(reply))
    warn = "".join(
        f'<div class="venice-warning" style="color:#b45309">⚠ {escape(w)}</div>'
        for w in warnings(reply)
    )
    return (
        f"{citations_html(reply)}"
        '<div class="venice-footer" style="font-size:0.8em;opacity:0.7;margin-top:0.4em">'
        f"{text}</div>{warn}"
    )
