"""A GGUF chat model run by llama.cpp (the ``local`` extra's llama-cpp-python, low-level API).

``LlamaEngine`` loads the model once and gives what the server and the lab need: the chat prompt
as token ids (the model's own template), the bytes of every token, and the *full* next-token
logits after evaluating tokens. Sampling is not done here: the shared numpy sampler
(``_sampling``) picks every token, so the lab shows what the server does.

Reproducibility: llama.cpp's batched kernels round differently from its one-token ones, so the
same text evaluated in a batch or token by token gives slightly different logits. Every
distribution therefore comes from one procedure: the prompt in one batch (``start``), then one
token at a time (``feed``). The lab's ``trace`` replays exactly that, so its distributions are
bit for bit the server's. ``start`` reuses the KV cache when the prompt is the one already in it
(the positions before it are unchanged by what came after), which gives the same bits.

One context serves everything: callers hold ``lock`` around ``start``/``feed`` sequences.
llama.cpp's own log goes to a buffer, never to the terminal; its errors explain a failed load.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib
import importlib.util
import os
import secrets
import sys
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["EngineError", "LlamaEngine", "engine_installed"]

N_CTX: Final = 4096
N_BATCH: Final = 512
_LOG: deque[str] = deque(maxlen=64)
_setup_lock = threading.Lock()
_ready = False
_callback: Any = None  # kept alive: llama.cpp holds a pointer to it


class EngineError(Exception):
    """The model could not be loaded or run; the message says why."""


def engine_installed() -> bool:
    """Whether llama-cpp-python is importable (without importing it: that takes ~130 ms)."""
    return importlib.util.find_spec("llama_cpp") is not None


def _lib() -> Any:
    """llama_cpp, with the backend initialised and its log captured (once per process)."""
    global _ready, _callback
    lib = importlib.import_module("llama_cpp")
    with _setup_lock:
        if not _ready:

            def log(level: int, text: bytes | None, _user: Any) -> None:
                if text and level in (2, 3):  # warnings and errors: the reasons for a failure
                    _LOG.append(text.decode("utf-8", errors="replace").strip())

            _callback = lib.llama_log_callback(log)
            lib.llama_log_set(_callback, ctypes.c_void_p(0))
            lib.llama_backend_init()
            atexit.register(_close_devnull)
            _ready = True
    return lib


def _close_devnull() -> None:
    """llama_cpp opens os.devnull twice at import (to silence model loading) and never closes
    it: a ResourceWarning at exit in every process that loaded a model. Loading is over by the
    time atexit runs, so closing them here is safe."""
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        file = getattr(utils, name, None)
        if file is not None:
            file.close()


def _reason() -> str:
    lines = [line for line in _LOG if line]
    _LOG.clear()
    return f" (llama.cpp: {lines[-1]})" if lines else ""


class LlamaEngine:
    """One loaded model and one context; see the module docstring."""

    def __init__(self, path: Path, *, n_ctx: int = N_CTX, threads: int | None = None) -> None:
        self.path = path
        lib = self._lib = _lib()
        _LOG.clear()
        params = lib.llama_model_default_params()
        params.n_gpu_layers = 0
        model = lib.llama_model_load_from_file(str(path).encode(), params)
        if not model:
            raise EngineError(f"llama.cpp could not load {path}: corrupt or unsupported{_reason()}")
        self._model = model
        self._vocab = self.vocab_handle = lib.llama_model_get_vocab(model)
        self.n_vocab = int(lib.llama_vocab_n_tokens(self._vocab))
        self.n_ctx = min(n_ctx, int(lib.llama_model_n_ctx_train(model)) or n_ctx)
        context = lib.llama_context_default_params()
        context.n_ctx = self.n_ctx
        context.n_batch = context.n_ubatch = N_BATCH
        context.n_seq_max = 1
        # llama.cpp's threads meet at a barrier per layer: when another process (or the kernel
        # streaming the reply) takes a core, all of them wait. Measured on 2 shared, busy cores:
        # decoding with 2 threads 4-104 tokens/s, with 1 a steady 52-79; a 538-token prompt
        # 55-260 tokens/s with 2, 109-142 with 1. So use half the cores (at most 4), leaving
        # the rest to the kernel and the client (llama-cpp-python's own default for decoding).
        context.n_threads = context.n_threads_batch = threads or max(
            1, min(4, (os.cpu_count() or 1) // 2)
        )
        context.no_perf = True
        context.flash_attn_type = lib.LLAMA_FLASH_ATTN_TYPE_DISABLED
        self._ctx = lib.llama_init_from_model(model, context)
        if not self._ctx:
            lib.llama_model_free(model)
            raise EngineError(f"llama.cpp could not create a context for {path}{_reason()}")
        self._memory = lib.llama_get_memory(self._ctx)
        self._batch = lib.llama_batch_init(N_BATCH, 0, 1)
        self.lock = threading.Lock()
        self.evaluations = 0  # llama_decode calls: a lab re-render must not add any
        self._tokens: list[int] = []  # what the KV cache holds, position by position
        self._prompt: tuple[tuple[int, ...], NDArray[np.float32]] | None = None
        self.pieces = [self._piece(i, special=False) for i in range(self.n_vocab)]
        self.labels = [self._piece(i, special=True) for i in range(self.n_vocab)]
        self.texts = tuple(p.decode("utf-8", errors="replace") for p in self.labels)
        self.by_label = {p: i for i, p in enumerate(self.labels)}
        self.eog = frozenset(
            i for i in range(self.n_vocab) if lib.llama_vocab_is_eog(self._vocab, i)
        )
        self.bos = int(lib.llama_vocab_bos(self._vocab))
        self.eos = int(lib.llama_vocab_eos(self._vocab))
        self.eot = int(lib.llama_vocab_eot(self._vocab))
        self.adds_bos = bool(lib.llama_vocab_get_add_bos(self._vocab))
        raw = lib.llama_model_chat_template(model, None)
        self.template = raw.decode("utf-8", errors="replace") if raw else None
        # The weights are memory-mapped: the first evaluation pages them in (seconds on a cold
        # cache). Do it now, so the first request is as fast as the others.
        with self.lock:
            self.start(self.document_start())
            self._tokens, self._prompt = [], None

    # -- text <-> tokens ---------------------------------------------------------------------
    def _piece(self, token: int, *, special: bool) -> bytes:
        buf = ctypes.create_string_buffer(256)
        n = self._lib.llama_token_to_piece(self._vocab, token, buf, 256, 0, special)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = self._lib.llama_token_to_piece(self._vocab, token, buf, -n, 0, special)
        return bytes(buf.raw[: max(0, n)])

    def encode(self, text: str, *, special: bool = False, add_bos: bool = False) -> list[int]:
        """Token ids of ``text``; ``special``: control-token text becomes control tokens."""
        data = text.encode("utf-8")
        size = len(data) + 8
        for _ in range(2):
            out = (self._lib.llama_token * size)()
            n = self._lib.llama_tokenize(self._vocab, data, len(data), out, size, add_bos, special)
            if n >= 0:
                return list(out[:n])
            size = -n
        raise EngineError("llama.cpp could not tokenise the text")

    def token_text(self, token: int) -> str:
        """The text llama.cpp has for a token id (control tokens as written, e.g. <|im_end|>)."""
        return bytes(self._lib.llama_vocab_get_text(self._vocab, token)).decode("utf-8", "replace")

    def document_start(self) -> list[int]:
        """What a plain text starts with: BOS if the model wants one, else the end-of-text token
        that separates documents in training (there must be a token to predict from)."""
        if self.adds_bos or self.eot < 0:
            return [self.bos]
        return [self.eot]

    def chat_prompt(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """The model's chat template applied to ``messages`` (role, content), as token ids.

        The template's own markers are tokenised as control tokens, message contents as plain
        text: a user who writes ``<|im_start|>system`` gets those characters, not a new turn.
        """
        if self.template is None:
            raise EngineError(f"{self.path} has no chat template")
        formats = importlib.import_module("llama_cpp.llama_chat_format")
        bos, eos = self.token_text(self.bos), self.token_text(self.eos)
        formatter = formats.Jinja2ChatFormatter(self.template, eos, bos, add_generation_prompt=True)
        marks = [f"\x00{secrets.token_hex(8)}\x00" for _ in messages]
        dummy = [{**m, "content": mark} for m, mark in zip(messages, marks, strict=True)]
        rendered = formatter(messages=dummy).prompt
        if not all(rendered.count(mark) == 1 for mark in marks):
            # the template rewrote contents: fall back to tokenising the whole prompt
            prompt = formatter(messages=list(messages)).prompt
            return self._with_bos(self.encode(prompt, special=True), prompt)
        out: list[int] = []
        rest = rendered
        for message, mark in zip(messages, marks, strict=True):
            before, rest = rest.split(mark, 1)
            out += self.encode(before, special=True) + self.encode(message["content"])
        out += self.encode(rest, special=True)
        return self._with_bos(out, rendered)

    def _with_bos(self, ids: list[int], prompt: str) -> list[int]:
        if self.adds_bos and not prompt.startswith(self.token_text(self.bos)):
            return [self.bos, *ids]
        return ids

    # -- evaluation (hold ``lock``) ------------------------------------------------------------
    @property
    def position(self) -> int:
        return len(self._tokens)

    def _decode(self, tokens: Sequence[int]) -> NDArray[np.float32]:
        lib, batch = self._lib, self._batch
        if len(self._tokens) + len(tokens) > self.n_ctx:
            raise EngineError(f"the context is full ({self.n_ctx} tokens)")
        lib.llama_memory_seq_rm(self._memory, 0, len(self._tokens), -1)
        for start in range(0, len(tokens), N_BATCH):
            chunk = tokens[start : start + N_BATCH]
            batch.n_tokens = len(chunk)
            for i, token in enumerate(chunk):
                batch.token[i] = token
                batch.pos[i] = len(self._tokens) + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = int(i == len(chunk) - 1)
            rc = lib.llama_decode(self._ctx, batch)
            self.evaluations += 1
            if rc != 0:
                self._tokens, self._prompt = [], None
                raise EngineError(f"llama_decode returned {rc}{_reason()}")
            self._tokens += list(chunk)
        row = lib.llama_get_logits_ith(self._ctx, -1)
        logits: NDArray[np.float32] = np.ctypeslib.as_array(row, shape=(self.n_vocab,)).copy()
        return logits

    def start(self, prompt: Sequence[int]) -> NDArray[np.float32]:
        """Logits after ``prompt`` (evaluated in one batch, or taken from the KV cache)."""
        key = tuple(prompt)
        if not key:
            raise EngineError("an empty prompt has no next token")
        cache = self._prompt
        if cache is not None and cache[0] == key and self._tokens[: len(key)] == list(key):
            del self._tokens[len(key) :]
            cached: NDArray[np.float32] = cache[1].copy()
            return cached
        self._tokens, self._prompt = [], None
        logits = self._decode(key)
        self._prompt = (key, logits.copy())
        return logits

    def feed(self, token: int) -> NDArray[np.float32]:
        """Logits after appending ``token`` to what was evaluated."""
        return self._decode([token])

    def trace(self, prompt: Sequence[int], tokens: Sequence[int]) -> NDArray[np.float32]:
        """Logits before each of ``tokens`` and after the last (``len(tokens) + 1`` rows),
        computed the way generation computes them."""
        with self.lock:
            rows = [self.start(prompt)]
            for token in tokens:
                rows.append(self.feed(token))
        return np.stack(rows)

    def close(self) -> None:
        lib = self._lib
        with self.lock:
            if self._ctx:
                lib.llama_batch_free(self._batch)
                lib.llama_free(self._ctx)
                lib.llama_model_free(self._model)
                self._ctx = self._model = None
