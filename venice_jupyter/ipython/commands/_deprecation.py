"""``%venice use-replacement``: leave a deprecated model for the one Venice names instead."""

from __future__ import annotations

from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.ipython.commands._registry import command
from venice_jupyter.workspace import Workspace

USAGE = "make the replacement Venice names for a deprecated model the default model"


def _pick(state: Workspace) -> tuple[str, str, str | None]:
    """(deprecated model, replacement, removal date): the default model's, when /models says it
    is deprecated, else the last answer's, when its model was (a cell's ``-m``)."""
    wanted = state.settings.model or "default"
    catalog = state.session().catalog()
    if catalog is not None and wanted in catalog:
        info = catalog.resolve(wanted)
        if info.deprecation is not None and info.replacement:
            return info.id, info.replacement, info.removal_date
    last = next(reversed(list(state.ledger)), None)
    d = last.deprecation if last is not None else None
    if d is not None and d.replacement:
        return d.model, d.replacement, d.date
    raise ParameterError(
        "%venice use-replacement", wanted, "a deprecated model that names its replacement",
        hint=f"{wanted} is not deprecated, nor was the model of the last answer. "
        "`%venice models` shows which models are deprecated.",
    )  # fmt: skip


@command("use-replacement", USAGE)
def _use_replacement(state: Workspace, shell: Any, args: list[str]) -> None:
    if args:
        raise ParameterError(
            "%venice use-replacement", " ".join(args), "no argument",
            hint="To pick a model yourself: `%venice use MODEL`.",
        )  # fmt: skip
    old, new, date = _pick(state)
    state.settings.model = new
    state.reset_session()
    when = f", removed on {date[:10]}" if date else ""
    print(
        f"Using {new} instead of {old} (deprecated{when}). Cells that name {old} with -m "
        "still ask for it."
    )
