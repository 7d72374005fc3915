"""The offline server's prompt cache: a repeated prefix under the same cache key reads cheap.

Venice routes requests with the same ``prompt_cache_key`` (or, without one, the same API user:
spec/API-NOTES.md §1.1) to a warm cache; the reply's ``usage.prompt_tokens_details`` then says
how many prompt tokens were read from it (``cached_tokens``) and, on providers that cache only
where ``cache_control`` marks a breakpoint and bill the writing (Anthropic-style, the models
with ``cache_write`` pricing), how many were written (``cache_creation_input_tokens``).

Here a prefix is whole messages: the leading messages a request shares with an earlier request
under the same key and model are read from the cache. What is written: on an automatic-caching
model, nothing is reported (OpenAI-style); on an explicit one, the messages up to the last
``cache_control`` mark that were not read.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from venice_jupyter.offline.models import tokenize
from venice_jupyter.offline.replies import message_text

__all__ = ["CacheUse", "PromptCache", "message_tokens"]

_PER_MESSAGE_TOKENS: Final = 4  # as the plan counts them (replies/_plan.py)
_MAX_PREFIXES: Final = 256  # least recently used prefixes are forgotten beyond this


def message_tokens(message: dict[str, Any]) -> int:
    return len(tokenize(message_text(message))) + _PER_MESSAGE_TOKENS


def _fingerprint(message: dict[str, Any]) -> str:
    """A message as the cache sees it: its content, not where a breakpoint was marked."""
    content = message.get("content")
    if isinstance(content, list):
        content = [
            {k: v for k, v in p.items() if k != "cache_control"} if isinstance(p, dict) else p
            for p in content
        ]
    plain = {**message, "content": content}
    return hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()


def _marked(message: dict[str, Any]) -> bool:
    content = message.get("content")
    return isinstance(content, list) and any(
        isinstance(p, dict) and p.get("cache_control") for p in content
    )


@dataclass(frozen=True)
class CacheUse:
    read: int = 0
    written: int = 0


class PromptCache:
    def __init__(self) -> None:
        # (user, key, model) -> fingerprints of the message prefixes seen (newest last)
        self._seen: OrderedDict[tuple[str, str, str], list[tuple[str, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def use(
        self,
        user: str,
        key: str | None,
        model: str,
        messages: Sequence[dict[str, Any]],
        *,
        explicit: bool,
        limit: int,
    ) -> CacheUse:
        """What this request reads from and writes to the cache (both at most ``limit``, the
        request's prompt tokens), and remember its prefix for the next one."""
        # The caller's Authorization header is hashed: the cache keeps no key.
        user = hashlib.sha256(user.encode()).hexdigest()
        prints = tuple(_fingerprint(m) for m in messages)
        tokens = [message_tokens(m) for m in messages]
        slot = (user, key or "", model)
        with self._lock:
            known = self._seen.pop(slot, [])
            shared = max((_common(prints, p) for p in known), default=0)
            # The newest user message is never a cache hit: it is what is being asked.
            shared = min(shared, max(0, len(prints) - 1))
            known = [*[p for p in known if p != prints][-7:], prints]
            self._seen[slot] = known
            while len(self._seen) > _MAX_PREFIXES:
                self._seen.popitem(last=False)
        read = min(sum(tokens[:shared]), limit)
        written = 0
        if explicit:
            last_mark = max((i + 1 for i, m in enumerate(messages) if _marked(m)), default=0)
            written = max(0, min(sum(tokens[shared:last_mark]), limit - read))
        return CacheUse(read=read, written=written)


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
