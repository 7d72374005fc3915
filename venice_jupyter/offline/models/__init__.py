"""The offline language models: the served catalog, the word n-gram model trained on the
packaged corpus, its tokenizer, topic matching, and the sampler the server and the sampling lab
share (``_sampling``: what the lab shows is what the server does)."""

from venice_jupyter.offline.models._catalog import (
    COMPATIBILITY,
    EFFORT_TOKENS,
    MODELS,
    TRAITS,
    OfflineModel,
    list_models,
    resolve,
)
from venice_jupyter.offline.models._corpus import CORPUS_DIR, corpus_digest, load_answers
from venice_jupyter.offline.models._ngram import BOS, EOS, MAX_ORDER, NGramModel, get_model
from venice_jupyter.offline.models._sampling import (
    SamplingSettings,
    Stage,
    choose,
    effective_temperature,
    penalize,
    pipeline,
    processed_logprobs,
    sample,
    softmax,
)
from venice_jupyter.offline.models._tokenizer import detokenize, tokenize
from venice_jupyter.offline.models._topic import Topic, TopicIndex, get_topics

__all__ = [
    "BOS",
    "COMPATIBILITY",
    "CORPUS_DIR",
    "EFFORT_TOKENS",
    "EOS",
    "MAX_ORDER",
    "MODELS",
    "TRAITS",
    "NGramModel",
    "OfflineModel",
    "SamplingSettings",
    "Stage",
    "Topic",
    "TopicIndex",
    "choose",
    "corpus_digest",
    "detokenize",
    "effective_temperature",
    "get_model",
    "get_topics",
    "list_models",
    "load_answers",
    "penalize",
    "pipeline",
    "processed_logprobs",
    "resolve",
    "sample",
    "softmax",
    "tokenize",
]
