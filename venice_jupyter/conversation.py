"""Named conversations held in the kernel: the messages sent so far and the replies' metadata.

A user turn and its reply are recorded together, and only when the reply completed, so a
failed or interrupted stream never leaves an orphan user message behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from venice_jupyter.reply import Reply
from venice_jupyter.request import messages

__all__ = ["Conversation", "ConversationStore", "Turn", "estimate_tokens"]


def estimate_tokens(message: dict[str, Any]) -> int:
    """Rough token count of a message: ~4 characters a token, images ~1k tokens each."""
    content = message.get("content")
    if isinstance(content, str):
        return len(content) // 4 + 4
    total = 4
    for part in content or []:
        if isinstance(part, dict):
            total += len(str(part.get("text", ""))) // 4 if part.get("type") == "text" else 1000
    return total


@dataclass
class Turn:
    user: dict[str, Any]
    assistant: dict[str, Any]
    reply: Reply
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Conversation:
    name: str
    system: str | None = None
    turns: list[Turn] = field(default_factory=list)

    def messages(self, *, max_turns: int = 0, max_tokens: int = 0) -> list[dict[str, Any]]:
        """The history as chat messages, newest turns kept first when a window applies.

        The system prompt is not included (the caller adds it). ``max_tokens`` is an estimate
        (about 4 characters a token) so long conversations stay inside the model's context.
        """
        turns = self.turns[-max_turns:] if max_turns > 0 else self.turns
        if max_tokens > 0:
            kept: list[Turn] = []
            budget = max_tokens
            for turn in reversed(turns):
                budget -= estimate_tokens(turn.user) + estimate_tokens(turn.assistant)
                if budget < 0:
                    break
                kept.append(turn)
            turns = kept[::-1]
        out: list[dict[str, Any]] = []
        for turn in turns:
            out.append(turn.user)
            out.append(turn.assistant)
        return out

    def record(
        self,
        user: dict[str, Any],
        reply: Reply,
        *,
        model: str = "",
        params: dict[str, Any] | None = None,
        choice: int = 0,
    ) -> Turn:
        picked = reply.choice(choice)
        tool_calls = [
            {
                "id": call.id or f"call_{call.index}",
                "type": call.type,
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in picked.tool_calls
        ]
        assistant = messages.assistant(picked.content, tool_calls=tool_calls or None)
        turn = Turn(user=user, assistant=assistant, reply=reply, model=model, params=params or {})
        self.turns.append(turn)
        return turn

    def undo(self) -> Turn | None:
        return self.turns.pop() if self.turns else None

    def __len__(self) -> int:
        return len(self.turns)


class ConversationStore:
    """Several named conversations; one of them is current."""

    def __init__(self, default: str = "default") -> None:
        self._items: dict[str, Conversation] = {}
        self.current = default

    def get(self, name: str | None = None) -> Conversation:
        name = name or self.current
        if name not in self._items:
            self._items[name] = Conversation(name)
        return self._items[name]

    def new(self, name: str | None = None) -> Conversation:
        name = name or self.current
        self._items[name] = Conversation(name)
        return self._items[name]

    def put(self, conversation: Conversation) -> None:
        self._items[conversation.name] = conversation

    def __iter__(self) -> Iterator[Conversation]:
        return iter(self._items.values())

    def __contains__(self, name: object) -> bool:
        return name in self._items
