"""THE request path shared by the magic, the panel, the compare view and ``chat()``.

    prepare(prompt, params, conversation, tools) -> Prepared   validate; nothing is sent on error
    run(prepared, sink)  / arun(prepared, sink)                stream deltas into a sink
    replay(prepared, reply, sink)                              an answer the cache had
    -> the reply is recorded in the conversation only once it is complete

With runnable tools, one run is several rounds (``tools.Rounds``): each round's calls run in
the kernel, their results go back, and the turn ends with an answer that calls nothing; the
whole of it is recorded as one turn.

A sink is whatever shows the reply: a display handle, a widget, a terminal, a test list;
``log_sink.LoggedSink`` wraps any of them to write the exchange log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from venice_jupyter.api import (
    AsyncVeniceClient,
    ModelCatalog,
    ModelInfo,
    RetryPolicy,
    VeniceClient,
    cache_savings,
    deprecation_of,
    estimate_cost,
)
from venice_jupyter.context import ContextUse, history_window
from venice_jupyter.conversation import Conversation, Window, estimate_tokens
from venice_jupyter.errors import NotFoundError, ParameterError, StreamCancelled, VeniceError
from venice_jupyter.render import ToolView
from venice_jupyter.reply import Delta, Reply
from venice_jupyter.request import (
    PARAMS,
    Attachment,
    ChatParams,
    build_body,
    check_media,
    check_request,
    conversation_cache_key,
    mark_cache_breakpoints,
    messages,
    parse_model,
)
from venice_jupyter.tools import Approver, Rounds, Toolbox, ToolPolicy, arun_one, run_one

__all__ = ["Prepared", "Session", "Sink"]

CAPABILITIES = {p.name: p.capability for p in PARAMS.values() if p.capability}


@dataclass(frozen=True)
class Prepared:
    """A request that passed every local check, ready to send."""

    body: dict[str, Any]
    model: str
    user_message: dict[str, Any]
    params: ChatParams
    conversation: Conversation | None = None
    model_info: ModelInfo | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    cell_id: str | None = None  # the cell that asks: running it again replaces its turn
    toolbox: Toolbox | None = None  # the functions its tools run
    tool_policy: ToolPolicy = field(default_factory=ToolPolicy)
    approver: Approver | None = None  # asked before each call when tool_policy.approve
    context: ContextUse | None = None  # the context window: how full, what history is left out
    # What Venice would refuse (a dry run's report; a request to send never has any).
    refused: tuple[str, ...] = ()


class Sink(Protocol):
    def on_start(self, prepared: Prepared) -> None: ...

    def on_delta(self, delta: Delta, reply: Reply) -> None: ...

    def on_finish(self, reply: Reply) -> None: ...

    def on_error(self, error: VeniceError) -> None: ...

    def on_retry(self, error: VeniceError, delay: float, attempt: int) -> None:
        """An attempt failed before anything was shown; attempt number ``attempt`` follows
        in ``delay`` seconds."""

    def on_tool(self, view: ToolView) -> None:
        """A tool call changed state (waiting for approval, running, ran, failed …); the
        same call (``view.call_id``) is shown again with its new state."""


class Session:
    """Default model and parameters plus the clients; stateless apart from those."""

    def __init__(
        self,
        client: VeniceClient | None = None,
        aclient: AsyncVeniceClient | None = None,
        *,
        model: str = "default",
        params: ChatParams | None = None,
        prompt_cache: bool = True,
    ) -> None:
        self.client = client or VeniceClient()
        self._aclient = aclient
        self._aloop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Task[None] | None = None
        self.model = model
        self.params = params or ChatParams()
        # A conversation's stable prompt_cache_key and cache_control marks (request/_caching).
        self.prompt_cache = prompt_cache

    @property
    def aclient(self) -> AsyncVeniceClient:
        """The async client of the running event loop: a client's connections belong to the
        loop they were opened on, so another loop (a new ``asyncio.run``) gets a new client."""
        loop = asyncio.get_running_loop()
        if self._aclient is None or (self._aloop is not None and self._aloop is not loop):
            self._aclient = self.new_aclient()
        self._aloop = loop
        return self._aclient

    @contextlib.asynccontextmanager
    async def call_aclient(self) -> AsyncIterator[AsyncVeniceClient]:
        """An async client for one call: this session's, when it already has one on the running
        loop (a kernel), else one of the call's own, closed after it (so a one-off
        ``asyncio.run`` leaves no socket behind)."""
        if self._aclient is not None and self._aloop is asyncio.get_running_loop():
            yield self._aclient
            return
        async with self.new_aclient() as client:
            yield client

    def new_aclient(self, *, retry: RetryPolicy | None = None) -> AsyncVeniceClient:
        """An async client of the caller's own, on this session's settings (close it);
        ``retry`` replaces the session's retry policy (a batch retries rows itself)."""
        return AsyncVeniceClient(config=self.client.config, retry=retry or self.client.retry)

    def close(self) -> None:
        """Close the clients now rather than at some later garbage collection."""
        self.client.close()
        aclient, loop, self._aclient = self._aclient, self._aloop, None
        if aclient is None or aclient.is_closed:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and loop in (None, running):
            # A stream still running on this loop ends with a closed-client error it reports.
            self._closing = running.create_task(aclient.aclose())
        elif loop is not None and not loop.is_closed() and not loop.is_running():
            loop.run_until_complete(aclient.aclose())
        # A closed loop took its connections with it; a loop running in another thread is
        # left to close them itself.

    def catalog(self) -> ModelCatalog | None:
        """The model list, or None from a compatible server that has no /models."""
        try:
            return self.client.catalog()
        except NotFoundError:
            return None

    async def acatalog(self, client: AsyncVeniceClient | None = None) -> ModelCatalog | None:
        """``catalog()`` without blocking the event loop (on ``client``, else the loop's)."""
        try:
            return await (client or self.aclient).catalog()
        except NotFoundError:
            return None

    def prepare(
        self,
        prompt: str | dict[str, Any],
        *,
        params: ChatParams | Mapping[str, Any] | None = None,
        model: str | None = None,
        conversation: Conversation | None = None,
        system: str | None = None,
        images: Sequence[str] = (),
        attachments: Sequence[Attachment] = (),
        catalog: ModelCatalog | None = None,
        max_turns: int = 0,
        max_tokens: int = 0,
        cell_id: str | None = None,
        tools: Toolbox | Any = None,
        tool_policy: ToolPolicy | None = None,
        approver: Approver | None = None,
        dry_run: bool = False,
    ) -> Prepared:
        """Validate everything locally and build the exact body; raises before sending.

        ``tools``: a Toolbox, or what ``Toolbox.of`` takes (functions, specs, a list of them);
        their specs become the body's ``tools`` and the functions run when called.
        ``attachments``: files, audio and video (``request.attach``). ``dry_run``: what Venice
        or the model would refuse is listed in ``Prepared.refused`` instead of raised.
        """
        if isinstance(params, Mapping):  # a plain dict, as compare() also takes
            params = ChatParams.from_mapping(params)
        elif params is not None and not isinstance(params, ChatParams):
            raise ParameterError("params", params, "a ChatParams or a dict of parameters")
        merged = self.params.merge(params) if params is not None else self.params
        toolbox = None
        if tools is not None:
            toolbox = tools if isinstance(tools, Toolbox) else Toolbox.of(tools)
            merged = merged.set(tools=toolbox.specs)
        model = model or self.model
        _, suffix = parse_model(model)  # validates feature suffixes
        merged = _with_search_results(merged, suffix)
        if isinstance(prompt, dict):
            user = prompt
        else:
            parts = [a.part for a in attachments]
            user = messages.user(prompt, images=images, parts=parts, check=False)
        info = None
        refused: list[str] = []
        catalog = catalog if catalog is not None else self.catalog()
        if catalog is not None:
            info = catalog.resolve(model)
            if toolbox is not None and model == "default":  # nobody chose the model
                chosen = _for_tools(catalog, info)
                if chosen is not info:
                    info, model = chosen, chosen.id
            try:
                check_request(info, dict(merged.items()), CAPABILITIES, catalog=catalog)
            except ParameterError as err:
                if not dry_run:
                    raise
                refused.append(str(err))
        history: list[dict[str, Any]] = []
        if system is None and conversation is not None:  # not `if conversation`: empty is falsy
            system = conversation.system
        if system:
            history.append(messages.system(system))
        window: Window | None = None
        if conversation is not None:
            window = history_window(
                conversation,
                info.context_length if info is not None else None,
                max_turns=max_turns,
                max_tokens=max_tokens,
                before_cell=cell_id,
            )
            history.extend(window.messages)
            if self.prompt_cache and "prompt_cache_key" not in merged:
                merged = merged.set(prompt_cache_key=conversation_cache_key(conversation.name))
        sent = [*history, user]
        context = ContextUse(
            model=info.id if info is not None else model,
            conversation=conversation.name if conversation is not None else None,
            limit=info.context_length if info is not None else None,
            prompt_tokens=sum(estimate_tokens(m) for m in sent),
            window=window,
            budget_set=bool(max_tokens),
        )
        if self.prompt_cache and info is not None and info.explicit_cache:
            sent = mark_cache_breakpoints(sent)  # copies: the conversation keeps plain messages
        body = build_body(model, sent, merged, stream=True)
        refused += check_media(info, user, body, catalog=catalog, collect=dry_run)
        policy = tool_policy or ToolPolicy()
        if policy.approve and approver is None and toolbox is not None and toolbox.runnable:
            raise ParameterError(
                "approve", True, "a way to ask", hint="Pass approver= (the magic and the panel "
                "ask with buttons, a terminal with input())."
            )  # fmt: skip
        return Prepared(body, model, user, merged, conversation, info, cell_id=cell_id,
                        toolbox=toolbox, tool_policy=policy, approver=approver,
                        context=context, refused=tuple(refused))  # fmt: skip

    # The two drivers below are the only twin code: one blocks, one is a coroutine.
    def run(self, prepared: Prepared, sink: Sink) -> Reply:
        sink.on_start(prepared)
        rounds = _rounds(prepared)
        stream = None
        try:
            while True:
                stream = self.client.stream(rounds.request(), on_retry=sink.on_retry)
                for delta in stream:
                    sink.on_delta(delta, stream.reply)
                calls = rounds.calls(stream.reply)
                stream = None
                if not calls:
                    break
                for call in calls:
                    rounds.answer(run_one(call, rounds, prepared.approver, sink.on_tool))
        except VeniceError as err:
            err.partial = rounds.partial(stream.reply if stream else err.partial)
            sink.on_error(err)
            raise
        except KeyboardInterrupt:
            # The kernel's stop button: the connection is closed (the stream's generator
            # exited), the sink keeps what was shown, the conversation is unchanged.
            cancelled = self._cancelled(rounds.partial(stream.reply if stream else None))
            sink.on_error(cancelled)
            raise cancelled from None
        return self._finish(prepared, rounds, sink)

    async def arun(
        self, prepared: Prepared, sink: Sink, *, client: AsyncVeniceClient | None = None
    ) -> Reply:
        sink.on_start(prepared)
        rounds = _rounds(prepared)
        stream = None
        try:
            while True:
                stream = (client or self.aclient).stream(rounds.request(), on_retry=sink.on_retry)
                async for delta in stream:
                    sink.on_delta(delta, stream.reply)
                calls = rounds.calls(stream.reply)
                stream = None
                if not calls:
                    break
                for call in calls:
                    rounds.answer(await arun_one(call, rounds, prepared.approver, sink.on_tool))
        except VeniceError as err:
            err.partial = rounds.partial(stream.reply if stream else err.partial)
            sink.on_error(err)
            raise
        except asyncio.CancelledError:
            sink.on_error(self._cancelled(rounds.partial(stream.reply if stream else None)))
            raise
        return self._finish(prepared, rounds, sink)

    def replay(self, prepared: Prepared, reply: Reply, sink: Sink) -> Reply:
        """A whole reply that needed no request (the response cache), shown and recorded
        exactly like a streamed one."""
        sink.on_start(prepared)
        for choice in reply.choices:
            for kind, text in (("reasoning", choice.reasoning), ("content", choice.content)):
                if text:
                    sink.on_delta(Delta(choice.index, kind, text), reply)  # type: ignore[arg-type]
        rounds = _rounds(prepared)
        rounds.replies.append(reply)
        return self._finish(prepared, rounds, sink)

    @staticmethod
    def _cancelled(partial: Reply) -> StreamCancelled:
        if partial.text or partial.reasoning:
            said = "The text received so far is kept; it was not added to the conversation."
        else:
            said = "Nothing had arrived yet; the conversation is unchanged."
        err = StreamCancelled(f"Stopped. {said}")
        err.partial = partial
        return err

    def _finish(self, prepared: Prepared, rounds: Rounds, sink: Sink) -> Reply:
        reply = rounds.combined()
        info = prepared.model_info
        if info is not None and reply.usage is not None:
            if reply.cost is None:
                reply.cost = estimate_cost(reply.usage, info)
            reply.cache_savings_usd = cache_savings(reply.usage, info)
        reply.deprecation = reply.deprecation or deprecation_of(reply, info)
        if prepared.conversation is not None:
            prepared.conversation.record(
                prepared.user_message,
                reply,
                model=reply.answered_by or prepared.model,
                params=dict(prepared.params.items()),
                cell_id=prepared.cell_id,
                prepared=prepared,
                steps=rounds.steps,
            )
        sink.on_finish(reply)
        return reply


def _rounds(prepared: Prepared) -> Rounds:
    # An approver's own set, when it keeps one (ours do; one a user writes need not).
    always = getattr(prepared.approver, "always", None)
    always = always if isinstance(always, set) else set()
    return Rounds(prepared.body, prepared.toolbox or Toolbox(), prepared.tool_policy, always=always)


def _for_tools(catalog: ModelCatalog, default: ModelInfo) -> ModelInfo:
    """The model for a request with tools when the user named none: the default, unless it
    lacks function calling and Venice names another for it (its ``function_calling_default``
    trait; offline, SmolLM2 is the default and cannot call tools)."""
    if not default.lacks("supportsFunctionCalling"):
        return default
    try:
        other = catalog.resolve("function_calling_default")
    except ParameterError:
        return default
    return other if other.supports("supportsFunctionCalling") else default


def _with_search_results(params: ChatParams, suffix: Mapping[str, Any]) -> ChatParams:
    """Where web search may run, ask for its results in the stream unless the user said
    otherwise: a stream carries citations only then (spec/API-NOTES.md §2.4). A model suffix
    counts as saying so too (Venice lets it override venice_parameters)."""
    search = suffix.get("enable_web_search", params.get("enable_web_search"))
    key = "include_search_results_in_stream"
    said = key in params or key in suffix
    if search in ("on", "auto") and not said:
        return params.set(include_search_results_in_stream=True)
    return params
