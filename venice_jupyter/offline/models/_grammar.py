"""JSON-schema output for the real model: llama.cpp's grammar as a mask over our own sampler.

The schema becomes a GBNF grammar (llama-cpp-python's ``json_schema_to_gbnf``), and llama.cpp's
grammar sampler is used only as an *oracle*: given candidate tokens it marks the ones the
grammar forbids now (``llama_sampler_apply`` sets their logit to ``-inf``), and it is told which
token was taken (``llama_sampler_accept``). The shared sampler still picks every token, from the
logits with the forbidden ones masked out (``choose(..., mask=...)``).

Accepting a token the grammar rejects makes llama.cpp abort the whole process, so ``accept``
checks the token first (a one-token check costs a few microseconds; a full mask a few ms).
"""

from __future__ import annotations

import ctypes
import importlib
import json
from typing import Any

import numpy as np
from numpy.typing import NDArray

from venice_jupyter.offline.models._llama import EngineError, LlamaEngine

__all__ = ["GrammarMask", "schema_grammar"]

# llama_token_data: {int32 id; float logit; float p}
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


def schema_grammar(schema: dict[str, Any]) -> str:
    """GBNF text for a JSON schema; ``ValueError`` (with the reason) for one it can't express."""
    grammar = importlib.import_module("llama_cpp.llama_grammar")
    try:
        return str(grammar.json_schema_to_gbnf(json.dumps(schema)))
    except Exception as error:  # the converter raises plain Exception/KeyError/… on bad input
        raise ValueError(f"this JSON schema cannot be turned into a grammar: {error}") from None


class GrammarMask:
    """Which tokens a grammar allows next, for one generation (``close()`` when done)."""

    def __init__(self, engine: LlamaEngine, gbnf: str) -> None:
        self._lib = importlib.import_module("llama_cpp")
        if ctypes.sizeof(self._lib.llama_token_data) != _TOKEN_DATA.itemsize:
            raise EngineError(
                "llama_token_data changed layout: this llama-cpp-python is unsupported"
            )
        self.engine = engine
        handle = self._lib.llama_sampler_init_grammar(engine.vocab_handle, gbnf.encode(), b"root")
        if not handle:
            raise ValueError("llama.cpp could not parse the grammar made from this JSON schema")
        self._handle = handle
        self._all = np.zeros(engine.n_vocab, dtype=_TOKEN_DATA)
        self._all["id"] = np.arange(engine.n_vocab, dtype=np.int32)
        self._one = np.zeros(1, dtype=_TOKEN_DATA)
        self._eog = sorted(engine.eog)
        self.full_masks = 0  # how often the whole vocabulary had to be checked

    def _apply(self, cells: NDArray[Any]) -> NDArray[np.bool_]:
        cells["logit"] = 0.0
        array = self._lib.llama_token_data_array(
            data=cells.ctypes.data_as(self._lib.llama_token_data_p),
            size=len(cells),
            selected=-1,
            sorted=False,
        )
        self._lib.llama_sampler_apply(self._handle, ctypes.byref(array))
        allowed: NDArray[np.bool_] = cells["logit"] != -np.inf
        return allowed

    def mask(self) -> NDArray[np.bool_]:
        """True for every token the grammar allows now (the order of ids is kept)."""
        self.full_masks += 1
        self._all["id"] = np.arange(self.engine.n_vocab, dtype=np.int32)
        return self._apply(self._all)

    def allows(self, token: int) -> bool:
        self._one["id"] = token
        return bool(self._apply(self._one)[0])

    def can_end(self) -> bool:
        """Whether the text so far is complete: the grammar allows an end-of-generation token."""
        return any(self.allows(t) for t in self._eog)

    def accept(self, token: int) -> None:
        if not self.allows(token):
            raise EngineError(f"token {token} is not allowed by the grammar here")
        self._lib.llama_sampler_accept(self._handle, token)

    def close(self) -> None:
        if self._handle:
            self._lib.llama_sampler_free(self._handle)
            self._handle = None
