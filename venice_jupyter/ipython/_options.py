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

__all__ = [
    "FORMATS",
    "OWN",
    "REASONING",
    "CellOptions",
    "all_flags",
    "decorate",
    "help_text",
    "parse_cell_line",
]

FORMATS = ("markdown", "text", "code", "json")
# Table parameters a cell may give by naming a notebook variable instead of writing JSON.
BY_NAME = frozenset({"tools"})
REASONING = ("show", "hide", "off")

# The magic's own options (not request parameters): (flags, argparse keywords).
OWN: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("-m", "--model"), {"help": "Model id, trait (e.g. default) or alias, feature suffix ok."}),
    (("--system",), {"help": "System prompt for this conversation (text or a variable name)."}),
    (
        ("-c", "--conversation"),
        {
            "metavar": "NAME",
            "help": "Conversation for this cell (created); `%venice switch NAME` makes it current.",
        },
    ),
    (("--new",), {"action": "store_true", "help": "Start the conversation afresh."}),
    (
        ("--no-history",),
        {"action": "store_true", "help": "One-off: send no history, record nothing."},
    ),
    (("--web-search",), {"choices": ("on", "off", "auto"), "help": "Venice web search."}),
    (("--citations",), {"action": "store_true", "help": "Ask for web citations (^1^)."}),
    (
        ("--reasoning",),
        {
            "choices": REASONING,
            "help": "How the model's reasoning is shown: show (default), hide, or off (also asks "
            "the model not to think). The request field `reasoning` is --reasoning-object.",
        },
    ),
    (
        ("--json-schema",),
        {
            "metavar": "VAR_OR_JSON",
            "help": "A JSON Schema (a dict variable or literal JSON) or a pydantic model: the "
            "answer is JSON, parsed into the reply (and into --out).",
        },
    ),
    (
        ("-o", "--out"),
        {
            "metavar": "VAR",
            "help": "Store the result in this variable: the parsed answer with --json-schema or "
            "--format json, else the Reply.",
        },
    ),
    (("--format",), {"choices": FORMATS, "help": "markdown (default), text, code or json."}),
    (
        ("--image",),
        {
            "action": "append",
            "metavar": "PATH_OR_VAR",
            "help": "Attach an image: a file, URL, bytes, or a variable (IPython Image, numpy "
            "array, PIL image, matplotlib figure). Repeat for more (at most 10).",
        },
    ),
    (
        ("--file",),
        {
            "action": "append",
            "metavar": "PATH_OR_VAR",
            "help": "Attach a document Venice reads as text: PDF, DOCX, PPTX, XLSX, EPUB, CSV, "
            "text or code, an https URL, a DataFrame (sent as CSV) or (name, bytes). Up to 5.",
        },
    ),
    (
        ("--audio",),
        {
            "action": "append",
            "metavar": "PATH_OR_VAR",
            "help": "Attach audio: a wav, mp3, flac, ogg, aac, aiff or m4a file or bytes, "
            "IPython Audio, or (array, rate). Needs an audio-input model. Up to 5.",
        },
    ),
    (
        ("--video",),
        {
            "action": "append",
            "metavar": "URL_OR_PATH",
            "help": "Attach a video: a public URL or an mp4, mpeg, mov or webm file. Needs a "
            "video-input model. Up to 3 per request.",
        },
    ),
    (
        ("--cache",),
        {
            "action": "store_true",
            "help": "Answer from the exchange log if this exact request was answered before "
            "(no new cost; also `%venice set cache=on`).",
        },
    ),
    (
        ("--batch",),
        {
            "metavar": "VAR",
            "help": "Send the cell once per row of VAR (a list, Series or DataFrame), the cell "
            "a template whose {column}s are filled per row ({prompt} for a list of strings); "
            "returns the batch run.",
        },
    ),
    (
        ("--approve",),
        {
            "action": "store_true",
            "help": "Ask before each tool call runs: run, skip (Enter), or always run that "
            "function for the rest of the kernel (also `%venice set approve_tools=true`).",
        },
    ),
    (
        ("--max-tool-rounds",),
        {"type": int, "metavar": "N", "help": "Most tool rounds in this turn (default 8)."},
    ),
    (
        ("--tool-timeout",),
        {"type": float, "metavar": "S", "help": "Seconds a tool function may run."},
    ),
    (
        ("--no-interpolate",),
        {
            "action": "store_true",
            "help": "Send the cell as written: no {name} filled in (also "
            "`%venice set interpolate=false`; `interpolate=strict` refuses unknown names).",
        },
    ),
    (
        ("--dry-run",),
        {
            "action": "store_true",
            "help": "Show the request JSON and what {name}s were filled in; send nothing. "
            "What Venice or the model would refuse is listed, not raised.",
        },
    ),
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
    interpolate: bool = True
    approve: bool = False
    cache: bool = False
    batch: str | None = None
    max_tool_rounds: int | None = None
    tool_timeout: float | None = None
    # Parameters whose text names a notebook variable (or is JSON), resolved by the cell.
    by_name: dict[str, str] = field(default_factory=dict)
    json_schema: str | None = None
    out: str | None = None
    format: str = "markdown"
    images: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    audio: list[str] = field(default_factory=list)
    video: list[str] = field(default_factory=list)
    dry_run: bool = False
    compare: list[str] = field(default_factory=list)
    samples: int | None = None
    help: bool = False


def _dest(name: str) -> str:
    # Table parameters get a dest of their own: `reasoning` is both a request field and an own
    # option (how reasoning is shown), and argparse would let one overwrite the other.
    return f"param_{name}"


def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
    """Attach every option to ``func`` (its --help then lists them all)."""
    # argparse %-formats help texts: a literal "%venice" must be written "%%venice" there.
    for p in reversed([p for p in PARAMS.values() if p.cli]):
        text = f"{p.help} ({allowed(p)})".replace("%", "%%")
        func = argument(*param_flags(p.name), dest=_dest(p.name), metavar="VALUE",
                        help=text)(func)  # fmt: skip
    for flags, kwargs in reversed(OWN):
        func = argument(*flags, **{**kwargs, "help": kwargs["help"].replace("%", "%%")})(func)
    return magic_arguments()(func)  # type: ignore[no-any-return]


def all_flags() -> list[str]:
    flags = [f for fl, _ in OWN for f in fl]
    flags += [f for p in PARAMS.values() if p.cli for f in param_flags(p.name)]
    return flags


def help_text(func: Callable[..., Any]) -> str:
    """What ``%%venice --help`` prints: the magic's doc, then every option with its range."""
    parser = func.parser  # type: ignore[attr-defined]
    # One parser serves the line and the cell magic, so argparse names it %venice; the
    # options are the cell's.
    text: str = parser.format_help().replace("%venice [", "%%venice [", 1)
    return text + "\n`%venice help` lists the line magic's commands (models, set, key …).\n"


def _unknown_option_error(message: str) -> ParameterError:
    words = [w for w in message.replace(",", " ").split() if w.startswith("-")]
    hint = ""
    if words:
        # 0.75: a typo (--temprature) is close; an unrelated word (--bogus ~ --out) is not.
        close = difflib.get_close_matches(words[0], all_flags(), n=3, cutoff=0.75)
        hint = f"Did you mean {', '.join(close)}?" if close else "`%%venice --help` lists them."
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
    if "-h" in argv or "--help" in argv:
        return CellOptions(params=ChatParams(), help=True)
    try:
        ns = func.parser.parse_args(argv)  # type: ignore[attr-defined]
    except UsageError as exc:
        text = str(exc)
        if "unrecognized arguments" in text or "ambiguous option" in text:
            raise _unknown_option_error(text) from None
        raise ParameterError("options", line, "valid %%venice options", hint=text) from None
    values: dict[str, Any] = {}
    by_name: dict[str, str] = {}
    for p in PARAMS.values():
        raw = getattr(ns, _dest(p.name), None)
        if p.cli and raw is not None:
            if p.name in BY_NAME:
                by_name[p.name] = raw
            else:
                values[p.name] = coerce(p.name, raw)
    if ns.web_search:
        values["enable_web_search"] = ns.web_search
    if ns.citations:
        values["enable_web_citations"] = True
    if ns.reasoning == "off":
        values.setdefault("disable_thinking", True)
    compare = [m.strip() for m in (ns.compare or "").split(",") if m.strip()]
    if ns.max_tool_rounds is not None and ns.max_tool_rounds < 1:
        raise ParameterError("--max-tool-rounds", ns.max_tool_rounds, "a whole number ≥ 1")
    if ns.tool_timeout is not None and not ns.tool_timeout > 0:
        raise ParameterError("--tool-timeout", ns.tool_timeout, "seconds > 0")
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
        interpolate=not ns.no_interpolate,
        approve=ns.approve,
        cache=ns.cache,
        batch=ns.batch,
        max_tool_rounds=ns.max_tool_rounds,
        tool_timeout=ns.tool_timeout,
        by_name=by_name,
        json_schema=ns.json_schema,
        out=ns.out,
        format=ns.format or "markdown",
        images=list(ns.image or []),
        files=list(ns.file or []),
        audio=list(ns.audio or []),
        video=list(ns.video or []),
        dry_run=ns.dry_run,
        compare=compare,
        samples=ns.samples,
    )
