"""Every check on a request's attachments, in one place ``Session.prepare`` calls.

    check_media(model, user, body, catalog=, collect=)   -> what Venice would refuse

Venice's counts per message and per request and its 35 MB body cap (``_limits``), then the
model's capabilities and caps (``_capabilities``). Normally the first failure raises (nothing
is sent); a dry run passes ``collect=True`` and gets each refusal as text instead, so it can
show the request and say what would be refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.request._capabilities import check_request
from venice_jupyter.request._limits import MEDIA_KINDS, check_body, check_parts, count_parts

if TYPE_CHECKING:
    from venice_jupyter.api import ModelCatalog, ModelInfo

__all__ = ["check_media"]


def check_media(
    model: ModelInfo | None,
    user: Mapping[str, Any],
    body: Mapping[str, Any],
    *,
    catalog: ModelCatalog | None = None,
    collect: bool = False,
) -> list[str]:
    """Raise the first refusal, or with ``collect`` return them all (one per kind of check)."""
    counts = {k: n for k, n in count_parts(user).items() if k in MEDIA_KINDS}
    checks: list[Callable[[], None]] = [lambda: check_parts(user)]
    if model is not None and counts:
        checks.append(lambda: check_request(model, {}, {}, parts=counts, catalog=catalog))
    if counts or any(MEDIA_KINDS & set(count_parts(m)) for m in body.get("messages") or ()):
        size = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        checks.append(lambda: check_body(body, size=size))
    refused: list[str] = []
    for check in checks:
        try:
            check()
        except ParameterError as err:
            if not collect:
                raise
            refused.append(str(err))
    return refused
