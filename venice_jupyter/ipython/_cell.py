"""One ``%%venice`` cell: its options and text -> a prepared request -> a logged sink."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from IPython.display import display

from venice_jupyter.errors import ParameterError, StreamCancelled, VeniceError
from venice_jupyter.ipython._options import CellOptions
from venice_jupyter.reply import Reply
from venice_jupyter.request import interpolate, to_data_url
from venice_jupyter.session import Prepared, Sink
from venice_jupyter.sinks import LoggedSink
from venice_jupyter.workspace import Workspace

__all__ = ["CellRequest", "is_rich_frontend"]

MAX_CELL_CHARS = 2_000_000
CODE_BLOCK = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)


def is_rich_frontend(shell: Any) -> bool:
    """A kernel front end renders display updates in place; a terminal prints each one."""
    return type(shell).__name__ == "ZMQInteractiveShell"


def response_format_for(schema: Any, name: str) -> dict[str, Any]:
    """A dict JSON Schema or a pydantic model class -> Venice's response_format."""
    if hasattr(schema, "model_json_schema"):
        schema = schema.model_json_schema()
    if not isinstance(schema, dict):
        raise ParameterError(
            "--json-schema", name, "the name of a dict (a JSON Schema) or a pydantic model"
        )
    return {
        "type": "json_schema",
        "json_schema": {"name": re.sub(r"\W", "_", name)[:64], "strict": True, "schema": schema},
    }


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

    def _lookup(self, name: str, option: str) -> Any:
        ns = self.shell.user_ns
        if name not in ns:
            raise ParameterError(option, name, "the name of a variable in the notebook")
        return ns[name]

    def prepare(self) -> Prepared:
        opts, state = self.opts, self.state
        assert isinstance(self.cell, str)
        if len(self.cell) > MAX_CELL_CHARS:
            raise ParameterError(
                "cell", f"{len(self.cell):,} characters", f"at most {MAX_CELL_CHARS:,} characters"
            )
        text = interpolate(self.cell, self.shell.user_ns).strip()
        if not text:
            raise ParameterError(
                "cell", "", "a message: write the prompt below the %%venice line", hint=""
            )
        params = opts.params
        if opts.json_schema:
            self.schema = self._lookup(opts.json_schema, "--json-schema")
            params = params.set(response_format=response_format_for(self.schema, opts.json_schema))
        images = [to_data_url(i, self.shell.user_ns) for i in opts.images]
        system = opts.system
        if system and system.isidentifier() and system in self.shell.user_ns:
            system = str(self.shell.user_ns[system])
        conversation = None
        if not opts.no_history:
            store = state.conversations
            conversation = (
                store.new(opts.conversation) if opts.new else store.get(opts.conversation)
            )
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
            max_turns=state.settings.history_turns,
            max_tokens=state.settings.history_tokens,
        )

    def show_dry_run(self, prepared: Prepared) -> None:
        body = json.dumps(prepared.body, indent=2, ensure_ascii=False)
        body = self.state.session().client.config.redact(body)
        url = self.state.session().client.config.url("chat/completions")
        headers = (
            "Authorization: Bearer ********" if self.state.session().client.config.has_key else ""
        )
        text = f"POST {url}\n{headers}\n\n{body}".replace("\n\n\n", "\n\n")
        display({"text/plain": text, "application/json": prepared.body}, raw=True)

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

    def send(self, prepared: Prepared) -> Reply:
        state = self.state
        state.last_failed = None
        sink = LoggedSink(self._sink(), state.log(), on_warning=_warn_log)
        try:
            return state.session().run(prepared, sink)
        except StreamCancelled as err:
            self._failed(prepared, err.partial)
            raise StreamCancelled(
                "Interrupted. The partial answer stays visible; `%venice keep` adds it to the "
                "conversation, `%venice retry` asks again."
            ) from None
        except VeniceError as err:
            self._failed(prepared, err.partial)
            raise

    def _failed(self, prepared: Prepared, partial: Reply | None) -> None:
        # What `%venice retry` and `%venice keep` act on.
        self.state.last_failed = prepared
        self.state.last_partial = partial

    @classmethod
    def resend(cls, state: Workspace, shell: Any, prepared: Prepared) -> None:
        """Send an already prepared request again (``%venice retry``)."""
        from venice_jupyter.ipython._options import CellOptions

        request = cls(state, shell, CellOptions(params=prepared.params), prepared.user_message)
        request.send(prepared)

    def parse_json(self, reply: Reply) -> Any:
        if self.schema is not None and hasattr(self.schema, "model_validate_json"):
            return self.schema.model_validate_json(reply.text)
        return json.loads(reply.text)

    def insert_code(self, reply: Reply) -> None:
        blocks = CODE_BLOCK.findall(reply.text)
        code = "\n\n".join(b.rstrip() for b in blocks) if blocks else reply.text
        self.shell.set_next_input(code, replace=False)
