"""Base URL and key resolution; the key never shows in a repr."""

from __future__ import annotations

import pytest

from venice_jupyter.api._config import DEFAULT_BASE_URL, ClientConfig, Secret
from venice_jupyter.errors import ConfigError, MissingKeyError

KEY = "vk-SECRET-abcdef123456"


def test_env_key_and_default_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENICE_API_KEY", KEY)
    monkeypatch.delenv("VENICE_BASE_URL", raising=False)
    cfg = ClientConfig()
    assert cfg.base_url == DEFAULT_BASE_URL and cfg.has_key
    assert cfg.headers(stream=True)["Authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(cfg)


def test_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENICE_BASE_URL", "http://127.0.0.1:9/v1/")
    assert ClientConfig(api_key="").base_url == "http://127.0.0.1:9/v1"


def test_missing_key_for_venice_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENICE_API_KEY", raising=False)
    cfg = ClientConfig(base_url=DEFAULT_BASE_URL)
    with pytest.raises(MissingKeyError, match="VENICE_API_KEY"):
        cfg.headers(stream=True)


def test_other_servers_need_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENICE_API_KEY", raising=False)
    headers = ClientConfig(base_url="http://127.0.0.1:1234/v1").headers(stream=False)
    assert "Authorization" not in headers
    assert headers["Accept-Encoding"] == "gzip, br"


def test_bad_base_url() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        ClientConfig(base_url="ftp://example.com")


def test_secret_hides_itself_and_redact() -> None:
    s = Secret(KEY)
    assert KEY not in repr(s) and KEY not in str(s) and KEY not in f"{s}"
    cfg = ClientConfig(api_key=KEY, base_url="http://127.0.0.1:1/v1")
    assert cfg.redact(f"Bearer {KEY} oops") == "Bearer ******** oops"
