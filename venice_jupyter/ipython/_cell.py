"""One ``%%venice`` cell: its options and text -> a prepared request -> a logged sink."""

from __future__ import annotations

import json
import re
import sys
from html import escape
from typing import Any

from IPython.display import display

from venice_jupyter.errors import ParameterError, StreamCancelled, VeniceError
from venice_jupyter.ipython._options import CellOptions
from venice_jupyter.reply import Reply
from venice_jupyter.request import (
    Filled,
    attach,
    fill,
    parse_structured,
    response_format_for,
    schema_name,
    to_data_url,
)
from venice_jupyter.session import Prepared, Sink
from venice_jupyter.sinks import LoggedSink
from venice_jupyter.tools import Approver, InputApprover, ToolPolicy, from_text
from venice_jupyter.workspace import Workspace

__all__ = ["CellRequest", "is_rich_frontend", "value_of"]

MAX_CELL_CHARS = 2_000_000
SHOWN_DATA_CHARS = 120  # a dry run shows this much of an attachment's base64 data
CODE_BLOCK = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)


def is_rich_frontend(shell: Any) -> bool:
    """A kernel front end renders display updates in place; a terminal prints each one."""
    return type(shell).__name__ == "ZMQInteractiveShell"


def value_of(text: str, namespace: dict[str, Any], option: str, what: str) -> Any:
    """An option that takes a variable or literal JSON: the variable's value, or the JSON."""
    stripped = text.strip()
    if stripped.isidentifier():
        if stripped not in namespace:
            raise ParameterError(
                option, text, f"the name of a variable holding {what}, or literal JSON",
                hint="No variable by that name exists in the notebook.",
            )  # fmt: skip
        return namespace[stripped]
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError) as exc:
        raise ParameterError(
            option, text, f"the name of a variable holding {what}, or literal JSON",
            hint=f"It is not valid JSON ({exc}).",
        ) from None  # fmt: skip


def _short_data(value: Any, key: str = "") -> Any:
    """The body with attachments' base64 cut (a dry run shows their start and length); text,
    however long, is shown whole."""
    if isinstance(value, dict):
        return {k: _short_data(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_short_data(v) for v in value]
    data = key == "data" or (isinstance(value, str) and value.startswith("data:"))
    if data and isinstance(value, str) and len(value) > SHOWN_DATA_CHARS:
        return f"{value[:SHOWN_DATA_CHARS]}… ({len(value):,} characters)"
    return value


def _warn_log(message: str) -> None:
    print(f"venice log: {message}", file=sys.stderr)


class CellRequest:
    def __init__(
        self, state: Workspace, shell: Any, opts: CellOptions, cell: str | dict[str, Any]
    ) -> None:
        self.state = state
        self.shell = shell
        self.opts = opts
        self.cell = cell
        self.schema: Any = None
        self.filled: Filled | None = None

    def _text(self, cell: str) -> str:
        setting = self.state.settings.interpolate
        if not self.opts.interpolate or setting == "false":
            return cell
        self.filled = fill(cell, self.shell.user_ns, strict=setting == "strict")
        return self.filled.text

    def prepare(self) -> Prepared:
        opts, state = self.opts, self.state
        assert isinstance(self.cell, str)
        if len(self.cell) > MAX_CELL_CHARS:
            raise ParameterError(
                "cell", f"{len(self.cell):,} characters", f"at most {MAX_CELL_CHARS:,} characters"
            )
        text = self._text(self.cell).strip()
        if not text:
            raise ParameterError(
                "cell", "", "a message: write the prompt below the %%venice line", hint=""
            )
        params = opts.params
        toolbox = (
            from_text(opts.by_name["tools"], self.shell.user_ns)
            if "tools" in opts.by_name
            else None
        )
        if opts.json_schema:
            self.schema = value_of(
                opts.json_schema, self.shell.user_ns, "--json-schema",
                "a JSON Schema dict or a pydantic model",
            )  # fmt: skip
            named = opts.json_schema.isidentifier()
            name = opts.json_schema if named else schema_name(self.schema)
            params = params.set(
                response_format=response_format_for(self.schema, "--json-schema", name=name)
            )
        elif opts.format == "json" and "response_format" not in params:
            params = params.set(response_format={"type": "json_object"})  # ask, don't hope
        images = [to_data_url(i, self.shell.user_ns) for i in opts.images]
        attachments = attach(
            files=opts.files, audio=opts.audio, video=opts.video, namespace=self.shell.user_ns
        )
        system = opts.system
        if system and system.isidentifier() and system in self.shell.user_ns:
            system = str(self.shell.user_ns[system])
        conversation = None
        if not opts.no_history:
            store = state.conversations
            conversation = (
                store.new(opts.conversation) if opts.new else store.get(opts.conversation)
            )
            # `%venice undo` and `retry` act on the conversation the last cell used, so that
            # after a `-c NAME` cell they undo that cell, not a turn of the current one.
            state.last_used = conversation.name
            if system:
                conversation.system = system
        session = state.session()
        return session.prepare(
            text,
            params=params,
            model=opts.model,
            conversation=conversation,
            system=system,
            images=images,
            attachments=attachments,
            max_turns=state.settings.history_turns,
            max_tokens=state.settings.history_tokens,
            cell_id=None if opts.no_history else state.cell_id,
            tools=toolbox,
            tool_policy=self._tool_policy(),
            approver=self._approver(),
            dry_run=opts.dry_run,
        )

    def _tool_policy(self) -> ToolPolicy:
        settings, opts = self.state.settings, self.opts
        timeout = opts.tool_timeout or settings.tool_timeout or None
        return ToolPolicy(
            max_rounds=opts.max_tool_rounds or settings.max_tool_rounds,
            timeout=timeout,
            result_chars=settings.tool_result_chars,
            approve=opts.approve or settings.approve_tools,
        )

    def _approver(self) -> Approver:
        # The input box under the cell, or a terminal's prompt; "always" lasts the kernel.
        return InputApprover(self.state.tool_approvals)

    def show_dry_run(self, prepared: Prepared) -> None:
        config = self.state.session().client.config
        shown = _short_data(prepared.body)
        body = config.redact(json.dumps(shown, indent=2, ensure_ascii=False))
        headers = "Authorization: Bearer ********" if config.has_key else ""
        filled = self.filled.report() if self.filled is not None else "{name} filling is off"
        context = prepared.context
        if context is not None:
            filled += "\n" + "\n".join(filter(None, [context.meter(), context.note()]))
        text = f"POST {config.url('chat/completions')}\n{headers}\n\n{body}\n\n{filled}"
        if prepared.refused:
            refusals = "\n".join(f"- {r}" for r in prepared.refused)
            text += f"\n\nVenice would refuse this request (nothing was sent):\n{refusals}"
        display({"text/plain": text.replace("\n\n\n", "\n\n"), "application/json": prepared.body},
                raw=True)  # fmt: skip

    def _sink(self) -> Sink:
        if is_rich_frontend(self.shell):
            from venice_jupyter.sinks import NotebookSink

            return NotebookSink(
                reasoning=self.opts.reasoning,
                updates_per_second=self.state.settings.updates_per_second,
                fmt="text" if self.opts.format == "text" else "markdown",
            )
        from venice_jupyter.sinks import TerminalSink

        return TerminalSink(reasoning=self.opts.reasoning)

    def show_context_note(self, prepared: Prepared) -> None:
        """Before sending: say which history the request leaves out, if any."""
        note = prepared.context.note() if prepared.context is not None else None
        if note:
            html = f'<div class="venice-context-note" style="color:#b45309">⚠ {escape(note)}</div>'
            display({"text/plain": f"⚠ {note}", "text/html": html}, raw=True)

    def send(self, prepared: Prepared) -> Reply:
        state = self.state
        state.last_failed = None
        self.show_context_note(prepared)
        shown = self._sink()
        if self.opts.cache or state.settings.cache:
            # A cached answer is no new exchange: shown and recorded, not logged or spent.
            cached = state.cache().answer(state.session(), prepared, shown)
            if cached is not None:
                return cached
        sink = LoggedSink(shown, state.log(), on_warning=_warn_log, ledger=state.ledger)
        try:
            return state.session().run(prepared, sink)
        except StreamCancelled as err:
            self._failed(prepared, err.partial)
            partial = err.partial
            if partial is not None and (partial.text or partial.reasoning):
                said = (
                    "Interrupted. The partial answer stays visible; `%venice keep` adds it to "
                    "the conversation, `%venice retry` asks again."
                )
            else:
                said = (
                    "Interrupted before any text arrived; the conversation is unchanged. "
                    "`%venice retry` asks again."
                )
            raise StreamCancelled(said) from None
        except VeniceError as err:
            self._failed(prepared, err.partial)
            raise

    def _failed(self, prepared: Prepared, partial: Reply | None) -> None:
        # What `%venice retry` and `%venice keep` act on.
        self.state.last_failed = prepared
        self.state.last_partial = partial

    @classmethod
    def resend(cls, state: Workspace, shell: Any, prepared: Prepared) -> Reply:
        """Send an already prepared request again, exactly (``%venice retry``)."""
        request = cls(state, shell, CellOptions(params=prepared.params), prepared.user_message)
        return request.send(prepared)

    def run_batch(self) -> Any:
        """``--batch VAR``: the cell is the template, its {column}s are the rows' (not the
        notebook's variables), every row goes through ``batch``."""
        from venice_jupyter.batching import batch

        opts = self.opts
        assert isinstance(self.cell, str) and opts.batch is not None
        if opts.batch not in self.shell.user_ns:
            raise ParameterError(
                "--batch", opts.batch, "the name of a list, Series or DataFrame",
                hint="No variable by that name exists in the notebook.",
            )  # fmt: skip
        schema = None
        if opts.json_schema:
            schema = value_of(opts.json_schema, self.shell.user_ns, "--json-schema",
                              "a JSON Schema dict or a pydantic model")  # fmt: skip
        return batch(
            self.shell.user_ns[opts.batch], template=self.cell.strip(), model=opts.model,
            system=opts.system, schema=schema, dry_run=opts.dry_run, workspace=self.state,
            **dict(opts.params.items()),
        )  # fmt: skip

    def parse_json(self, reply: Reply) -> Any:
        return parse_structured(reply.text, self.schema)

    def insert_code(self, reply: Reply) -> None:
        blocks = CODE_BLOCK.findall(reply.text)
        code = "\n\n".join(b.rstrip() for b in blocks) if blocks else reply.text
        self.shell.set_next_input(code, replace=False)
