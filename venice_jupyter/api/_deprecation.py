"""Is the model that answered deprecated? Venice's headers and /models, in one record."""

from __future__ import annotations

from venice_jupyter.api._catalog import ModelInfo
from venice_jupyter.reply import Deprecation, Reply

__all__ = ["deprecation_of"]


def deprecation_of(reply: Reply, info: ModelInfo | None) -> Deprecation | None:
    """What the headers (``x-venice-model-deprecation-*``) and /models (``deprecation``) say
    about the answering model being deprecated; the headers win where both speak."""
    meta = reply.meta
    listed = info is not None and info.deprecation is not None
    if not (meta.deprecation_warning or meta.deprecation_date or listed):
        return None
    model = reply.answered_by or (info.id if info is not None else "")
    # /models describes the model asked for: it speaks for the answer only if that is the one.
    same = info is not None and (not reply.answered_by or info.id == reply.answered_by)
    return Deprecation(
        model=model,
        date=meta.deprecation_date or (info.removal_date if same and info else None),
        replacement=meta.deprecated_replacement or (info.replacement if same and info else None),
        message=meta.deprecation_warning,
    )
