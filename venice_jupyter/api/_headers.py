"""Response headers -> ``ResponseMeta``. Venice sends strings; every header is optional."""

from __future__ import annotations

import math
from collections.abc import Mapping

from venice_jupyter.reply import ResponseMeta

__all__ = ["meta_from_headers"]


def _float(value: str | None) -> float | None:
    # A header is text from the network: "nan", "inf" or junk is no number at all.
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _int(value: str | None) -> int | None:
    number = _float(value)
    return int(number) if number is not None else None


def meta_from_headers(status: int, headers: Mapping[str, str]) -> ResponseMeta:
    """Read what Venice documents in its response-headers reference (names are lowercase)."""
    h = {k.lower(): v for k, v in headers.items()}
    return ResponseMeta(
        status=status,
        request_id=h.get("cf-ray") or h.get("x-request-id"),
        model_id=h.get("x-venice-model-id"),
        model_name=h.get("x-venice-model-name"),
        deprecation_warning=h.get("x-venice-model-deprecation-warning"),
        deprecation_date=h.get("x-venice-model-deprecation-date"),
        ratelimit_limit_requests=_int(h.get("x-ratelimit-limit-requests")),
        ratelimit_remaining_requests=_int(h.get("x-ratelimit-remaining-requests")),
        ratelimit_reset_requests=_float(h.get("x-ratelimit-reset-requests")),
        ratelimit_limit_tokens=_int(h.get("x-ratelimit-limit-tokens")),
        ratelimit_remaining_tokens=_int(h.get("x-ratelimit-remaining-tokens")),
        ratelimit_reset_tokens=_float(h.get("x-ratelimit-reset-tokens")),
        ratelimit_type=h.get("x-ratelimit-type"),
        balance_usd=_float(h.get("x-venice-balance-usd")),
        balance_diem=_float(h.get("x-venice-balance-diem")),
        venice_version=h.get("x-venice-version"),
        deprecated_replacement=h.get("x-venice-deprecated-replacement"),
    )
