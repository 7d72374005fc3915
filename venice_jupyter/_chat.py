"""``chat()`` and ``achat()``: one prompt, one reply, from any Python code.

They take the same defaults as the magics, from the current workspace: the model, the
parameters set with ``%venice set``, the key (or the offline server without one), the exchange
log. They send on the shared session path and return the ``Reply``; nothing is displayed.

    reply = chat("Why is the sky blue?", max_completion_tokens=40)
    print(reply)                                   # the answer's text
    chat("Name a city.", schema=City).parsed       # a structured answer, validated
    chat("And its river?", conversation="geo")     # a named conversation, kept and continued
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from venice_jupyter import workspace as ws
from venice_jupyter.api import ModelCatalog
from venice_jupyter.conversation import Conversation
from venice_jupyter.errors import ParameterError, SchemaMismatchError
from venice_jupyter.reply import Reply
from venice_jupyter.request import (
    Attachment,
    ChatParams,
    attach,
    parse_structured,
    response_format_for,
    to_data_url,
)
from venice_jupyter.session import Prepared, Session
from venice_jupyter.sinks import LoggedSink, QuietSink
from venice_jupyter.tools import Approver, InputApprover, ToolPolicy

__all__ = ["achat", "chat"]


def chat(
    prompt: str,
    *,
    model: str | None = None,
    conversation: Conversation | str | None = None,
    system: str | None = None,
    images: Sequence[Any] = (),
    files: Any = (),
    audio: Any = (),
    video: Any = (),
    schema: Any = None,
    tools: Any = None,
    approve: bool | None = None,
    approver: Approver | None = None,
    workspace: ws.Workspace | None = None,
    **params: Any,
) -> Reply:
    """Send ``prompt`` and return the complete ``Reply`` (``str(reply)`` is its text).

    ``conversation``: a name (created if new) or a ``Conversation``: its history is sent and
    this turn recorded; None sends the prompt alone. ``system``: a system prompt (with a
    conversation it becomes the conversation's, sent with its later turns too). ``images``:
    paths, URLs, bytes or image objects (numpy arrays too). ``files``: documents (paths, https
    URLs, a DataFrame sent as CSV, (name, bytes)); ``audio``: recordings (paths, bytes,
    IPython Audio, (array, rate)); ``video``: URLs or files. Venice's limits and the model's
    capabilities are checked before anything is sent. ``schema``: a JSON Schema dict or a
    pydantic model; the answer is then JSON and ``reply.parsed`` holds it (the model's
    instance for pydantic).
    ``tools``: Python functions (or tool specs) the model may call; they run here, round after
    round, until it answers (``max_tool_rounds=``, ``tool_timeout=`` seconds); ``approve=True``
    asks before each call (``input()``, or pass ``approver=``).
    Every other keyword is a request parameter (``temperature=0.2``, ``max_completion_tokens=
    200``, ``enable_web_search="on"``), checked before anything is sent.
    """
    home = workspace or ws.current()
    session = home.session()
    prepared = _prepare(home, session, session.catalog(), prompt, model, conversation,
                        system, images, attach(files=files, audio=audio, video=video),
                        schema, tools, approve, approver, params)  # fmt: skip
    reply = session.run(prepared, _sink(home))
    return _parsed(reply, schema)


async def achat(
    prompt: str,
    *,
    model: str | None = None,
    conversation: Conversation | str | None = None,
    system: str | None = None,
    images: Sequence[Any] = (),
    files: Any = (),
    audio: Any = (),
    video: Any = (),
    schema: Any = None,
    tools: Any = None,
    approve: bool | None = None,
    approver: Approver | None = None,
    workspace: ws.Workspace | None = None,
    **params: Any,
) -> Reply:
    """``chat()`` as a coroutine: ``reply = await achat(...)``, the same arguments."""
    home = workspace or ws.current()
    session = home.session()
    async with session.call_aclient() as client:
        catalog = await session.acatalog(client)
        prepared = _prepare(home, session, catalog, prompt, model, conversation,
                            system, images, attach(files=files, audio=audio, video=video),
                        schema, tools, approve, approver, params)  # fmt: skip
        reply = await session.arun(prepared, _sink(home), client=client)
    return _parsed(reply, schema)


def _prepare(
    home: ws.Workspace,
    session: Session,
    catalog: ModelCatalog | None,
    prompt: str,
    model: str | None,
    conversation: Conversation | str | None,
    system: str | None,
    images: Sequence[Any],
    attachments: list[Attachment],
    schema: Any,
    tools: Any,
    approve: bool | None,
    approver: Approver | None,
    params: dict[str, Any],
) -> Prepared:
    if not isinstance(prompt, str):
        raise ParameterError("prompt", prompt, "the prompt as a string")
    if not isinstance(images, (list, tuple)):
        images = [images]  # one image: a path, bytes, an array or an image object
    settings = home.settings
    policy = ToolPolicy(
        max_rounds=params.pop("max_tool_rounds", None) or settings.max_tool_rounds,
        timeout=params.pop("tool_timeout", None) or settings.tool_timeout or None,
        result_chars=settings.tool_result_chars,
        approve=settings.approve_tools if approve is None else approve,
    )
    checked = ChatParams.from_mapping(params)
    if schema is not None:
        checked = checked.set(response_format=response_format_for(schema))
    history = None
    if isinstance(conversation, str):
        history = home.conversations.get(conversation)
    elif isinstance(conversation, Conversation):
        history = conversation
    elif conversation is not None:
        raise ParameterError(
            "conversation", conversation, "a conversation name, a Conversation or None"
        )
    prepared = session.prepare(
        prompt,
        params=checked,
        model=model,
        conversation=history,
        system=system,
        images=[to_data_url(image) for image in images],
        attachments=attachments,
        catalog=catalog,
        max_turns=home.settings.history_turns,
        max_tokens=home.settings.history_tokens,
        tools=tools,
        tool_policy=policy,
        approver=approver or (InputApprover(home.tool_approvals) if policy.approve else None),
    )
    if system and history is not None:  # the conversation's from now on, as --system makes it
        history.system = system
    return prepared


def _sink(home: ws.Workspace) -> LoggedSink:
    return LoggedSink(QuietSink(), home.log(), on_warning=_warn)


def _warn(message: str) -> None:
    print(f"venice log: {message}", file=sys.stderr)


def _parsed(reply: Reply, schema: Any) -> Reply:
    if schema is not None:
        try:
            reply.parsed = parse_structured(reply.text, schema)
        except (ValueError, RecursionError) as exc:  # pydantic's ValidationError included
            err = SchemaMismatchError(
                f"The answer does not fit the schema ({exc}); the reply is in err.partial."
            )
            err.partial = reply
            raise err from None
    return reply
