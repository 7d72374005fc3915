"""Talking to Venice: configuration, the sync and async clients, streams and the model catalog.

    VeniceClient / AsyncVeniceClient    the two drivers; everything but moving bytes is shared
    ChatStream / AsyncChatStream        iterate for ``Delta``s; ``.reply`` holds what arrived
    ModelCatalog / ModelInfo            GET /models, traits and aliases, for lookup and pricing
    RateGate / FailureBudget            pacing many requests: rate limits and the error budget

Inside: ``_sse`` (bytes -> events) -> ``_accumulate`` (events -> ``Reply``) in one ``_attempt``;
``_core`` is the retry loop and request building both drivers share.
"""

from venice_jupyter.api._async import AsyncChatStream, AsyncVeniceClient
from venice_jupyter.api._catalog import (
    CAPABILITY_LETTERS,
    CAPABILITY_WORDS,
    MODELS_HINT,
    ModelCatalog,
    ModelInfo,
    Pricing,
    Rate,
    cache_savings,
    estimate_cost,
)
from venice_jupyter.api._config import DEFAULT_BASE_URL, ClientConfig, Secret, Timeouts, secret
from venice_jupyter.api._deprecation import deprecation_of
from venice_jupyter.api._listing import defaults_text, format_price, status_text, summary_row
from venice_jupyter.api._rate import FailureBudget, RateGate
from venice_jupyter.api._retry import RETRY_STATUSES, RetryPolicy
from venice_jupyter.api._sync import ChatStream, VeniceClient

__all__ = [
    "CAPABILITY_LETTERS",
    "CAPABILITY_WORDS",
    "DEFAULT_BASE_URL",
    "MODELS_HINT",
    "RETRY_STATUSES",
    "AsyncChatStream",
    "AsyncVeniceClient",
    "ChatStream",
    "ClientConfig",
    "FailureBudget",
    "ModelCatalog",
    "ModelInfo",
    "Pricing",
    "Rate",
    "RateGate",
    "RetryPolicy",
    "Secret",
    "Timeouts",
    "VeniceClient",
    "cache_savings",
    "defaults_text",
    "deprecation_of",
    "estimate_cost",
    "format_price",
    "secret",
    "status_text",
    "summary_row",
]
