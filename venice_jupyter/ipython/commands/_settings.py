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
            "tool_timeout", "tool_result_chars", "cache", "batch_confirm_usd",
            "prompt_cache")  # fmt: skip


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
    changed = [arg.partition("=")[0].strip().replace("-", "_") for arg in args]
    settings = [f"{k}={getattr(state.settings, k)}" for k in changed if k in SETTINGS]
    if settings:
        print(f"Setting {', '.join(settings)}.")
    if any(k not in SETTINGS for k in changed):
        print(_defaults_line(state).capitalize())


@command("unset", "KEY …: drop default parameters")
def _unset(state: Workspace, shell: Any, args: list[str]) -> None:
    from venice_jupyter.request import PARAMS, suggest

    keys = [key.replace("-", "_") for key in args]
    if not keys:
        raise ParameterError("%venice unset", "(nothing)", "the names of defaults to drop")
    for key in keys:  # a typo is refused before anything is dropped
        if key not in PARAMS and key not in state.params:
            raise ParameterError("%venice unset", key, "a request parameter", hint=suggest(key))
    dropped = [key for key in keys if state.params.pop(key, None) is not None]
    unset = [key for key in keys if key not in dropped]
    state.reset_session()
    said = [
        f"Dropped {', '.join(dropped)}" if dropped else "",
        f"{', '.join(unset)} {'was' if len(unset) == 1 else 'were'} not set" if unset else "",
    ]
    print("; ".join(x for x in said if x) + "; " + _defaults_line(state))


def _defaults_line(state: Workspace) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in state.params.items())
    return f"defaults sent with every request: {shown}." if shown else "no default parameters."


def _model_row(state: Workspace) -> str:
    wanted = state.settings.model or "default"
    try:
        catalog = state.session().catalog()
        resolved = catalog.resolve(wanted).id if catalog is not None else None
    except Exception:  # an unreachable server must not break `show`
        resolved = None
    return f"{wanted} → {resolved}" if resolved and resolved != wanted else wanted


@command(
    "show",
    "[NAME]: the backend, model, parameters and settings; a conversation's context window (the "
    "named one, else the last cell's) and what history its next request leaves out",
)
def _show(state: Workspace, shell: Any, args: list[str]) -> None:
    if len(args) > 1:
        raise ParameterError("%venice show", " ".join(args), "nothing, or one conversation name")
    name = args[0] if args else state.last_used or state.conversations.current
    if name not in state.conversations and name != state.conversations.current:
        names = ", ".join(repr(c.name) for c in state.conversations) or "none yet"
        raise ParameterError("%venice show", name, "an existing conversation",
                             hint=f"These exist: {names}.")  # fmt: skip
    rows = [{"name": "backend", "value": state.backend}]
    for key in SETTINGS:
        value = _model_row(state) if key == "model" else getattr(state.settings, key)
        if isinstance(value, bool):
            value = "true" if value else "false"
        rows.append({"name": key, "value": str(value)})
    rows += [{"name": f"param {k}", "value": _text(v)} for k, v in state.params.items()]
    rows.append({"name": "current conversation", "value": state.conversations.current})
    rows += _context_rows(state, name)
    rows.append({"name": "API key", "value": "set" if state.has_key else "not set"})
    show_table(rows, "venice settings")


def _context_rows(state: Workspace, name: str) -> list[dict[str, str]]:
    """Conversation ``name`` against the context window of the model its last turn used (else
    the default model's), and what of its history the next request would leave out."""
    from venice_jupyter.context import ContextUse, history_window
    from venice_jupyter.conversation import estimate_tokens
    from venice_jupyter.request import messages

    conversation = state.conversations.get(name)
    last = conversation.turns[-1].model if conversation.turns else None
    try:
        catalog = state.session().catalog()
        info = catalog.resolve(last or state.settings.model or "default") if catalog else None
    except Exception:  # an unreachable server must not break `show`
        info = None
    limit = info.context_length if info is not None else None
    window = history_window(
        conversation, limit, max_turns=state.settings.history_turns,
        max_tokens=state.settings.history_tokens,
    )  # fmt: skip
    sent = [messages.system(conversation.system)] if conversation.system else []
    use = ContextUse(
        model=info.id if info is not None else state.settings.model or "default",
        conversation=conversation.name,
        limit=limit,
        prompt_tokens=sum(estimate_tokens(m) for m in [*sent, *window.messages]),
        window=window,
        budget_set=bool(state.settings.history_tokens),
    )
    rows = [{"name": "context of", "value": conversation.name},
            {"name": "context", "value": use.meter()}]  # fmt: skip
    note = use.note()
    if note:
        rows.append({"name": "history", "value": note})
    return rows


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
    if state.wants_offline:  # no key: nothing online could answer
        print(f"Backend: {state.backend}. Online needs an API key: `%venice key` asks for "
              "one (or set VENICE_API_KEY), then `%venice online` again.")  # fmt: skip
        return
    print(f"Backend: {state.backend}")
