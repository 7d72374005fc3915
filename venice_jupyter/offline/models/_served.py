"""The catalog a server answers with: the n-gram models, plus the real model when one is served,
and which of them the ``default`` trait names.

``default`` is the real model when it is served (with the ``local`` extra), else
``venice-offline``. ``VENICE_OFFLINE_DEFAULT=ID`` picks another served model: the test suite
sets ``venice-offline`` so that its n-gram expectations hold whether or not the extra is
installed.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Final

from venice_jupyter.offline.models._catalog import MODELS, OfflineModel, entries, resolve_in
from venice_jupyter.offline.models._local import local_status

__all__ = ["DEFAULT_ENV", "default_id", "list_models", "resolve", "served", "served_traits"]

DEFAULT_ENV: Final = "VENICE_OFFLINE_DEFAULT"


def default_id(models: tuple[OfflineModel, ...]) -> str:
    """The id the ``default`` trait names among ``models`` (see the module docstring)."""
    wanted = os.environ.get(DEFAULT_ENV, "").strip()
    if wanted:
        found = resolve_in(models, wanted)
        if found is not None:
            return found[0].id
    local = [m for m in models if m.engine == "llama"]
    return local[0].id if local else MODELS[0].id


def served() -> tuple[OfflineModel, ...]:
    """Every model the offline server serves now, ``default`` given to one of them."""
    status = local_status()
    models = (*MODELS, status.model) if status.model is not None else MODELS
    chosen = default_id(models)
    out = []
    for model in models:
        traits = tuple(t for t in model.traits if t != "default")
        if model.id == chosen:
            traits = ("default", *traits)
        out.append(model if traits == model.traits else replace(model, traits=traits))
    return tuple(out)


def resolve(model: str) -> tuple[OfflineModel, dict[str, Any]] | None:
    """The served model a request names and its suffix parameters, or None (Venice's 404)."""
    return resolve_in(served(), model)


def list_models(kind: str) -> list[dict[str, Any]]:
    """GET /models ``data``."""
    return entries(served(), kind)


def served_traits() -> dict[str, str]:
    """GET /models/traits ``data``: trait -> model id."""
    return {trait: m.id for m in served() for trait in m.traits}
