"""``%venice cache stats|clear``: the response cache (answers reused from the exchange log)."""

from __future__ import annotations

from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.ipython.commands._registry import command, need, show_table
from venice_jupyter.workspace import Workspace

USAGE = "stats or clear, e.g. `%venice cache stats`"


@command("cache", "stats | clear: answers reused from the exchange log (no new cost)")
def _cache(state: Workspace, shell: Any, args: list[str]) -> None:
    need(args, 1, USAGE)
    cache = state.cache()
    if args[0] == "stats":
        rows = cache.stats().rows()
        rows.append({"name": "answered from it in this kernel", "value": f"{cache.hits:,}"})
        on = "on" if state.settings.cache else "off (batch() uses it; %venice set cache=on)"
        rows.append({"name": "for %%venice cells", "value": on})
        show_table(rows, "response cache")
    elif args[0] == "clear":
        forgotten = cache.clear()
        print(
            f"Forgot {forgotten:,} cached answers: the same requests will be sent again. "
            "The exchange log keeps them as history (`%venice log`)."
        )
    else:
        raise ParameterError("%venice cache", args[0], USAGE)
