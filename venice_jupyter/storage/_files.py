"""Conversations to and from files: versioned JSON both ways, Markdown as a one-way transcript.

    {"format": "venice-jupyter.conversation", "version": 1, "name": ..., "system": ...,
     "turns": [{"user": message, "steps": [messages], "assistant": message, "results": [...],
                "model": ..., "params": {...}, "usage": {...} | null, "cost": {...} | null,
                "finish_reason": ..., "created": ...}]}

``steps`` (tool rounds before the answer: the calls and their results) and ``results`` (what
answers calls in the final message that nothing ran) appear only when a turn has them.

Parameters are written without credential-like keys (``log.scrub_params``), so an export is
safe to share. Reading one back checks every field first (``_importing``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from venice_jupyter.conversation import Conversation, Turn
from venice_jupyter.errors import ConfigError, ParameterError
from venice_jupyter.reply import Reply, Usage
from venice_jupyter.storage._importing import FORMAT, VERSION, import_json
from venice_jupyter.storage._log import scrub_params

__all__ = ["FORMAT", "VERSION", "export_json", "export_markdown", "import_json", "load", "save"]

_SUFFIXES = {".json": "json", ".md": "markdown", ".markdown": "markdown"}


def export_json(conv: Conversation) -> str:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "name": conv.name,
        "system": conv.system,
        "turns": [_turn_document(turn) for turn in conv.turns],
    }
    # default=str: a parameter JSON cannot hold is written as its text rather than lost.
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def _turn_document(turn: Turn) -> dict[str, Any]:
    reply = turn.reply
    rounds: dict[str, Any] = {}
    if turn.steps:  # tool rounds before the answer: the calls and their results, in order
        rounds["steps"] = turn.steps
    if turn.unanswered:  # results for calls in the answer that nothing ran
        rounds["results"] = turn.unanswered
    return {
        "user": turn.user,
        **rounds,
        "assistant": turn.assistant,
        "model": turn.model,
        "params": scrub_params(turn.params),
        "usage": asdict(reply.usage) if reply.usage else None,
        "cost": asdict(reply.cost) if reply.cost else None,
        "finish_reason": reply.finish_reason,
        "created": reply.created,
    }


def export_markdown(conv: Conversation) -> str:
    out = [f"# {conv.name}", ""]
    if conv.system:
        out += ["> **System:** " + conv.system.replace("\n", "\n> "), ""]
    for turn in conv.turns:
        out += ["## You", "", _user_markdown(turn.user.get("content")), ""]
        out += [f"## Assistant ({turn.model})" if turn.model else "## Assistant", ""]
        for message in [*turn.steps, turn.assistant, *turn.unanswered]:
            out += [_assistant_markdown(message), ""]
        footer = _usage_line(turn.reply)
        if footer:
            out += [footer, ""]
    return "\n".join(out)


def _user_markdown(content: Any) -> str:
    if isinstance(content, str):
        return content
    pieces = []
    for part in content if isinstance(content, list) else []:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            pieces.append(str(part.get("text", "")))
        elif kind == "image_url":
            image = part.get("image_url")
            url = str(image.get("url", "")) if isinstance(image, dict) else ""
            # A data URL would put megabytes of base64 into a transcript meant for reading.
            is_data = url.startswith("data:")
            pieces.append(f"*[image: {url[5 : url.find(';')]}]*" if is_data else f"![image]({url})")
        elif kind in ("input_audio", "video_url", "file"):
            pieces.append(f"*[{_attachment_note(kind, part.get(kind))}]*")
    return "\n\n".join(pieces)


def _attachment_note(kind: str, body: Any) -> str:
    """``audio: wav``, ``video: https://…``, ``file: report.pdf``: what was attached, never
    its base64 (a transcript is for reading)."""
    body = body if isinstance(body, dict) else {}
    if kind == "input_audio":
        return f"audio: {body.get('format') or 'wav'}"
    if kind == "file":
        return f"file: {body.get('filename') or 'document'}"
    url = str(body.get("url", ""))
    return f"video: {url[5 : url.find(';')]}" if url.startswith("data:") else f"video: {url}"


def _fenced(text: str, lang: str = "") -> str:
    # A fence longer than any backtick run inside, so the text cannot close it early.
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall("`+", text))])
    return f"{fence}{lang}\n{text}\n{fence}"


def _assistant_markdown(message: dict[str, Any]) -> str:
    if message.get("role") == "tool":
        return f"**Tool result** ({message.get('tool_call_id', '')})\n\n" + _fenced(
            str(message.get("content", ""))
        )
    pieces = [message["content"]] if message.get("content") else []
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        arguments = str(function.get("arguments", ""))
        pieces.append(
            f"**Tool call** `{function.get('name', '')}`\n\n" + _fenced(arguments, "json")
        )
    return "\n\n".join(pieces)


def _usage_line(reply: Reply) -> str:
    usage = reply.usage or Usage()
    tokens = f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens"
    parts = [tokens] if reply.usage else []
    if reply.cost and reply.cost.usd:
        parts.append(f"${reply.cost.usd:.6f}".rstrip("0").rstrip("."))
    if reply.finish_reason and reply.finish_reason != "stop":
        parts.append(f"finish: {reply.finish_reason}")
    return f"*{' · '.join(parts)}*" if parts else ""


# -- files --------------------------------------------------------------------------------


def _kind(path: Path) -> str:
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ParameterError("path", str(path), "a file name ending in .json or .md")
    return kind


def save(conv: Conversation, path: str | os.PathLike[str]) -> Path:
    """Write ``conv`` as JSON or Markdown, chosen by the suffix; the file is replaced whole."""
    target = Path(path).expanduser()
    text = export_json(conv) if _kind(target) == "json" else export_markdown(conv)
    tmp = None
    try:
        # A temporary file then a rename: a crash mid-write never leaves half a conversation.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        # Name the user's path and the reason, not the temporary file's name.
        reason = exc.strerror or str(exc)
        if not target.parent.is_dir():
            reason = f"the folder {target.parent} does not exist"
        raise ConfigError(f"Cannot save the conversation to {target}: {reason}.") from None
    return target


def load(path: str | os.PathLike[str]) -> Conversation:
    source = Path(path).expanduser()
    if _kind(source) == "markdown":
        raise ParameterError(
            "path",
            str(source),
            "a .json file",
            hint="Markdown exports are one-way transcripts and cannot be imported; "
            "save with a .json name to import the conversation later.",
        )
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"There is no file {source.absolute()} (the current directory is {Path.cwd()})."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Cannot read the conversation from {source}: {exc}. Expected a UTF-8 .json file "
            "saved by `%venice export`."
        ) from None
    try:
        return import_json(text)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc.message}") from None
