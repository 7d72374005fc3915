"""The workspace: what one kernel (or one Python process) works with.

    Workspace        settings, the session built from them, conversations, the log, the key
    current()        the one accessor: the extension's workspace, or the process's own
    VeniceSettings   the settings, a traitlets Configurable (``%config VeniceSettings.model``)

``%load_ext venice_jupyter`` adopts the current workspace (``install``), so what ``chat()`` did
before loading stays; nothing touches the network until the first request, and the offline
server (when there is no key) starts then.
"""

from __future__ import annotations

import atexit
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from traitlets import Bool, CaselessStrEnum, Float, Int, TraitError, Unicode, validate
from traitlets.config import Configurable

from venice_jupyter.conversation import ConversationStore

if TYPE_CHECKING:
    from venice_jupyter.api import RetryPolicy, Secret
    from venice_jupyter.offline import OfflineServer
    from venice_jupyter.reply import Reply
    from venice_jupyter.session import Prepared, Session
    from venice_jupyter.storage import ExchangeLog, Ledger, ReplyCache

__all__ = ["SETTING_RULES", "VeniceSettings", "Workspace", "current", "install", "uninstall"]

# What settings accept beyond their type, checked however they are set (`%venice set`,
# `%config`, code): a bad value is refused at once instead of breaking every later request.
SETTING_RULES: dict[str, str] = {
    "timeout": "a finite number of seconds > 0",
    "updates_per_second": "a finite number > 0",
    "history_turns": "a whole number ≥ 0 (0: all that fit)",
    "history_tokens": "a whole number ≥ 0 (0: the model's context)",
    "base_url": "empty or an http(s) URL such as https://api.venice.ai/api/v1",
    "max_tool_rounds": "a whole number ≥ 1",
    "tool_timeout": "seconds ≥ 0 (0: no limit)",
    "tool_result_chars": "a whole number ≥ 100",
    "batch_confirm_usd": "a number of US dollars ≥ 0 (inf: never ask)",
}


class Switch(Bool):  # type: ignore[misc,type-arg]
    """A Bool that ``%venice set`` also accepts as on/off or yes/no."""

    def from_string(self, s: str) -> Any:
        word = s.strip().lower()
        if word in ("on", "yes", "true", "1"):
            return True
        if word in ("off", "no", "false", "0"):
            return False
        raise ValueError(f"{s!r} is not on or off")

    def info(self) -> str:
        return "on or off"


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
    approve_tools = Switch(False, help="Ask (Run / Skip / Always) before each tool call runs.").tag(
        config=True
    )
    max_tool_rounds = Int(8, help="Most tool rounds in one turn.").tag(config=True)
    tool_timeout = Float(0.0, help="Seconds a tool function may run (0: no limit).").tag(
        config=True
    )
    tool_result_chars = Int(
        20_000, help="Most characters of a tool's result sent to the model (cut with a marker)."
    ).tag(config=True)
    interpolate = CaselessStrEnum(
        ["true", "false", "strict"],
        default_value="true",
        help="Fill {name} in cells from the notebook: true (unknown names stay as written), "
        "false, or strict (an unknown name is an error). Code and math are never filled.",
    ).tag(config=True)
    cache = Switch(False, help="Answer a repeated cell from the exchange log (no new cost).").tag(
        config=True
    )
    prompt_cache = Switch(
        True,
        help="Send each named conversation's stable prompt_cache_key, and cache_control marks "
        "where the model caches only what is marked.",
    ).tag(config=True)
    batch_confirm_usd = Float(
        1.0, help="A batch estimated above this many USD asks before it sends anything."
    ).tag(config=True)

    @validate(*SETTING_RULES)
    def _check(self, proposal: Any) -> Any:
        name, value = proposal["trait"].name, proposal["value"]
        if name == "base_url":
            parts = urlsplit(value)
            ok = not value or (parts.scheme in ("http", "https") and bool(parts.netloc))
        elif name in ("timeout", "updates_per_second"):
            ok = math.isfinite(value) and value > 0
        elif name == "tool_timeout":
            ok = math.isfinite(value) and value >= 0
        elif name == "max_tool_rounds":
            ok = value >= 1
        elif name == "tool_result_chars":
            ok = value >= 100
        else:
            ok = value >= 0
        if not ok:
            raise TraitError(f"{name}: {value!r} is not allowed; expected {SETTING_RULES[name]}.")
        return value


def default_conversation_name() -> str:
    """One conversation per notebook: Jupyter Server tells the kernel its notebook path."""
    path = os.environ.get("JPY_SESSION_NAME", "")
    return Path(path).stem if path else "default"


class Workspace:
    """Settings, the session built from them, conversations, the exchange log and the key.

    ``retry`` sets the retry policy of every client the workspace builds (tests make it fast).
    """

    def __init__(
        self, settings: VeniceSettings | None = None, *, retry: RetryPolicy | None = None
    ) -> None:
        self.settings = settings if settings is not None else VeniceSettings()
        self._retry = retry
        self.conversations = ConversationStore(default_conversation_name())
        self.tool_approvals: set[str] = set()  # functions "always" approved, for the kernel
        self.last_used: str | None = None  # the conversation of the last %%venice cell
        self.params: dict[str, Any] = {}
        self.last_failed: Prepared | None = None
        self.last_partial: Reply | None = None
        self.cell_id: str | None = None  # the running cell's id, as the front end sent it
        self._ledger: Ledger | None = None
        self._session: Session | None = None
        self._server: OfflineServer | None = None
        self._log: ExchangeLog | None = None
        self._cache: ReplyCache | None = None
        self._key: Secret | None = None

    @property
    def retry(self) -> RetryPolicy | None:
        """The retry policy of the clients this workspace builds (None: the default one)."""
        return self._retry

    @retry.setter
    def retry(self, policy: RetryPolicy | None) -> None:
        self._retry = policy
        self.reset_session()

    def adopt_settings(self, settings: VeniceSettings) -> None:
        """Use ``settings`` from now on (the extension's, read from IPython's config)."""
        self.settings = settings
        self.reset_session()

    def __repr__(self) -> str:
        current = self.conversations.current
        return f"<venice Workspace backend={self.backend!r} conversation={current!r}>"

    # -- backend -------------------------------------------------------------------------
    @property
    def wants_offline(self) -> bool:
        if self.settings.offline:
            return True
        has_url = bool(self.settings.base_url or os.environ.get("VENICE_BASE_URL"))
        return not (self.has_key or has_url)

    def session(self) -> Session:
        if self._session is None:
            # Imported here, not at the top: ``%load_ext`` stays quick (no httpx until needed).
            from venice_jupyter.api import Timeouts, VeniceClient
            from venice_jupyter.request import ChatParams
            from venice_jupyter.session import Session

            base_url = self.settings.base_url or None
            if self.wants_offline:
                base_url = self.offline_server().base_url
            client = VeniceClient(
                api_key=self._key.reveal() if self._key is not None else None,
                base_url=base_url,
                timeouts=Timeouts(read=self.settings.timeout),
                retry=self._retry,
            )
            self._session = Session(
                client,
                model=self.settings.model or "default",
                params=ChatParams.from_mapping(self.params),
                prompt_cache=self.settings.prompt_cache,
            )
        return self._session

    def offline_server(self) -> OfflineServer:
        if self._server is None:
            from venice_jupyter.offline import OfflineServer

            self._server = OfflineServer().start()
        return self._server

    def reset_session(self) -> None:
        """Settings changed: the next request builds a new session from them."""
        if self._session is not None:
            # Its sockets close now, not at some later garbage collection; a panel or compare
            # stream still running on the old session keeps its own reference to it.
            self._session.client.close()
        self._session = None

    def set_key(self, key: str | None) -> None:
        from venice_jupyter.api import secret

        self._key = secret(key)
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
    @property
    def ledger(self) -> Ledger:
        """What this kernel spent, exchange by exchange (``%venice usage``)."""
        if self._ledger is None:
            from venice_jupyter.storage import Ledger

            self._ledger = Ledger()
        return self._ledger

    def log(self) -> ExchangeLog:
        from venice_jupyter.storage import ExchangeLog

        if not self.settings.log:
            return ExchangeLog.disabled()
        if self._log is None:
            self._log = ExchangeLog(
                Path(self.settings.log_path) if self.settings.log_path else None
            )
        self._log.scope = self.backend  # cached answers are reused for the same server only
        return self._log

    def cache(self) -> ReplyCache:
        """The response cache: the log, answering requests it has seen (``storage.ReplyCache``)."""
        from venice_jupyter.storage import ReplyCache

        log = self.log()
        if self._cache is None or self._cache.log is not log:
            self._cache = ReplyCache(log)
        return self._cache

    def close(self) -> None:
        """Close the clients (sync and async), the log and the offline server."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._server is not None:
            self._server.stop()
            self._server = None


_CURRENT: Workspace | None = None


def current() -> Workspace:
    """The workspace in use: the extension's once loaded, else this process's own (made on
    first use, on the same defaults: the key from VENICE_API_KEY, offline without one)."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = Workspace()
        # This process's own: its offline server and connections end with the process.
        atexit.register(_CURRENT.close)
    return _CURRENT


def install(workspace: Workspace) -> None:
    """Make ``workspace`` the current one (``%load_ext`` does this)."""
    global _CURRENT
    _CURRENT = workspace


def uninstall() -> Workspace | None:
    """Forget the current workspace (``%unload_ext``) and hand it back to be closed."""
    global _CURRENT
    workspace, _CURRENT = _CURRENT, None
    return workspace
