"""``%venice`` commands for conversations: list, switch, undo, retry, keep, fork, export."""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

from venice_jupyter.conversation import Conversation
from venice_jupyter.errors import ParameterError
from venice_jupyter.ipython.commands._registry import command, need, show_table
from venice_jupyter.workspace import Workspace


@command("conversations", "list the conversations in this kernel")
def _conversations(state: Workspace, shell: Any, args: list[str]) -> None:
    rows = [
        {"name": c.name + (" *" if c.name == state.conversations.current else ""),
         "turns": str(len(c)), "system": (c.system or "")[:40]}
        for c in state.conversations
    ]  # fmt: skip
    show_table(rows, "conversations (* current)")


@command("switch", "NAME | --new NAME: make a conversation current (--new starts one)")
def _switch(state: Workspace, shell: Any, args: list[str]) -> None:
    create = args[:1] == ["--new"]
    names = args[1:] if create else args
    need(names, 1, "one conversation name, or --new NAME to start one")
    name, store = names[0], state.conversations
    if create and name in store:
        raise ParameterError("%venice switch --new", name, "a name no conversation has yet",
                             hint=f"`%venice switch {name}` makes it current.")  # fmt: skip
    if not create and name not in store:
        existing = [c.name for c in store]
        close = difflib.get_close_matches(name, existing, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise ParameterError(
            "%venice switch", name, "the name of a conversation: " + ", ".join(existing),
            hint=f"{hint}`%venice switch --new {name}` starts a new one.",
        )  # fmt: skip
    store.get(name)
    store.current = name
    print(f"Current conversation: {name}" + (" (new)" if create else ""))


@command("history", "[NAME]: the messages of a conversation")
def _history(state: Workspace, shell: Any, args: list[str]) -> None:
    conv = state.conversations.get(args[0] if args else None)
    if not conv.turns:
        print(f"Conversation {conv.name!r} is empty.")
        return
    from IPython.display import display

    from venice_jupyter.storage import export_markdown

    text = export_markdown(conv)
    display({"text/markdown": text, "text/plain": text}, raw=True)


@command("reset", "[NAME]: empty a conversation")
def _reset(state: Workspace, shell: Any, args: list[str]) -> None:
    conv = state.conversations.new(args[0] if args else None)
    print(f"Conversation {conv.name!r} is empty.")


def _last(state: Workspace, args: list[str]) -> Conversation:
    """The conversation ``undo`` and ``retry`` act on: the one named, else the last cell's."""
    name = args[0] if args else state.last_used
    if name is not None and name not in state.conversations:
        names = ", ".join(repr(c.name) for c in state.conversations) or "none yet"
        raise ParameterError("conversation", name, "an existing conversation",
                             hint=f"These exist: {names}.")  # fmt: skip
    return state.conversations.get(name)


@command("undo", "[NAME]: drop the last turn of the conversation the last cell used (its tool "
         "rounds too)")  # fmt: skip
def _undo(state: Workspace, shell: Any, args: list[str]) -> None:
    conv = _last(state, args)
    turn = conv.undo()
    left = f"{len(conv)} turn{'' if len(conv) == 1 else 's'} left"
    print(f"Removed the last turn of {conv.name!r} ({left})." if turn
          else f"Nothing to undo: {conv.name!r} is empty.")  # fmt: skip


@command("keep", "add the partial answer of an interrupted or failed cell to the conversation")
def _keep(state: Workspace, shell: Any, args: list[str]) -> None:
    prepared, partial = state.last_failed, state.last_partial
    if prepared is None or partial is None or not partial.text:
        raise ParameterError("%venice keep", "(no partial answer)", "a cell that was interrupted "
                             "or failed after text arrived")  # fmt: skip
    if prepared.conversation is None:
        raise ParameterError("%venice keep", "--no-history", "a cell that used a conversation")
    prepared.conversation.record(prepared.user_message, partial, model=prepared.model)
    state.last_failed = state.last_partial = None
    print(f"Kept {len(partial.text)} characters in {prepared.conversation.name!r}.")


@command("retry", "[NAME]: send the last failed prompt again, or redo the last turn of the "
         "conversation the last cell used, exactly as sent")  # fmt: skip
def _retry(state: Workspace, shell: Any, args: list[str]) -> None:
    from dataclasses import replace

    from venice_jupyter.ipython._cell import CellRequest

    prepared = state.last_failed
    # The answer is shown as it streams: returning the Reply would print its repr under it.
    if prepared is not None and not args:
        CellRequest.resend(state, shell, prepared)
        return
    conv = _last(state, args)
    turn = conv.undo()
    if turn is None:
        raise ParameterError(
            "%venice retry", conv.name, "a conversation with a turn to redo",
            hint=f"{conv.name!r} is empty and no cell failed; `%venice retry NAME` names "
            "another conversation.",
        )  # fmt: skip
    try:
        if turn.prepared is not None:  # exactly what was sent: model, options, history, tools
            prepared = replace(turn.prepared, conversation=conv)
        else:  # an imported turn: its parameters, on today's defaults
            prepared = state.session().prepare(
                turn.user, params=turn.params, conversation=conv, model=turn.model or None
            )
        CellRequest.resend(state, shell, prepared)
    except BaseException:
        conv.turns.append(turn)  # nothing new was recorded: the turn it was to replace is back
        raise


@command("fork", "NAME: copy the current conversation to NAME and switch to it")
def _fork(state: Workspace, shell: Any, args: list[str]) -> None:
    need(args, 1, "one new conversation name")
    source = state.conversations.get()
    target = state.conversations.new(args[0])
    target.system = source.system
    target.turns = copy.deepcopy(source.turns)
    state.conversations.current = args[0]
    print(f"Forked {source.name!r} ({len(target)} turns) to {args[0]!r}.")


@command("export", "PATH [NAME]: save a conversation as .json or .md")
def _export(state: Workspace, shell: Any, args: list[str]) -> None:
    from venice_jupyter.storage import save

    if len(args) not in (1, 2):
        raise ParameterError("%venice export", " ".join(args), "PATH [NAME]")
    conv = state.conversations.get(args[1] if len(args) == 2 else None)
    save(conv, Path(args[0]))
    print(f"Saved {conv.name!r} ({len(conv)} turns) to {args[0]}.")


@command("import", "PATH [NAME] [--replace]: load a conversation saved as .json")
def _import(state: Workspace, shell: Any, args: list[str]) -> None:
    from venice_jupyter.storage import load

    replace = "--replace" in args
    args = [a for a in args if a != "--replace"]
    if len(args) not in (1, 2):
        raise ParameterError("%venice import", " ".join(args), "PATH [NAME] [--replace]")
    conv = load(Path(args[0]))
    if len(args) == 2:
        conv.name = args[1]
    if conv.name in state.conversations and not replace:
        raise ParameterError(
            "%venice import", conv.name, "a name no conversation in this kernel has",
            hint=f"Give it another: `%venice import {args[0]} NEW_NAME`, or add --replace "
            "to overwrite the one here.",
        )  # fmt: skip
    state.conversations.put(conv)
    state.conversations.current = conv.name
    print(f"Loaded {conv.name!r} ({len(conv)} turns); it is now current.")
