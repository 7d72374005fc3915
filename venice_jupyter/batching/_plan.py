"""Every row prepared before anything is sent, and what the batch would cost.

    plan(session, inputs, ...) -> Plan          Session.prepare per row; the first bad row raises
    Plan.estimate(cached) -> Estimate           tokens from the prompts, price from the catalog
    DryRun                                      the requests and the estimate (dry_run=True)

Tokens are estimated as the conversation's history window does (~4 characters a token, images
~1k), completion tokens as ``max_completion_tokens`` (or ``max_tokens``) when set, else
``ASSUMED_COMPLETION`` a row; the price is the model's published pricing (``estimate_cost``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, Final

from venice_jupyter.api import ModelCatalog, estimate_cost
from venice_jupyter.batching._inputs import Inputs, RowInput
from venice_jupyter.conversation import estimate_tokens
from venice_jupyter.errors import VeniceError
from venice_jupyter.reply import Usage
from venice_jupyter.request import ChatParams, to_data_url
from venice_jupyter.session import Prepared, Session

__all__ = ["ASSUMED_COMPLETION", "DryRun", "Estimate", "Plan", "plan"]

ASSUMED_COMPLETION: Final = 400  # completion tokens a row, when no maximum is set


@dataclass(frozen=True)
class Estimate:
    """What the rows still to send would use: an estimate, not a bill."""

    requests: int
    cached: int
    prompt_tokens: int
    completion_tokens: int
    completion_assumed: bool  # True: no maximum was set, ASSUMED_COMPLETION a row was used
    cost_usd: float | None  # None: the model has no published pricing
    model: str

    def __str__(self) -> str:
        out = "≤" if not self.completion_assumed else "~"
        cost = f"≈{_usd(self.cost_usd)}" if self.cost_usd is not None else "cost unknown"
        cached = f" ({self.cached:,} answered from the cache)" if self.cached else ""
        return (
            f"{self.requests:,} requests to {self.model}{cached}: ~{self.prompt_tokens:,} prompt "
            f"+ {out}{self.completion_tokens:,} completion tokens, {cost}"
        )


def _usd(usd: float | None) -> str:
    return "$0" if not usd else f"${usd:.4f}" if usd >= 0.01 else f"${usd:.6f}"


@dataclass
class Plan:
    """The prepared rows of a batch, in input order."""

    inputs: Inputs
    prepared: list[Prepared]
    model: str

    def estimate(self, cached: Sequence[bool] = ()) -> Estimate:
        skip = {i for i, hit in enumerate(cached) if hit}
        prompt = completion = 0
        usd: float | None = 0.0
        assumed = False
        for i, prepared in enumerate(self.prepared):
            if i in skip:
                continue
            p_tokens = sum(estimate_tokens(m) for m in prepared.body.get("messages", []))
            limit = prepared.body.get("max_completion_tokens") or prepared.body.get("max_tokens")
            c_tokens = int(limit) if limit else ASSUMED_COMPLETION
            assumed = assumed or not limit
            prompt, completion = prompt + p_tokens, completion + c_tokens
            info = prepared.model_info
            cost = estimate_cost(Usage(p_tokens, c_tokens), info) if info is not None else None
            usd = None if usd is None or cost is None else usd + cost.usd
        sent = len(self.prepared) - len(skip)
        return Estimate(sent, len(skip), prompt, completion, assumed, usd, self.model)

    def dry_run(self, cached: Sequence[bool]) -> DryRun:
        return DryRun(
            requests=[p.body for i, p in enumerate(self.prepared) if not cached[i]],
            estimate=self.estimate(cached),
            labels=[r.label for r in self.inputs.rows],
            cached=list(cached),
        )


@dataclass
class DryRun:
    """What ``batch(..., dry_run=True)`` returns: nothing was sent.

    ``requests`` are the bodies that would be sent (rows answered from the cache are left
    out; ``cached`` says which rows those are), ``estimate`` their tokens and cost.
    """

    requests: list[dict[str, Any]]
    estimate: Estimate
    labels: list[Any] = field(default_factory=list)
    cached: list[bool] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<batch dry run: {self.estimate}>"

    def _repr_html_(self) -> str:
        return f"<b>Batch dry run</b> (nothing sent): {escape(str(self.estimate))}"


def plan(
    session: Session,
    inputs: Inputs,
    *,
    params: ChatParams,
    model: str | None,
    system: str | None,
    catalog: ModelCatalog | None,
) -> Plan:
    """``Session.prepare`` for every row: all checks happen before anything is sent."""
    prepared = []
    for row in inputs.rows:
        prepared.append(_prepare(session, row, params, model, system, catalog))
    info = prepared[0].model_info
    return Plan(inputs, prepared, info.id if info is not None else prepared[0].model)


def _prepare(
    session: Session,
    row: RowInput,
    params: ChatParams,
    model: str | None,
    system: str | None,
    catalog: ModelCatalog | None,
) -> Prepared:
    try:
        images = [to_data_url(image) for image in row.images]
        return session.prepare(
            row.prompt, params=params, model=model, system=system, images=images, catalog=catalog
        )
    except VeniceError as err:  # which row, whatever the check (parameter, capability, image)
        err.message = f"Row {row.label!r}: {err.message} Nothing was sent."
        err.args = (err.message,)
        raise
