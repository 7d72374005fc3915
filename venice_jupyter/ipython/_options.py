"""``%%venice`` options: generated from the parameter table plus the magic's own options.

The parser is IPython's ``magic_arguments`` (argparse underneath); every table parameter with
``cli=True`` becomes ``--name`` (and ``--name-with-dashes``), parsed as text and validated by
``params.coerce`` so a bad value gets the table's message.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from venice_jupyter.errors import ParameterError
from venice_jupyter.request import PARAMS, ChatParams, allowed, coerce, param_flags

__all__ = ["FORMATS", "OWN", "REASONING", "CellOptions", "all_flags", "decorate", "parse_cell_line"]

FORMATS = ("markdown", "text", "code", "json")
REASONING = ("show", "hide", "off")

# The magic's own options (not request parameters): (flags, argparse keywords).
OWN: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("-m", "--model"), {"help": "Model id, trait (e.g. default) or alias, feature suffix ok."}),
    (("--system",), {"help": "System prompt for this conversation (text or a variable name)."}),
    (("-c", "--conversation"), {"metavar": "NAME", "help": "Conversation to use (created)."}),
    (("--new",), {"action": "store_true", "help": "Start the conversation afresh."}),
    (
        ("--no-history",),
        {"action": "store_true", "help": "One-off: send no history, record nothing."},
    ),
    (("--web-search",), {"choices": ("on", "off", "auto"), "help": "Venice web search."}),
    (("--citations",), {"action": "store_true", "help": "Ask for web citations (^1^)."}),
    (("--reasoning",), {"choices": REASONING, "help": "Reasoning: show (default), hide or off."}),
    (("--json-schema",), {"metavar": "VAR", "help": "A dict or pydantic model: JSON output."}),
    (("-o", "--out"), {"metavar": "VAR", "help": "Store the Reply object in this variable."}),
    (("--format",), {"choices": FORMATS, "help": "markdown (default), text, code or json."}),
    (("--image",), {"action": "append", "metavar": "PATH_OR_VAR", "help": "Attach an image."}),
    (("--dry-run",), {"action": "store_true", "help": "Show the request JSON; send nothing."}),
    (("--compare",), {"metavar": "M1,M2", "help": "Send to several models side by side."}),
    (("--samples",), {"type": int, "metavar": "K", "help": "K draws at one setting."}),
]


@dataclass
class CellOptions:
    params: ChatParams
    model: str | None = None
    system: str | None = None
    conversation: str | None = None
    new: bool = False
    no_history: bool = False
    reasoning: str = "show"
    json_schema: str | None = None
    out: str | None = None
    format: str = "markdown"
    images: list[str] = field(default_factory=list)
    dry_run: bool = False
    compare: list[str] = field(default_factory=list)
    samples: int | None = None


def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
    """Attach every option to ``func`` (its --help then lists them all)."""
    for p in reversed([p for p in PARAMS.values() if p.cli]):
        func = argument(*param_flags(p.name), dest=p.name, metavar="VALUE",
                        help=f"{p.help} ({allowed(p)})")(func)  # fmt: skip
    for flags, kwargs in reversed(OWN):
        func = argument(*flags, **kwargs)(func)
    return magic_arguments()(func)  # type: ignore[no-any-return]


def all_flags() -> list[str]:
    flags = [f for fl, _ in OWN for f in fl]
    flags += [f for p in PARAMS.values() if p.cli for f in param_flags(p.name)]
    return flags


def _unknown_option_error(message: str) -> ParameterError:
    words = [w for w in message.replace(",", " ").split() if w.startswith("-")]
    hint = ""
    if words:
        close = difflib.get_close_matches(words[0], all_flags(), n=3)
        if close:
            hint = f"Did you mean {', '.join(close)}?"
    return ParameterError(
        "option", " ".join(words) or message, "one of the options in `%%venice --help`", hint=hint
    )


def parse_cell_line(func: Callable[..., Any], line: str) -> CellOptions:
    """Parse the magic line; raise ParameterError (nothing sent) on any bad option."""
    try:
        # POSIX splitting removes quotes (IPython's own splitter keeps them in values).
        argv = shlex.split(line)
    except ValueError as exc:
        raise ParameterError("options", line, "balanced quotes", hint=str(exc)) from None
    try:
        ns = func.parser.parse_args(argv)  # type: ignore[attr-defined]
    except UsageError as exc:
        text = str(exc)
        if "unrecognized arguments" in text or "ambiguous option" in text:
            raise _unknown_option_error(text) from None
        raise ParameterError("options", line, "valid %%venice options", hint=text) from None
    values: dict[str, Any] = {}
    for p in PARAMS.values():
        raw = getattr(ns, p.name, None)
        if p.cli and raw is not None:
            values[p.name] = coerce(p.name, raw)
    if ns.web_search:
        values["enable_web_search"] = ns.web_search
    if ns.citations:
        values["enable_web_citations"] = True
    if ns.reasoning == "off":
        values.setdefault("disable_thinking", True)
    compare = [m.strip() for m in (ns.compare or "").split(",") if m.strip()]
    if ns.samples is not None and ns.samples < 1:
        raise ParameterError("--samples", ns.samples, "a whole number ≥ 1")
    return CellOptions(
        params=ChatParams.from_mapping(values),
        model=ns.model,
        system=ns.system,
        conversation=ns.conversation,
        new=ns.new,
        no_history=ns.no_history,
        reasoning=ns.reasoning or "show",
        json_schema=ns.json_schema,
        out=ns.out,
        format=ns.format or "markdown",
        images=list(ns.image or []),
        dry_run=ns.dry_run,
        compare=compare,
        samples=ns.samples,
    )
