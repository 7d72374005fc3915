"""The catalog as people read it: prices, capability letters, status and defaults per model."""

from __future__ import annotations

from venice_jupyter.api._catalog import CAPABILITY_LETTERS, ModelInfo, Rate

__all__ = ["defaults_text", "format_price", "status_text", "summary_row"]


def format_price(rate: Rate | None) -> str:
    """USD per 1M tokens for a table cell: ``$0.15``, ``$0.0625``, ``free``, ``—``."""
    if rate is None:
        return "—"
    if rate.usd == 0:
        return "free"
    return f"${rate.usd:.2f}" if rate.usd >= 0.1 else f"${rate.usd:.3g}"


def summary_row(model: ModelInfo) -> dict[str, str]:
    """One row of the ``%venice models`` table: a letter per capability it has, ``·`` for one it
    lacks, ``?`` where the server does not say."""
    letters = " ".join(
        k if model.supports(v) else "·" if model.lacks(v) else "?"
        for k, v in CAPABILITY_LETTERS.items()
    )
    n = model.context_length
    context = "—" if n is None else f"{n / 1e6:g}M" if n >= 1_000_000 else f"{round(n / 1e3)}k"
    pricing = model.pricing
    return {
        "id": model.id,
        "name": model.name,
        "context": context,
        "capabilities": letters,
        "input": format_price(pricing.input if pricing else None),
        "output": format_price(pricing.output if pricing else None),
        "traits": ", ".join(model.traits),
        "defaults": defaults_text(model),
        "status": status_text(model),
    }


def status_text(model: ModelInfo) -> str:
    """``deprecated until 2027-01-31 → venice-offline``, ``beta``, or nothing."""
    if model.deprecation is not None:
        until = f" until {model.removal_date}" if model.removal_date else ""
        instead = f" → {model.replacement}" if model.replacement else ""
        return f"deprecated{until}{instead}"
    return "beta" if model.beta else ""


_SHORT = {"temperature": "temp", "top_p": "top_p", "frequency_penalty": "freq",
          "presence_penalty": "pres", "repetition_penalty": "rep"}  # fmt: skip


def defaults_text(model: ModelInfo) -> str:
    """The sampling defaults the model publishes (``model_spec.constraints``), briefly:
    ``temp 0.8 top_p 0.9``; penalties only where they are not neutral."""
    neutral = {"frequency_penalty": 0.0, "presence_penalty": 0.0, "repetition_penalty": 1.0}
    return " ".join(f"{_SHORT[k]} {v:g}" for k, v in model.defaults.items() if neutral.get(k) != v)
