"""The offline Venice-compatible server and its small language model.

``OfflineServer`` speaks Venice's chat-completions API on loopback (streaming SSE, models
endpoints, validation, headers, web search, structured output, tools) from a word n-gram model
trained on the packaged corpus; ``Fault`` makes it misbehave on purpose for tests.
"""

from venice_jupyter.offline.catalog import MODELS, ModelInfo
from venice_jupyter.offline.faults import Fault, FaultKind
from venice_jupyter.offline.ngram import NGramModel, get_model
from venice_jupyter.offline.server import OfflineServer

__all__ = ["MODELS", "Fault", "FaultKind", "ModelInfo", "NGramModel", "OfflineServer", "get_model"]
