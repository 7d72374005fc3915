"""What the extension keeps per kernel: settings, the session, conversations and the log.

Created on ``%load_ext`` without touching the network; the offline server (when there is no
key) starts on the first request, so loading stays fast.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from traitlets import Bool, Float, Int, TraitError, Unicode, validate
from traitlets.config import Configurable

from venice_jupyter.conversation import ConversationStore

if TYPE_CHECKING:
    from venice_jupyter.log import ExchangeLog
    from venice_jupyter.offline.server import OfflineServer
    from venice_jupyter.reply import Reply
    from venice_jupyter.session import Prepared, Session

__all__ = ["SETTING_RULES", "VeniceSettings", "VeniceState"]

# What settings accept beyond their type, checked however they are set (`%venice set`,
# `%config`, code): a bad value is refused at once instead of breaking every later request.
SETTING_RULES: dict[str, str] = {
    "timeout": "a finite number of seconds > 0",
    "updates_per_second": "a finite number > 0",
    "history_turns": "a whole number ≥ 0 (0: all that fit)",
    "history_tokens": "a whole number ≥ 0 (0: the model's context)",
    "base_url": "empty or an http(s) URL such as https://api.venice.ai/api/v1",
}


class VeniceSettings(Configurable):  # type: ignore[misc]
    """Settable with ``%config VeniceSettings.model = '…'`` or ``%venice set model=…``."""

    model = Unicode(
        "", help="Default model (id, trait or alias); empty: the server's default."
    ).tag(config=True)
    base_url = Unicode("", help="API base URL; empty: VENICE_BASE_URL or Venice.").tag(config=True)
    timeout = Float(120.0, help="Seconds to wait for the next bytes of a reply.").tag(config=True)
    history_turns = Int(0, help="Send at most this many past turns (0: all that fit).").tag(
        config=True
    )
    history_tokens = Int(0, help="Send at most ~this many history tokens (0: the context).").tag(
        config=True
    )
    log = Bool(True, help="Append every exchange to the local SQLite log.").tag(config=True)
    log_path = Unicode("", help="SQLite log file; empty: the user data dir.").tag(config=True)
    updates_per_second = Float(10.0, help="Most display updates per second.").tag(config=True)
    offline = Bool(False, help="Use the built-in offline server even when a key is set.").tag(
        config=True
    )

    @validate(*SETTING_RULES)
    def _check(self, proposal: Any) -> Any:
        name, value = proposal["trait"].name, proposal["value"]
        if name == "base_url":
            parts = urlsplit(value)
            ok = not value or (parts.scheme in ("http", "https") and bool(parts.netloc))
        elif name in ("timeout", "updates_per_second"):
            ok = math.isfinite(value) and value > 0
        else:
            ok = value >= 0
        if not ok:
            raise TraitError(f"{name}: {value!r} is not allowed; expected {SETTING_RULES[name]}.")
        return value


def default_conversation_name() -> str:
    """One conversation per notebook: Jupyter Server tells the kernel its notebook path."""
    path = os.environ.get("JPY_SESSION_NAME", "")
    return Path(path).stem if path else "default"


class VeniceState:
    def __init__(self, settings: VeniceSettings) -> None:
        self.settings = settings
        self.conversations = ConversationStore(default_conversation_name())
        self.params: dict[str, Any] = {}
        self.last_failed: Prepared | None = None
        self.last_partial: Reply | None = None
        self._session: Session | None = None
        self._server: OfflineServer | None = None
        self._log: ExchangeLog | None = None
        self._key: str | None = None

    # -- backend -------------------------------------------------------------------------
    @property
    def wants_offline(self) -> bool:
        if self.settings.offline:
            return True
        has_url = bool(self.settings.base_url or os.environ.get("VENICE_BASE_URL"))
        return not (self.has_key or has_url)

    def session(self) -> Session:
        if self._session is None:
            from venice_jupyter.client import VeniceClient
            from venice_jupyter.config import Timeouts
            from venice_jupyter.params import ChatParams
            from venice_jupyter.session import Session

            base_url = self.settings.base_url or None
            if self.wants_offline:
                base_url = self.offline_server().base_url
            client = VeniceClient(
                api_key=self._key,
                base_url=base_url,
                timeouts=Timeouts(read=self.settings.timeout),
            )
            self._session = Session(
                client,
                model=self.settings.model or "default",
                params=ChatParams.from_mapping(self.params),
            )
        return self._session

    def offline_server(self) -> OfflineServer:
        if self._server is None:
            from venice_jupyter.offline.server import OfflineServer

            self._server = OfflineServer().start()
        return self._server

    def reset_session(self) -> None:
        """Settings changed: the next request builds a new session from them."""
        if self._session is not None:
            # Its sockets close now, not at some later garbage collection. The async client
            # is left to the collector: a panel or compare task may still be streaming on it.
            self._session.client.close()
        self._session = None

    def set_key(self, key: str | None) -> None:
        self._key = key or None
        self.reset_session()

    @property
    def has_key(self) -> bool:
        return bool(self._key or os.environ.get("VENICE_API_KEY"))

    @property
    def backend(self) -> str:
        if self.wants_offline:
            return "offline (built-in server)"
        return self.settings.base_url or os.environ.get("VENICE_BASE_URL") or "Venice API"

    # -- log -----------------------------------------------------------------------------
    def log(self) -> ExchangeLog:
        from venice_jupyter.log import ExchangeLog

        if not self.settings.log:
            return ExchangeLog.disabled()
        if self._log is None:
            self._log = ExchangeLog(
                Path(self.settings.log_path) if self.settings.log_path else None
            )
        return self._log

    def close(self) -> None:
        if self._session is not None:
            self._session.client.close()
        if self._server is not None:
            self._server.stop()
            self._server = None
