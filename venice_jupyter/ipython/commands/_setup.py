"""``%venice`` commands for models, settings, keys, backends, usage and the log."""

from __future__ import annotations

import getpass
import time
from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.ipython.commands._registry import COMMANDS, command, need, show_table
from venice_jupyter.workspace import SETTING_RULES, Workspace

SETTINGS = ("model", "base_url", "timeout", "history_turns", "history_tokens", "log",
            "updates_per_second", "cache", "batch_confirm_usd")  # fmt: skip


@command("help", "list the commands")
def _help(state: Workspace, shell: Any, args: list[str]) -> None:
    lines = [f"%venice {name:<14} {usage}" for name, (_, usage) in COMMANDS.items()]
    print("\n".join(lines) + "\n\n%%venice --help lists the cell options.")


@command("models", "the text models with capabilities (F R E S V L W X) and $ per 1M tokens")
def _models(state: Workspace, shell: Any, args: list[str]) -> None:
    from venice_jupyter.api import summary_row

    catalog = state.session().client.catalog(refresh="--refresh" in args)
    query = next((a for a in args if not a.startswith("-")), "").lower()
    rows = [summary_row(m) for m in catalog.text_models()]
    rows = [r for r in rows if query in " ".join(r.values()).lower()]
    show_table(rows, f"{len(rows)} text models from {state.backend}")


@command("use", "MODEL: the default model for this kernel")
def _use(state: Workspace, shell: Any, args: list[str]) -> None:
    need(args, 1, "one model name, e.g. `%venice use default`")
    catalog = state.session().catalog()
    name = args[0]
    if catalog is not None:
        name_id = catalog.resolve(name).id
        print(f"Using {name_id}" + (f" (from {name!r})" if name_id != name else ""))
    state.settings.model = name
    state.reset_session()


@command("set", "KEY=VALUE …: a default parameter (temperature=0.7) or setting (timeout=60)")
def _set(state: Workspace, shell: Any, args: list[str]) -> None:
    from venice_jupyter.request import ChatParams, coerce

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


@command("show", "the current backend, model, parameters and settings")
def _show(state: Workspace, shell: Any, args: list[str]) -> None:
    rows = [{"name": "backend", "value": state.backend}]
    rows += [{"name": k, "value": str(getattr(state.settings, k))} for k in SETTINGS]
    rows += [{"name": f"param {k}", "value": repr(v)} for k, v in state.params.items()]
    rows.append({"name": "conversation", "value": state.conversations.current})
    rows.append({"name": "API key", "value": "set" if state.has_key else "not set"})
    show_table(rows, "venice settings")


@command("key", "ask for the API key (hidden input; never printed or saved)")
def _key(state: Workspace, shell: Any, args: list[str]) -> None:
    if args:
        raise ParameterError(
            "%venice key", "(a key on the command line)", "no argument",
            hint="A key typed into a cell would be saved in the notebook; "
            "`%venice key` asks for it instead.",
        )  # fmt: skip
    key = getpass.getpass("Venice API key: ")
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


def _usage_row(
    name: str, turns: float, prompt: float, completion: float, usd: float
) -> dict[str, str]:
    return {
        "conversation": name,
        "turns": str(int(turns)),
        "prompt tokens": str(int(prompt)),
        "completion tokens": str(int(completion)),
        "cost": f"${usd:.6f}",
    }


@command("usage", "tokens and cost per conversation and for the session")
def _usage(state: Workspace, shell: Any, args: list[str]) -> None:
    rows = []
    total: dict[str, float] = {"turns": 0, "prompt": 0, "completion": 0, "usd": 0.0}
    for conv in state.conversations:
        prompt = sum(t.reply.usage.prompt_tokens for t in conv.turns if t.reply.usage)
        completion = sum(t.reply.usage.completion_tokens for t in conv.turns if t.reply.usage)
        usd = sum(t.reply.cost.usd for t in conv.turns if t.reply.cost)
        rows.append(_usage_row(conv.name, len(conv), prompt, completion, usd))
        for k, v in zip(total, (len(conv), prompt, completion, usd), strict=True):
            total[k] += v
    rows.append(_usage_row("(all)", *total.values()))
    show_table(rows, "usage in this kernel")


@command("log", "[TEXT]: search the persistent log of exchanges")
def _log(state: Workspace, shell: Any, args: list[str]) -> None:
    entries = state.log().search(" ".join(args), limit=20)
    rows = [
        {
            "when": time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created)),
            "status": e.status,
            "model": e.model,
            "prompt": e.prompt[:60],
            "reply": (e.reply or "")[:60],
        }
        for e in entries
    ]
    show_table(rows, f"log: {len(rows)} newest matches")
