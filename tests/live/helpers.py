"""What the live tests share: clients on the real API, the cheapest fitting model, a
collecting sink, a PNG."""

from __future__ import annotations

import json
import os
import struct
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from testkit.keys import LIVE_KEY_VAR
from venice_jupyter.api import (
    DEFAULT_BASE_URL,
    AsyncVeniceClient,
    ModelCatalog,
    ModelInfo,
    RetryPolicy,
    Timeouts,
    VeniceClient,
)
from venice_jupyter.errors import VeniceError
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.session import Prepared

SNAPSHOT = Path(__file__).resolve().parents[2] / "spec" / "static-models.json"

# Read once, before any test fixture sets VENICE_BASE_URL for its kernels.
BASE_URL = os.environ.get("VENICE_BASE_URL") or DEFAULT_BASE_URL
SKIP_REASON = (
    "live suite: no real Venice key. Run with VENICE_API_KEY=<your key> "
    "(`VENICE_API_KEY=… python -m pytest -m live tests/live`); it is kept in "
    f"{LIVE_KEY_VAR} for these tests and costs a few cents."
)
_OPTIONS: dict[str, Any] = {
    "base_url": BASE_URL,
    "timeouts": Timeouts(connect=10, read=90),
    "retry": RetryPolicy(max_retries=2),
}


def live_client() -> VeniceClient:
    if not os.environ.get(LIVE_KEY_VAR):
        pytest.skip(SKIP_REASON)
    return VeniceClient(api_key=os.environ[LIVE_KEY_VAR], **_OPTIONS)


def live_aclient() -> AsyncVeniceClient:
    if not os.environ.get(LIVE_KEY_VAR):
        pytest.skip(SKIP_REASON)
    return AsyncVeniceClient(api_key=os.environ[LIVE_KEY_VAR], **_OPTIONS)


@cache
def _by_price() -> list[dict[str, Any]]:
    """Text models of Venice's snapshot, cheapest first (input + output USD per 1M tokens).

    E2EE models (encrypted content, streaming only), beta and deprecated ones and free ones
    (stealth previews) are left out: they are not what a user's first request meets."""
    models = []
    for entry in json.loads(SNAPSHOT.read_text()):
        spec = entry.get("model_spec") or {}
        pricing = spec.get("pricing") or {}
        try:
            price = float(pricing["input"]["usd"]) + float(pricing["output"]["usd"])
        except (KeyError, TypeError, ValueError):
            continue
        caps = spec.get("capabilities") or {}
        excluded = (
            entry.get("type") != "text"
            or str(entry["id"]).startswith("e2ee-")
            or caps.get("supportsE2EE") is True
            or spec.get("beta") is True
            or spec.get("betaModel") is True
            or spec.get("deprecation")
            or spec.get("offline") is True
            or price <= 0
        )
        if not excluded:
            models.append({"id": entry["id"], "price": price, "caps": caps})
    return sorted(models, key=lambda m: (m["price"], m["id"]))


def cheapest(catalog: ModelCatalog, *needs: str, avoid: tuple[str, ...] = ()) -> str:
    """The cheapest model of the snapshot that the live catalog still lists with ``needs``
    (then, as the catalog churns, the cheapest such model of the live catalog), preferring
    one without ``avoid``: a reasoning model spends a tiny token limit thinking."""
    live = {m.id: m for m in catalog.text_models()}
    listed = [m["id"] for m in _by_price() if m["id"] in live]
    newer = sorted(
        (m for m in live.values() if m.id not in listed and _ordinary(m)),
        key=lambda m: (_price(m), m.id),
    )
    ordered = [*listed, *(m.id for m in newer)]
    fitting = [i for i in ordered if all(live[i].supports(n) for n in needs)]
    if not fitting:
        pytest.fail(f"no model Venice lists has {needs}")
    preferred = [i for i in fitting if not any(live[i].supports(a) for a in avoid)]
    return (preferred or fitting)[0]


def _price(model: ModelInfo) -> float:
    pricing = model.pricing
    return pricing.input.usd + pricing.output.usd if pricing is not None else 0.0


def _ordinary(model: ModelInfo) -> bool:
    return (
        _price(model) > 0
        and not (model.beta or model.deprecation or model.offline)
        and not model.id.startswith("e2ee-")
    )


class Collect:
    """A sink that keeps every delta, in order."""

    def __init__(self) -> None:
        self.deltas: list[Delta] = []
        self.finished: Reply | None = None
        self.error: VeniceError | None = None

    def on_start(self, prepared: Prepared) -> None:
        pass

    def on_delta(self, delta: Delta, reply: Reply) -> None:
        self.deltas.append(delta)

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        pass

    def on_finish(self, reply: Reply) -> None:
        self.finished = reply

    def on_error(self, error: VeniceError) -> None:
        self.error = error

    def text(self, kind: str = "content") -> str:
        return "".join(d.text for d in self.deltas if d.kind == kind and d.choice == 0)


def png(size: int, rgb: tuple[int, int, int]) -> bytes:
    """A ``size`` × ``size`` PNG of one colour (Venice wants images of at least 64 px)."""

    def block(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + block(b"IHDR", header)
        + block(b"IDAT", zlib.compress(row * size))
        + block(b"IEND", b"")
    )
