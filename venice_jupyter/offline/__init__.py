"""The offline Venice-compatible server and its small language models.

``OfflineServer`` speaks Venice's chat-completions API on loopback (streaming SSE, models
endpoints, validation, headers, web search, structured output, tools) from word n-gram models
trained on the packaged corpus; ``Fault`` makes it misbehave on purpose for tests.

    models/       the served catalog, the n-gram model, tokenizer, topics, the shared sampler
    validation/   request checks and error bodies, as Venice answers them
    replies/      a request -> a plan -> a completion (lazy streams of events)
    http/         the server, routing, the wire format, accounting, faults
"""

from venice_jupyter.offline.http import Fault, FaultKind, OfflineServer
from venice_jupyter.offline.models import (
    MODELS,
    LocalModelWarning,
    NGramModel,
    OfflineModel,
    get_model,
)

__all__ = [
    "MODELS",
    "Fault",
    "FaultKind",
    "LocalModelWarning",
    "NGramModel",
    "OfflineModel",
    "OfflineServer",
    "get_model",
]
