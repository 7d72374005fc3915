"""``VENICE_OFFLINE_GGUF`` pointing at something that is not a servable chat model: the server
says what is wrong when it starts (``LocalModelWarning``, naming the file and what to do) and
serves the n-gram models as always.

The header checks need nothing installed; the truncated and template-less files are real
copies of the bundled model, so those need the ``local`` extra (skipped, with the reason,
without it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.local_support import needs_local
from venice_jupyter.offline import LocalModelWarning, OfflineServer
from venice_jupyter.offline.models import (
    GGUF_ENV,
    GGUFError,
    bundled_gguf,
    engine_installed,
    read_header,
)


def start_with(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[OfflineServer, str]:
    """A server started with ``VENICE_OFFLINE_GGUF=path``; its one warning's text."""
    monkeypatch.setenv(GGUF_ENV, str(path))
    server = OfflineServer()
    with pytest.warns(LocalModelWarning) as caught:
        server.start()
    assert len(caught) == 1
    message = str(caught[0].message)
    assert server.notices == [message]
    return server, message


def assert_ngram_models_served(server: OfflineServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        ids = [m["id"] for m in http.get("/models").json()["data"]]
        assert "venice-offline" in ids and not [i for i in ids if "smollm2" in i or "gguf" in i]
        answer = http.post(
            "/chat/completions",
            json={
                "model": "default",
                "messages": [{"role": "user", "content": "Tell me about bread."}],
                "max_completion_tokens": 5,
            },
        )
        assert answer.status_code == 200 and answer.json()["model"] == "venice-offline"


def check(path: Path, monkeypatch: pytest.MonkeyPatch, *expected: str) -> None:
    server, message = start_with(path, monkeypatch)
    try:
        assert GGUF_ENV in message and str(path) in message, message
        for part in expected:
            assert part in message, message
        assert "serves its n-gram models only" in message
        assert_ngram_models_served(server)
    finally:
        server.stop()


needs_engine = pytest.mark.skipif(
    not engine_installed(), reason="llama-cpp-python (the `local` extra) is not installed"
)


@needs_engine
def test_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(tmp_path / "nowhere.gguf", monkeypatch, "does not exist")


@needs_engine
def test_a_directory_and_a_file_that_is_not_gguf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(tmp_path, monkeypatch, "is not a file")
    noise = tmp_path / "noise.gguf"
    noise.write_bytes(os.urandom(1024))
    check(noise, monkeypatch, "is not a GGUF file", "give the path of a .gguf model")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"GGUF\x03\x00")
    check(empty, monkeypatch, "is truncated")


def test_the_engine_missing_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without llama-cpp-python (hidden here, as if never installed) the variable can't work."""
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    assert not engine_installed()
    check(tmp_path / "model.gguf", monkeypatch, "llama-cpp-python is not installed", "[local]")


def test_the_header_reader_refuses_what_is_not_gguf(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(GGUFError, match="not a GGUF file"):
        read_header(junk)
    header = tmp_path / "huge.gguf"
    header.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + (0).to_bytes(8, "little")
                       + (1).to_bytes(8, "little") + (1 << 40).to_bytes(8, "little"))  # fmt: skip
    with pytest.raises(GGUFError, match="corrupt"):
        read_header(header)


@needs_local
def test_a_truncated_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = bundled_gguf()
    assert source is not None
    data = source.read_bytes()
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(data[: len(data) // 2])
    check(truncated, monkeypatch, "llama.cpp could not load", "corrupt or unsupported")


@needs_local
def test_a_model_without_a_chat_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled model with its template key renamed (same length: the file stays valid),
    which llama.cpp loads happily and would prompt in the wrong format."""
    source = bundled_gguf()
    assert source is not None
    data = source.read_bytes()
    key = b"tokenizer.chat_template"
    assert data.count(key) == 1
    plain = tmp_path / "base-model.gguf"
    plain.write_bytes(data.replace(key, b"tokenizer.chat_templatX"))
    assert read_header(plain).chat_template is None
    check(plain, monkeypatch, "has no chat template", "it is not a chat model")


@needs_local
def test_another_gguf_chat_model_is_served_under_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """VENICE_OFFLINE_GGUF=PATH serves that file (here a copy of the bundled model under
    another name), with an id from its ``general.name``."""
    source = bundled_gguf()
    assert source is not None
    copy = tmp_path / "my-model.gguf"
    copy.write_bytes(source.read_bytes())
    monkeypatch.setenv(GGUF_ENV, str(copy))
    with OfflineServer() as server, httpx.Client(base_url=server.base_url, timeout=60) as http:
        assert server.notices == []
        ids = [m["id"] for m in http.get("/models").json()["data"]]
        local = [i for i in ids if i.startswith("venice-offline-smollm2-135m")]
        assert len(local) == 1, ids
        answer = http.post(
            "/chat/completions",
            json={
                "model": local[0],
                "messages": [{"role": "user", "content": "Hi"}],
                "max_completion_tokens": 4,
                "temperature": 0,
            },
        )
        assert answer.status_code == 200 and answer.json()["usage"]["completion_tokens"] == 4
