"""``%%venice`` and ``%venice``: translate a cell into a request and a reply into output.

Everything else (validation, sending, streaming, recording) happens on the shared session
path; the line magic's subcommands live in ``commands``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from venice_jupyter.errors import SchemaMismatchError, StreamCancelled, VeniceError
from venice_jupyter.ipython import _options as magic_args
from venice_jupyter.workspace import Workspace

__all__ = ["VeniceMagics"]


@magics_class
class VeniceMagics(Magics):  # type: ignore[misc]
    def __init__(self, shell: Any, state: Workspace) -> None:
        super().__init__(shell)
        self.state = state

    @magic_args.decorate
    @line_cell_magic
    def venice(self, line: str, cell: str | None = None) -> Any:
        """Chat with Venice models from a notebook.

        %%venice [options]      the cell is the message; the reply streams as Markdown.
        %%venice --compare M1,M2 / --samples K
                                columns side by side, without blocking; returns the compare
                                view. The history is sent as context; nothing is recorded.
        %venice COMMAND         everything else: models, settings, keys, conversations,
                                usage, the cache, widgets (`%venice help` lists every
                                command; this list would only go stale).
        """
        try:
            if cell is None:
                from venice_jupyter.ipython.commands import run_command

                if line.split()[:1] in (["--help"], ["-h"]):
                    print(magic_args.help_text(self.venice))
                    return None
                return run_command(self.state, self.shell, line)
            return self._cell(line, cell)
        except StreamCancelled as err:
            raise UsageError(err.message) from None
        except VeniceError as err:
            raise UsageError(err.message) from None

    def _cell(self, line: str, cell: str) -> Any:
        from venice_jupyter.ipython._cell import CellRequest

        opts = magic_args.parse_cell_line(self.venice, line)
        if opts.help:
            print(magic_args.help_text(self.venice))
            return None
        if opts.batch:
            from venice_jupyter.ipython._cell import CellRequest

            run = CellRequest(self.state, self.shell, opts, cell).run_batch()
            if opts.out:
                self.shell.user_ns[opts.out] = run  # type: ignore[union-attr]
            return run
        if opts.compare and not opts.model:
            opts = replace(opts, model=opts.compare[0])  # check the cell against a compared model
        request = CellRequest(self.state, self.shell, opts, cell)
        prepared = request.prepare()
        if opts.dry_run:
            return request.show_dry_run(prepared)
        if opts.compare or opts.samples:
            # Columns stream as tasks; the view is the cell's result. History is context only.
            # A terminal has no widgets and no running loop: the columns run in turn as text.
            from venice_jupyter.ipython._cell import is_rich_frontend
            from venice_jupyter.widgets.compare import compare_prepared

            view = compare_prepared(
                self.state, prepared, opts.compare, samples=opts.samples,
                reasoning=opts.reasoning, terminal=not is_rich_frontend(self.shell),
            )  # fmt: skip
            if opts.out:
                self.shell.user_ns[opts.out] = view  # type: ignore[union-attr]
            return view
        reply = request.send(prepared)
        if opts.json_schema or opts.format == "json":
            try:
                reply.parsed = request.parse_json(reply)  # pydantic gives its model instance
            except (ValueError, RecursionError) as exc:  # pydantic's ValidationError included
                if opts.out:
                    self.shell.user_ns[opts.out] = reply  # type: ignore[union-attr]
                where = f" The reply is in `{opts.out}`." if opts.out else ""
                raise SchemaMismatchError(
                    f"The answer is not the JSON asked for ({exc}).{where}"
                ) from None
            if opts.out:
                self.shell.user_ns[opts.out] = reply.parsed  # type: ignore[union-attr]
            return reply.parsed
        if opts.out:
            self.shell.user_ns[opts.out] = reply  # type: ignore[union-attr]
        if opts.format == "code":
            request.insert_code(reply)
        return None
