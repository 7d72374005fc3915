"""The offline language models: the served catalog, the word n-gram model trained on the
packaged corpus, its tokenizer, topic matching, a real GGUF chat model run by llama.cpp (the
``local`` extra: ``_local``, ``_llama``, ``_grammar``), and the sampler the server and the
sampling lab share (``_sampling``: what the lab shows is what the server does)."""

from venice_jupyter.offline.models._catalog import (
    COMPATIBILITY,
    EFFORT_TOKENS,
    MODELS,
    TRAITS,
    OfflineModel,
)
from venice_jupyter.offline.models._corpus import CORPUS_DIR, corpus_digest, load_answers
from venice_jupyter.offline.models._cuts import ranked
from venice_jupyter.offline.models._gguf import GGUFError, GGUFHeader, read_header
from venice_jupyter.offline.models._grammar import GrammarMask, schema_grammar
from venice_jupyter.offline.models._llama import EngineError, LlamaEngine, engine_installed
from venice_jupyter.offline.models._local import (
    BUNDLED_ID,
    GGUF_ENV,
    LocalModelWarning,
    LocalStatus,
    bundled_gguf,
    engine_for,
    local_status,
)
from venice_jupyter.offline.models._ngram import BOS, EOS, MAX_ORDER, NGramModel, get_model
from venice_jupyter.offline.models._sampling import (
    SamplingSettings,
    Stage,
    choose,
    choose_many,
    effective_temperature,
    penalize,
    pipeline,
    processed_logprobs,
    sample,
    softmax,
)
from venice_jupyter.offline.models._served import (
    DEFAULT_ENV,
    default_id,
    list_models,
    resolve,
    served,
    served_traits,
)
from venice_jupyter.offline.models._tokenizer import detokenize, tokenize
from venice_jupyter.offline.models._topic import Topic, TopicIndex, get_topics

__all__ = [
    "BOS",
    "BUNDLED_ID",
    "COMPATIBILITY",
    "CORPUS_DIR",
    "DEFAULT_ENV",
    "EFFORT_TOKENS",
    "EOS",
    "GGUF_ENV",
    "MAX_ORDER",
    "MODELS",
    "TRAITS",
    "EngineError",
    "GGUFError",
    "GGUFHeader",
    "GrammarMask",
    "LlamaEngine",
    "LocalModelWarning",
    "LocalStatus",
    "NGramModel",
    "OfflineModel",
    "SamplingSettings",
    "Stage",
    "Topic",
    "TopicIndex",
    "bundled_gguf",
    "choose",
    "choose_many",
    "corpus_digest",
    "default_id",
    "detokenize",
    "effective_temperature",
    "engine_for",
    "engine_installed",
    "get_model",
    "get_topics",
    "list_models",
    "load_answers",
    "local_status",
    "penalize",
    "pipeline",
    "processed_logprobs",
    "ranked",
    "read_header",
    "resolve",
    "sample",
    "schema_grammar",
    "served",
    "served_traits",
    "softmax",
    "tokenize",
]
