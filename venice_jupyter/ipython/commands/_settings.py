"""``%venice`` commands for defaults, settings, the key and the backend."""

from __future__ import annotations

import difflib
import getpass
from typing import Any

from venice_jupyter.errors import ConfigError, ParameterError
from venice_jupyter.ipython.commands._registry import command, show_table
from venice_jupyter.workspace import SETTING_RULES, Workspace

SETTINGS = ("model", "base_url", "timeout", "history_turns", "history_tokens", "log",
            "updates_per_second", "interpolate", "approve_tools", "max_tool_rounds",
            "tool_timeout", "tool_result_chars", "cache", "batch_confirm_usd")  # fmt: skip


@command("set", "KEY=VALUE …: a default parameter (temperature=0.7) or setting (timeout=60)")
def _set(state: Workspace, shell: Any, args: list[str]) -> None:
    from venice_jupyter.request import PARAMS, ChatParams, coerce, suggest

    if not args:
        raise ParameterError("%venice set", "(nothing)", "KEY=VALUE pairs, e.g. temperature=0.7")
    params = dict(state.params)
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            raise ParameterError("%venice set", arg, "KEY=VALUE, e.g. top_p=0.9")
        key = key.strip().replace("-", "_")
        if key in SETTINGS:
            trait = state.settings.traits()[key]
            rule = SETTING_RULES.get(key)
            try:
                setattr(state.settings, key, trait.from_string(value))
            except Exception as exc:  # traitlets raises TraitError/ValueError variously
                hint = "" if rule else str(exc)
                raise ParameterError(key, value, rule or trait.info(), hint=hint) from None
        elif key not in PARAMS:
            settings = difflib.get_close_matches(key, SETTINGS, n=1)
            hint = f"Did you mean the setting {settings[0]!r}?" if settings else suggest(key)
            raise ParameterError(
                "%venice set",
                key,
                "a request parameter or a setting",
                hint=f"{hint} The settings are {', '.join(SETTINGS)}.",
            )
        else:
            params[key] = coerce(key, value)
    ChatParams.from_mapping(params)  # cross-field checks before anything changes
    state.params = params
    state.reset_session()


@command("unset", "KEY …: drop default parameters")
def _unset(state: Workspace, shell: Any, args: list[str]) -> None:
    for key in args:
        state.params.pop(key.replace("-", "_"), None)
    state.reset_session()


def _model_row(state: Workspace) -> str:
    wanted = state.settings.model or "default"
    try:
        catalog = state.session().catalog()
        resolved = catalog.resolve(wanted).id if catalog is not None else None
    except Exception:  # an unreachable server must not break `show`
        resolved = None
    return f"{wanted} → {resolved}" if resolved and resolved != wanted else wanted


@command("show", "the current backend, model, parameters and settings")
def _show(state: Workspace, shell: Any, args: list[str]) -> None:
    rows = [{"name": "backend", "value": state.backend}]
    for key in SETTINGS:
        value = _model_row(state) if key == "model" else getattr(state.settings, key)
        if isinstance(value, bool):
            value = "true" if value else "false"
        rows.append({"name": key, "value": str(value)})
    rows += [{"name": f"param {k}", "value": _text(v)} for k, v in state.params.items()]
    rows.append({"name": "conversation", "value": state.conversations.current})
    rows.append({"name": "API key", "value": "set" if state.has_key else "not set"})
    show_table(rows, "venice settings")


def _text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


@command("key", "ask for the API key (hidden input; never printed or saved)")
def _key(state: Workspace, shell: Any, args: list[str]) -> None:
    from IPython.core.error import StdinNotImplementedError

    if args:
        raise ParameterError(
            "%venice key", "(a key on the command line)", "no argument",
            hint="A key typed into a cell would be saved in the notebook; "
            "`%venice key` asks for it instead.",
        )  # fmt: skip
    try:
        key = getpass.getpass("Venice API key: ")
    except (StdinNotImplementedError, EOFError, OSError):
        raise ConfigError(
            "This front end cannot ask for input, so `%venice key` cannot read a key here. "
            "Set VENICE_API_KEY in the environment before starting Jupyter (or the kernel)."
        ) from None
    state.set_key(key.strip() or None)
    print("Key set for this kernel." if key.strip() else "Key cleared.")


@command("offline", "use the built-in offline server")
def _offline(state: Workspace, shell: Any, args: list[str]) -> None:
    state.settings.offline = True
    state.reset_session()
    print(f"Backend: {state.backend} at {state.offline_server().base_url}")


@command("online", "use the Venice API (or VENICE_BASE_URL)")
def _online(state: Workspace, shell: Any, args: list[str]) -> None:
    state.settings.offline = False
    state.reset_session()
    print(f"Backend: {state.backend}")
