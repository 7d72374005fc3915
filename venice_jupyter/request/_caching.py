"""Prompt caching: a stable ``prompt_cache_key`` per conversation and ``cache_control`` marks.

Venice routes requests that share a ``prompt_cache_key`` (a top-level string field of
``ChatCompletionRequest``, spec/API-NOTES.md §1.1) to a warm cache, so every turn of one named
conversation sends the same key. The key is a hash of the conversation's name: stable across
kernel restarts (a cache outlives them: minutes, or 24 h with ``prompt_cache_retention``), and
the name itself (which may say what the notebook is about) is not sent.

Some providers cache only where the request marks a breakpoint: a content part's
``cache_control: {"type": "ephemeral"}`` (spec: "optional cache control for prompt caching on
supported providers"; Anthropic-style, at most 4 a request). Those are the models whose pricing
has a ``cache_write`` rate (a write costs more than plain input, a read much less); models
with only ``cache_input`` cache on their own and get no marks. The marks go on the system
prompt, on the last message of the history (so the whole earlier conversation is one cached
prefix) and on a long new message (a big paste or attachment, read again next turn).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Final

__all__ = ["LONG_MESSAGE_TOKENS", "conversation_cache_key", "mark_cache_breakpoints"]

# Below this a provider does not cache anyway (Anthropic: 1024 tokens); ~4 characters a token.
LONG_MESSAGE_TOKENS: Final = 1024
_EPHEMERAL: Final = {"type": "ephemeral"}
# Roles whose content may be a list of parts carrying cache_control (tool results may not).
_MARKABLE: Final = frozenset({"system", "developer", "user", "assistant"})


def conversation_cache_key(name: str) -> str:
    """``vj-`` and 24 hex digits of the conversation name's SHA-256."""
    return "vj-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]


def _tokens(message: dict[str, Any]) -> int:
    content = message.get("content")
    if isinstance(content, str):
        return len(content) // 4
    total = 0
    for part in content or ():
        if isinstance(part, dict):
            total += len(str(part.get("text", ""))) // 4 if part.get("type") == "text" else 1000
    return total


def _mark(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``message`` whose last content part carries the mark (a string content
    becomes one text part); the stored message is left as it was."""
    content = message.get("content")
    if isinstance(content, str) and content:
        parts: list[Any] = [{"type": "text", "text": content}]
    elif isinstance(content, list) and content and isinstance(content[-1], dict):
        parts = list(content)
    else:
        return message  # no content to mark (an assistant message that only calls tools)
    parts[-1] = {**parts[-1], "cache_control": dict(_EPHEMERAL)}
    return {**message, "content": parts}


def mark_cache_breakpoints(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` (the last one the new message) with ``cache_control`` on the system prompt,
    the history's last markable message and a long new message: at most 3 marks."""
    out = list(messages)
    if not out:
        return out
    chosen: set[int] = set()
    first = out[0]
    if first.get("role") in ("system", "developer"):
        chosen.add(0)
    for i in range(len(out) - 2, -1, -1):  # the end of the history, before the new message
        if out[i].get("role") in _MARKABLE and out[i].get("content"):
            chosen.add(i)
            break
    last = len(out) - 1
    if out[last].get("role") in _MARKABLE and _tokens(out[last]) >= LONG_MESSAGE_TOKENS:
        chosen.add(last)
    for i in chosen:
        out[i] = _mark(out[i])
    return out
