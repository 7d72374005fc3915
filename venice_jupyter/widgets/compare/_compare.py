"""The compare view: one prompt, several columns streaming side by side.

    view = compare("Explain tides.", ["venice-offline", "venice-offline-small"])
    view = compare(prompt, settings=[{"temperature": 0.2}, {"temperature": 1.2}])
    view = compare(prompt, samples=4)                    # 4 draws at one setting
    view = compare(prompt, grid={"temperature": [0.2, 1.4], "top_p": [0.5, 0.9]})
    results = await view.wait()                          # [CompareResult], in column order
    view.table()  /  view.to_dataframe()                 # plain dicts / pandas (optional)

Every column is prepared with ``Session.prepare`` before anything is sent (one invalid column
and nothing goes out), then streamed with ``Session.arun`` into its own ``WidgetSink``, as asyncio
tasks on the kernel's running loop: the cell returns at once and the Stop button keeps working.
At most ``concurrency`` streams run at a time, and new ones wait while the rate-limit headers
say the request budget is spent (``api.RateGate``).

A conversation is used as context only: every column sees its history, none is recorded into it
(N alternative answers to one question are not one turn).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from venice_jupyter import workspace as ws
from venice_jupyter.conversation import Conversation
from venice_jupyter.errors import ParameterError
from venice_jupyter.request import Attachment, ChatParams, attach, to_data_url
from venice_jupyter.session import Prepared, Session
from venice_jupyter.tools import Toolbox
from venice_jupyter.widgets.compare._plan import CompareResult, grid_width, plan_columns
from venice_jupyter.widgets.compare._terminal import CompareTable, run_in_terminal
from venice_jupyter.widgets.compare._view import CompareView

__all__ = ["CompareResult", "CompareView", "compare", "compare_prepared"]


def compare(
    prompt: str | dict[str, Any],
    models: Sequence[str] | str | None = None,
    *,
    settings: Sequence[Mapping[str, Any]] | None = None,
    samples: int | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    conversation: Conversation | str | None = None,
    concurrency: int = 4,
    params: ChatParams | Mapping[str, Any] | None = None,
    system: str | None = None,
    images: Sequence[Any] = (),
    files: Any = (),
    audio: Any = (),
    video: Any = (),
    tools: Any = None,
    session: Session | None = None,
    workspace: ws.Workspace | None = None,
) -> CompareView:
    """Send ``prompt`` to several columns at once and show them side by side.

    ``models`` (a list, or "a,b,c") × at most one of ``settings`` (a list of parameter dicts),
    ``samples`` (K draws; consecutive seeds if a seed is set, else unseeded) or ``grid`` (a dict
    of value lists: every combination, shown as a compact grid). ``params`` apply to every
    column; ``tools`` (functions or specs) run in every column that calls them. ``images``,
    ``files``, ``audio``, ``video``: attachments, as ``chat()`` takes them (every column's
    model is checked for the capability before anything is sent).
    ``conversation`` (a Conversation or its name) is sent as context and never
    recorded. Every column is validated first: if one is invalid, this raises and sends nothing.
    Needs a running event loop (a Jupyter kernel). It runs on the current workspace (the
    magics' once the extension is loaded); ``session`` sends on another session instead.
    """
    state = workspace or ws.current()
    session = session or state.session()
    history = conversation if isinstance(conversation, Conversation) else None
    if isinstance(conversation, str):
        history = state.conversations.get(conversation)
    view = _launch(
        state,
        session,
        prompt,
        models,
        settings=settings,
        samples=samples,
        grid=grid,
        conversation=history,
        concurrency=concurrency,
        params=params,
        system=system,
        images=[
            to_data_url(i) for i in (images if isinstance(images, (list, tuple)) else [images])
        ],
        attachments=attach(files=files, audio=audio, video=video),
        tools=Toolbox.of(tools) if tools is not None else None,
    )
    assert isinstance(view, CompareView)  # the terminal form is only the magic's
    return view


def compare_prepared(
    state: ws.Workspace,
    base: Prepared,
    models: Sequence[str] = (),
    *,
    samples: int | None = None,
    reasoning: str = "show",
    terminal: bool = False,
) -> CompareView | CompareTable:
    """``%%venice --compare`` / ``--samples``: the cell's request, re-prepared per column.

    Same user message (text and attachments), system prompt, history (context only, not recorded)
    and parameters as the cell; only the model (and the seed for samples) changes.
    """
    content = base.user_message.get("content")
    images = [
        part["image_url"]["url"]
        for part in (content if isinstance(content, list) else [])
        if isinstance(part, dict) and part.get("type") == "image_url"
    ]
    system = None
    messages = base.body.get("messages", [])
    if base.conversation is None and len(messages) > 1 and messages[0].get("role") == "system":
        system = messages[0].get("content")
    return _launch(
        state,
        state.session(),
        base.user_message,
        list(models) or [base.model],
        samples=samples,
        conversation=base.conversation,
        params=base.params,
        system=system,
        images=images,
        reasoning=reasoning,
        terminal=terminal,
        tools=base.toolbox,
    )


def _launch(
    state: ws.Workspace,
    session: Session,
    prompt: str | dict[str, Any],
    models: Sequence[str] | str | None,
    *,
    settings: Sequence[Mapping[str, Any]] | None = None,
    samples: int | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    conversation: Conversation | None = None,
    concurrency: int = 4,
    params: ChatParams | Mapping[str, Any] | None = None,
    system: str | None = None,
    images: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    reasoning: str = "show",
    terminal: bool = False,
    tools: Toolbox | None = None,
) -> CompareView | CompareTable:
    """Every column prepared (one invalid column and nothing is sent), then started as the
    widget, or run one after another in a terminal."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ParameterError("concurrency", concurrency, "a whole number ≥ 1")
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    base = params if isinstance(params, ChatParams) else ChatParams.from_mapping(params or {})
    seed = session.params.merge(base).get("seed")
    columns = plan_columns(
        list(models) if models else [session.model],
        settings=settings,
        samples=samples,
        grid=grid,
        seed=seed,
    )
    catalog = session.catalog()
    turns, tokens = state.settings.history_turns, state.settings.history_tokens
    prepared = []
    for column in columns:  # all of them first: one invalid column and nothing is sent
        p = session.prepare(
            prompt,
            params=base.set(**column.overrides),
            model=column.model,
            conversation=conversation,
            system=system,
            images=images,
            attachments=attachments,
            catalog=catalog,
            max_turns=turns,
            max_tokens=tokens,
            tools=tools,
        )
        # The history is in the body; without the conversation, arun records nothing.
        prepared.append((column, replace(p, conversation=None)))
    if terminal:
        return run_in_terminal(state, session, prepared, reasoning=reasoning)
    view = CompareView(
        session,
        prepared,
        concurrency=concurrency,
        grid_columns=grid_width(grid),
        updates_per_second=state.settings.updates_per_second,
        reasoning=reasoning,
        log=state.log(),
    )
    return view.start()
