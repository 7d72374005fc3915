"""The line under an answer: model, tokens, timing, cost, Venice's warnings, citations.

Everything here comes from the server, so every value is escaped and links are http(s) only.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from venice_jupyter.render._citations import sources_html
from venice_jupyter.reply import Reply

__all__ = [
    "LOW_BALANCE_USD",
    "citations_html",
    "footer_html",
    "footer_text",
    "format_cost",
    "stats_parts",
    "stats_text",
    "summary",
    "warnings",
]

LOW_BALANCE_USD = 1.0


def format_cost(usd: float) -> str:
    """``$0.0001234`` below a cent (every digit that matters), ``$0.0123`` above."""
    return f"${usd:.6f}".rstrip("0").rstrip(".") if usd < 0.01 else f"${usd:.4f}"


def summary(reply: Reply) -> dict[str, Any]:
    """The numbers a footer, a compare column and the saved metadata show."""
    usage = reply.usage
    out: dict[str, Any] = {
        "model": reply.model or reply.meta.model_id,
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
    return parts


def stats_text(reply: Reply) -> str:
    """The stats line alone (no model, no warnings), as the panel shows it."""
    return " · ".join(stats_parts(summary(reply)))


def warnings(reply: Reply) -> list[str]:
    out = []
    meta = reply.meta
    if meta.deprecation_warning:
        when = f" (removal date {meta.deprecation_date})" if meta.deprecation_date else ""
        out.append(f"Deprecated model: {meta.deprecation_warning}{when}")
    if meta.balance_usd is not None and meta.balance_usd < LOW_BALANCE_USD:
        out.append(f"Low balance: ${meta.balance_usd:.2f} left")
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
