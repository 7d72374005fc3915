"""``%venice`` commands for models: list them (filtered, sorted, explained) and pick one."""

from __future__ import annotations

from typing import Any

from venice_jupyter.errors import ParameterError
from venice_jupyter.ipython.commands._registry import command, need, show_table
from venice_jupyter.workspace import Workspace

SORTS = ("name", "price", "context")
USAGE = "[TEXT] [--with LETTERS|WORDS] [--sort name|price|context] [--all] [--refresh]"
# --with takes the table's letters (FV) or words for them (vision,audio).
WORDS = {"tools": "F", "functions": "F", "reasoning": "R", "effort": "E", "schema": "S",
         "json": "S", "vision": "V", "image": "V", "images": "V", "audio": "A", "video": "M",
         "logprobs": "L", "web": "W", "search": "W", "x": "X", "tee": "T"}  # fmt: skip


def _letters(value: str) -> str:
    """``FV``, ``vision,audio`` or a mix, as capability letters."""
    from venice_jupyter.api import CAPABILITY_LETTERS

    for item in value.split(","):
        known = item.lower() in WORDS or all(c in CAPABILITY_LETTERS for c in item.upper())
        if item and not known:
            words = ", ".join(sorted(set(WORDS)))
            raise ParameterError(
                "--with", item, f"capability letters ({' '.join(CAPABILITY_LETTERS)}) or words",
                hint=f"The words: {words}.",
            )  # fmt: skip
    return "".join(WORDS.get(item.lower(), item.upper()) for item in value.split(",") if item)


def legend() -> str:
    from venice_jupyter.api import CAPABILITY_LETTERS, CAPABILITY_WORDS

    letters = ", ".join(f"{k} {CAPABILITY_WORDS[v]}" for k, v in CAPABILITY_LETTERS.items())
    return (
        f"{letters}; · lacks it, ? the server does not say. Prices: $ per 1M tokens in/out; "
        "defaults: the model's own sampling defaults (its constraints); status: beta, or "
        "deprecated with the removal date and → the replacement."
    )


def _options(args: list[str]) -> tuple[str, str, str, bool, bool]:
    words, letters, sort, everything, refresh = [], "", "name", False, False
    rest = iter(args)
    for arg in rest:
        if arg == "--with":
            letters = _letters(next(rest, ""))
            if not letters:
                raise ParameterError(
                    "--with", "(nothing)", "capability letters or words, e.g. --with FV or "
                    "--with vision,audio"
                )  # fmt: skip
        elif arg == "--sort":
            sort = next(rest, "")
            if sort not in SORTS:
                raise ParameterError("--sort", sort or "(nothing)", "one of " + ", ".join(SORTS))
        elif arg == "--all":
            everything = True
        elif arg == "--refresh":
            refresh = True
        elif arg.startswith("-"):
            raise ParameterError("%venice models", arg, USAGE)
        else:
            words.append(arg.lower())
    return " ".join(words), letters, sort, everything, refresh


@command("models", f"{USAGE}: the models, with capability letters, prices and status")
def _models(state: Workspace, shell: Any, args: list[str]) -> None:
    from venice_jupyter.api import CAPABILITY_LETTERS, summary_row

    query, letters, sort, everything, refresh = _options(args)
    catalog = state.session().client.catalog(refresh=refresh)
    models = list(catalog) if everything else catalog.text_models()
    models = [m for m in models if all(m.supports(CAPABILITY_LETTERS[c]) for c in letters)]
    if sort == "price":
        models.sort(key=lambda m: m.pricing.output.usd if m.pricing else float("inf"))
    elif sort == "context":
        models.sort(key=lambda m: -(m.context_length or 0))
    rows = [summary_row(m) for m in models]
    rows = [r for r in rows if query in " ".join(r.values()).lower()]
    kind = ("model" if everything else "text model") + ("" if len(rows) == 1 else "s")
    if not rows:
        print(f"No {kind} from {state.backend} match: `%venice models` lists them all.")
        return
    show_table(rows, f"{len(rows)} {kind} from {state.backend}. {legend()}")


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
