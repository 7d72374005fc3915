"""The control panel: a model, the table's sliders, a prompt, Send/Stop/Retry/Clear, Copy as cell.

    panel(**kwargs) -> Panel          an ipywidgets.VBox (also ``%venice panel [MODEL]``)
    panel.ask(prompt) -> Task         validate (``Session.prepare``), then ``Session.arun`` as a
                                      task on the kernel's running loop; None if nothing was sent
    panel.stop() / retry() / clear()  await panel.wait()     panel.copy_as_cell() -> str
    panel.attach.upload               the Attach control (FileUpload): files for the next message
    panel.needs                       the model picker's capability filter

The panel sends through the same session path as ``%%venice`` and streams into an
``ipywidgets.HTML`` with ``WidgetSink``, so the kernel stays free while an answer streams.

Conversations are shared with the magic (the workspace's), but the panel keeps its own
selection: picking one in the panel does not change the magic's current conversation (``%venice
switch`` does that). A non-empty system prompt is stored in the picked conversation when a
prompt is sent, exactly like ``%%venice --system``. Retry and Copy as cell use the settings the
controls show now, so "same prompt, other temperature" is one click.
"""

from __future__ import annotations

import asyncio
import shlex
from typing import Any

import ipywidgets as w

from venice_jupyter import workspace as ws
from venice_jupyter.conversation import Turn
from venice_jupyter.errors import ConfigError, VeniceError
from venice_jupyter.render import account_text, error_html, stats_text, status_html
from venice_jupyter.reply import Reply
from venice_jupyter.request import Attachment, ChatParams, escape_placeholders, to_magic_line
from venice_jupyter.session import CAPABILITIES, Prepared
from venice_jupyter.sinks import LoggedSink, WidgetSink
from venice_jupyter.tools import Toolbox, ToolPolicy
from venice_jupyter.widgets._approval import ButtonApprover
from venice_jupyter.widgets._controls import ParamControls
from venice_jupyter.widgets._loop import current_loop, on_loop
from venice_jupyter.widgets.panel._attach import AttachBox
from venice_jupyter.widgets.panel._picker import NEEDS, ConversationPicker, model_options

__all__ = ["Panel", "panel"]

STOPPED = error_html("Stopped.")


def panel(
    model: str | None = None,
    *,
    conversation: str | None = None,
    system: str | None = None,
    prompt: str = "",
    params: ChatParams | None = None,
    updates_per_second: float | None = None,
    tools: Any = None,
    approve: bool = False,
    workspace: ws.Workspace | None = None,
) -> Panel:
    """A new control panel on the current workspace (the magics' when the extension is loaded)."""
    return Panel(
        workspace or ws.current(),
        model=model,
        conversation=conversation,
        system=system,
        prompt=prompt,
        params=params,
        updates_per_second=updates_per_second,
        tools=tools,
        approve=approve,
    )


def _box(width: str, **kwargs: object) -> w.Layout:
    return w.Layout(width=width, **kwargs)


class Panel(w.VBox):  # type: ignore[misc]
    """The panel widget; every part is an attribute (``model``, ``prompt``, ``output`` …)."""

    def __init__(
        self,
        workspace: ws.Workspace,
        *,
        model: str | None = None,
        conversation: str | None = None,
        system: str | None = None,
        prompt: str = "",
        params: ChatParams | None = None,
        updates_per_second: float | None = None,
        tools: Any = None,
        approve: bool = False,
    ) -> None:
        self.workspace = workspace
        # Functions the model may call (checked now, so a bad one fails here); each call runs
        # in the kernel, and with ``approve`` the panel asks first (Run, Skip, Always).
        self.toolbox = Toolbox.of(tools) if tools is not None else None
        self.approve = approve
        # One for the panel's life: "Always for this function" holds for its later questions.
        self._approver = ButtonApprover(self._ask, self._asked)
        self.updates_per_second = updates_per_second or workspace.settings.updates_per_second
        self.task: asyncio.Task[Reply] | None = None
        self._loop = current_loop()  # the kernel's main loop when made in a cell
        self.last_reply: Reply | None = None
        self.last_error: VeniceError | None = None
        self._sink: WidgetSink | None = None
        self._settled: asyncio.Task[Reply] | None = None
        self._last_prompt: str | None = None
        self._note: str | None = None  # what history the running request leaves out
        self._last_turn: Turn | None = None

        session = workspace.session()
        self.catalog = session.catalog()
        wanted = model or session.model
        if self.catalog is not None:
            options = model_options(self.catalog)
            wanted = self.catalog.resolve(wanted).id
        else:  # a compatible server without /models: the one model we were told about
            options = [(wanted, wanted)]
        self.picker = picker = ConversationPicker(workspace.conversations, conversation)
        wide = {"description_width": "90px"}
        self.model = w.Dropdown(options=options, value=wanted, description="Model", style=wide,
                                layout=_box("460px"))  # fmt: skip
        # Which models the picker lists: those with a capability (image input, tools …).
        self.needs = w.Dropdown(options=NEEDS, value="", description="Needs",
                                style={"description_width": "45px"}, layout=_box("210px"),
                                disabled=self.catalog is None)  # fmt: skip
        self.attach = AttachBox()  # files for the next message
        self.conversation = picker.dropdown
        self.controls = ParamControls()
        self.system = w.Textarea(value=picker.get().system or "", placeholder="System prompt",
                                 layout=_box("100%", height="4em"))  # fmt: skip
        self.prompt = w.Textarea(value=prompt, placeholder="Your message",
                                 layout=_box("100%", height="6em"))  # fmt: skip
        self.send_button = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop",
                                    disabled=True)  # fmt: skip
        self.retry_button = w.Button(description="Retry", icon="redo")
        self.clear_button = w.Button(description="Clear", icon="eraser")
        self.forget = w.Checkbox(value=False, indent=False, description="and the conversation",
                                 layout=_box("180px"))  # fmt: skip
        self.copy_button = w.Button(description="Copy as cell", icon="copy")
        self.status = w.HTML()
        self.output = w.HTML(layout=w.Layout(min_height="3em"))
        self.stats = w.HTML()
        # Not disabled: a browser will not select text in a disabled textarea. Edits are
        # harmless; each "Copy as cell" writes it afresh.
        self.cell = w.Textarea(layout=_box("100%", height="5em", display="none"))
        self.approval = w.VBox()  # the question before a tool call runs, when asked
        grid = w.GridBox(
            list(self.controls.widget.children),
            layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(460px, 1fr))"),
        )
        buttons = w.HBox([self.send_button, self.stop_button, self.retry_button,
                          self.clear_button, self.forget, self.copy_button])  # fmt: skip
        top = w.HBox([self.model, self.needs, picker.dropdown, picker.new])
        settings = w.Accordion(children=[grid], titles=("Parameters",), selected_index=0)
        super().__init__([top, settings, self.system, self.prompt, self.attach.widget, buttons,
                          self.status, self.approval, self.output, self.stats,
                          self.cell])  # fmt: skip
        self._wire()
        self._on_model()
        if params is not None:
            self.controls.set_values(params)
        if system is not None:  # else the picked conversation's own
            self.system.value = system

    def _wire(self) -> None:
        self.model.observe(lambda _c: self._on_model(), names="value")
        self.needs.observe(lambda _c: self._filter_models(), names="value")
        self.picker.on_pick = lambda conv: setattr(self.system, "value", conv.system or "")
        for button, action in [
            (self.send_button, self.ask),
            (self.stop_button, self.stop),
            (self.retry_button, self.retry),
            (self.clear_button, self.clear),
            (self.copy_button, self.copy_as_cell),
        ]:
            button.on_click(lambda _b, act=action: self._guard(act))

    def _ask(self, box: w.Widget) -> None:
        self.approval.children = [box]

    def _asked(self, box: w.Widget) -> None:
        self.approval.children = []
        box.close()

    def _say(self, text: str, kind: str = "info") -> None:
        self.status.value = status_html(text, kind)

    def _set_busy(self, busy: bool) -> None:
        """While a reply streams only Stop works (other cells still run)."""
        self.send_button.disabled = self.retry_button.disabled = busy
        self.clear_button.disabled = busy
        self.stop_button.disabled = not busy

    def _show_cell(self, text: str) -> None:
        self.cell.value = text
        self.cell.layout.display = None if text else "none"

    def _guard(self, action: Any) -> None:
        """A button's action, run on the kernel's main loop (clicks may arrive on a subshell
        thread); a VeniceError becomes the status line, not a traceback."""

        def act() -> None:
            try:
                action()
            except VeniceError as err:
                self._say(err.message, "error")

        on_loop(self._loop, act)

    def __repr__(self) -> str:
        return f"<venice Panel model={self.model.value!r} conversation={self.conversation.value!r}>"

    # -- state of the panel --------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def _filter_models(self) -> None:
        """Only models with the capability picked under Needs; the model stays if it has it."""
        if self.catalog is None:
            return
        options = model_options(self.catalog, self.needs.value)
        if not options:
            self._say(f"No model has {self.needs.label}.", "warn")
            return
        current = self.model.value
        ids = [value for _, value in options]
        self.model.options = options
        self.model.value = current if current in ids else ids[0]
        self._say("")

    def _on_model(self) -> None:
        info = self.catalog.resolve(self.model.value) if self.catalog is not None else None
        self.controls.apply_model(info, CAPABILITIES)

    def params(self) -> ChatParams:
        """What a send would use: the kernel's defaults overridden by the touched controls."""
        return self.workspace.session().params.merge(self.controls.values())

    # -- actions -------------------------------------------------------------------------
    def ask(self, prompt: str | None = None) -> asyncio.Task[Reply] | None:
        """Validate and start streaming; None (and a status message) when nothing was sent."""
        return self._send(prompt, drop_last=False)

    def retry(self) -> asyncio.Task[Reply] | None:
        """The last prompt again with the current settings, replacing its completed exchange."""
        if self._last_prompt is None:
            self._say("Nothing to retry yet.", "warn")
            return None
        return self._send(self._last_prompt, drop_last=True)

    def _send(self, prompt: str | None, *, drop_last: bool) -> asyncio.Task[Reply] | None:
        if self.busy:
            self._say("A reply is still streaming: Stop it first.", "warn")
            return None
        if prompt is not None:
            self.prompt.value = prompt
        text = self.prompt.value.strip()
        if not text:
            self._say("Write a message first.", "warn")
            return None
        loop = current_loop()
        if loop is None:
            raise ConfigError(
                "The panel sends from the kernel's event loop; call ask() in a notebook "
                "(or from a coroutine)."
            ) from None
        try:
            attachments = self.attach.last if drop_last else self.attach.attachments()
            prepared = self._prepare(text, attachments, drop_last=drop_last)
        except VeniceError as err:
            self.last_error = err
            self._say(err.message, "error")
            return None
        self._last_prompt = text
        self.attach.last = attachments
        self.attach.clear()  # they went with this message
        self.last_error = self.last_reply = None
        self._sink = sink = WidgetSink(self.output, updates_per_second=self.updates_per_second)
        self.stats.value = ""
        self.task = loop.create_task(self._run(prepared, sink))
        self.task.add_done_callback(self._settle)
        self._set_busy(True)
        # Which history is left out, said before sending and kept once the answer is in.
        self._note = prepared.context.note() if prepared.context is not None else None
        self._say(f"Streaming from {prepared.model}… {self._note or ''}".strip())
        return self.task

    def _prepare(self, text: str, attachments: list[Attachment], *, drop_last: bool) -> Prepared:
        conversation = self.picker.get()
        dropped = None
        last = conversation.turns[-1] if conversation.turns else None
        if drop_last and last is not None and last is self._last_turn:
            dropped = conversation.undo()
        system = self.system.value.strip() or None
        settings = self.workspace.settings
        try:
            prepared = self.workspace.session().prepare(
                text,
                params=self.controls.values(),
                model=self.model.value,
                conversation=conversation,
                system=system,
                attachments=attachments,
                catalog=self.catalog,
                max_turns=settings.history_turns,
                max_tokens=settings.history_tokens,
                tools=self.toolbox,
                tool_policy=ToolPolicy(
                    max_rounds=settings.max_tool_rounds,
                    timeout=settings.tool_timeout or None,
                    result_chars=settings.tool_result_chars,
                    approve=self.approve or settings.approve_tools,
                ),
                approver=self._approver,
            )
        except VeniceError:
            if dropped is not None:
                conversation.turns.append(dropped)  # nothing was sent: nothing is lost
            raise
        if system:
            conversation.system = system
        self._last_turn = None
        return prepared

    async def _run(self, prepared: Prepared, sink: WidgetSink) -> Reply:
        logged = LoggedSink(sink, self.workspace.log(), on_warning=self._warn_log)
        try:
            reply = await self.workspace.session().arun(prepared, logged)
        except VeniceError as err:  # the sink already shows it under the partial answer
            self.last_error = err
            self.last_reply = err.partial or Reply()
            return self.last_reply
        self.last_reply = reply
        conversation = prepared.conversation
        self._last_turn = conversation.turns[-1] if conversation and conversation.turns else None
        return reply

    def _warn_log(self, message: str) -> None:
        self._say(f"venice log: {message}", "warn")

    def _settle(self, task: asyncio.Task[Reply]) -> None:
        """Runs once a stream ends, however it ended (also when cancelled before starting)."""
        if task is not self.task or task is self._settled:
            return
        self._settled = task
        self._set_busy(False)
        sink = self._sink
        if task.cancelled():
            if sink is None or sink.error is None:  # stopped before the sink heard anything
                self.output.value = STOPPED
            self.last_reply = sink.reply if sink is not None and sink.reply else Reply()
            self.last_error = sink.error if sink is not None else None
            self._say("Stopped. The partial answer stays here; the conversation is unchanged.")
        elif task.exception() is not None:
            self._say(f"Unexpected error: {task.exception()!r}", "error")
        elif self.last_error is not None:
            self._say(self.last_error.message, "error")
        else:
            note = self._note
            self._say(f"⚠ {note}" if note else "", "warn" if note else "info")
        if self.last_reply is not None:
            account = account_text(self.last_reply)  # balance and rate-limit headroom
            self.stats.value = status_html(stats_text(self.last_reply)) + status_html(account)
        self.picker.refresh()

    def stop(self) -> bool:
        """Cancel the running stream (its connection closes); False when nothing runs."""
        if not self.busy:
            return False
        assert self.task is not None
        self.task.cancel()
        self._say("Stopping…")
        return True

    async def wait(self) -> Reply | None:
        """Until the running stream ends: its reply, or None when stopped (or none ran)."""
        task = self.task
        if task is None:
            return None
        await asyncio.wait([task])
        self._settle(task)  # its done callback may not have run yet; settling twice is a no-op
        return None if task.cancelled() or task.exception() else task.result()

    def clear(self, conversation: bool | None = None) -> bool:
        """Empty the output; also the conversation when ``conversation`` (or the box) is set."""
        if self.busy:
            self._say("A reply is still streaming: Stop it first.", "warn")
            return False
        forget = self.forget.value if conversation is None else conversation
        self.output.value = self.stats.value = ""
        self._show_cell("")
        if forget:
            old = self.picker.get()
            self.workspace.conversations.new(old.name).system = old.system
            self._last_turn = None
            self.forget.value = False
            self._say(f"Conversation {old.name!r} is empty.")
        else:
            self._say("")
        return True

    def copy_as_cell(self) -> str:
        """The ``%%venice`` cell that sends the prompt with exactly these settings."""
        line = to_magic_line(self.model.value, self.params(), conversation=self.conversation.value)
        system = self.system.value.strip()
        if system and "\n" not in system:
            line += f" --system {shlex.quote(system)}"
        elif system:
            # A magic line is one line: a multi-line system prompt travels in the conversation.
            self.picker.get().system = system
        prompt = self.prompt.value.strip() or self._last_prompt or ""
        text = f"{line}\n{escape_placeholders(prompt)}"
        self._show_cell(text)
        return text
