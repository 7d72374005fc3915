"""Named conversations held in the kernel: the messages sent so far and the replies' metadata.

A user message and what answered it (tool rounds included) are recorded together as one turn,
and only when the reply completed with something to add, so a failed, interrupted or empty
reply never leaves an orphan user message or an invalid assistant message behind. Every
history it hands out is one Venice accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from venice_jupyter.reply import Reply
from venice_jupyter.request import messages

__all__ = [
    "NOT_RUN",
    "Conversation",
    "ConversationStore",
    "Turn",
    "Window",
    "answer_of",
    "estimate_tokens",
]


def estimate_tokens(message: dict[str, Any]) -> int:
    """Rough token count of a message: ~4 characters a token, images ~1k tokens each."""
    content = message.get("content")
    calls = len(str(message.get("tool_calls") or "")) // 4
    if isinstance(content, str):
        return len(content) // 4 + 4 + calls
    total = 4 + calls
    for part in content or []:
        if isinstance(part, dict):
            total += len(str(part.get("text", ""))) // 4 if part.get("type") == "text" else 1000
    return total


NOT_RUN = "The tool was not run: no Python function was given for it."


@dataclass
class Turn:
    """One prompt and what answered it: the user message, any tool rounds (``steps``: the
    assistant's calls and the tool results, in order), and the final assistant message."""

    user: dict[str, Any]
    assistant: dict[str, Any]
    reply: Reply
    model: str = ""  # the model that answered (the server's id, not the trait that was asked)
    params: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    # Results for calls in ``assistant`` that nothing ran (literal JSON tools): each says so.
    unanswered: list[dict[str, Any]] = field(default_factory=list)
    cell_id: str | None = None  # the notebook cell that asked; re-running it replaces this turn
    # The request that made it (a session.Prepared: its exact body, tools and policy), kept
    # in memory for `%venice retry`; typed Any as this layer sits below the session.
    prepared: Any = None

    def messages(self) -> list[dict[str, Any]]:
        return [self.user, *self.steps, self.assistant, *self.unanswered]


def answer_of(reply: Reply, choice: int = 0) -> dict[str, Any] | None:
    """The assistant message a reply adds to a conversation, or None when it has nothing to add
    (no text and no tool calls: say, reasoning that used up the token limit)."""
    picked = reply.choices[choice] if choice < len(reply.choices) else None
    if picked is None or not (picked.content or picked.tool_calls):
        return None
    tool_calls = [
        {
            "id": call.id or f"call_{call.index}",
            "type": call.type,
            "function": {"name": call.name, "arguments": call.arguments},
        }
        for call in picked.tool_calls
    ]
    return messages.assistant(picked.content or None, tool_calls=tool_calls or None)


@dataclass(frozen=True)
class Window:
    """The history one request sends, and what of it is left out: the oldest turns go first,
    whole (a turn's tool rounds stay with it), when ``history_turns`` or the token budget
    (about 4 characters a token) does not hold them all."""

    messages: list[dict[str, Any]]
    sent_turns: int = 0
    sent_tokens: int = 0
    dropped_turns: int = 0
    dropped_tokens: int = 0
    by_turns: int = 0  # of the dropped turns, those history_turns left out
    budget: int = 0  # the history token budget applied (0: none)


@dataclass
class Conversation:
    name: str
    system: str | None = None
    turns: list[Turn] = field(default_factory=list)

    def messages(
        self, *, max_turns: int = 0, max_tokens: int = 0, before_cell: str | None = None
    ) -> list[dict[str, Any]]:
        """The history as chat messages, newest turns kept first when a window applies.

        The system prompt is not included (the caller adds it). ``max_tokens`` is an estimate
        (about 4 characters a token) so long conversations stay inside the model's context.
        ``before_cell``: a cell being run again sees only the turns before its own.
        """
        return self.window(
            max_turns=max_turns, max_tokens=max_tokens, before_cell=before_cell
        ).messages

    def window(
        self, *, max_turns: int = 0, max_tokens: int = 0, before_cell: str | None = None
    ) -> Window:
        """``messages()`` and what it leaves out (see ``Window``)."""
        turns = self.turns
        if before_cell is not None:
            mine = self.index_of_cell(before_cell)
            if mine is not None:
                turns = turns[:mine]
        sizes = [sum(estimate_tokens(m) for m in turn.messages()) for turn in turns]
        start = max(0, len(turns) - max_turns) if max_turns > 0 else 0
        by_turns = start
        if max_tokens > 0:
            budget = max_tokens
            first = len(turns)
            while first > start and budget - sizes[first - 1] >= 0:
                first -= 1
                budget -= sizes[first]
            start = first
        kept = turns[start:]
        return Window(
            messages=[m for turn in kept for m in turn.messages()],
            sent_turns=len(kept),
            sent_tokens=sum(sizes[start:]),
            dropped_turns=start,
            dropped_tokens=sum(sizes[:start]),
            by_turns=by_turns,
            budget=max_tokens,
        )

    def index_of_cell(self, cell_id: str) -> int | None:
        for i, turn in enumerate(self.turns):
            if turn.cell_id == cell_id:
                return i
        return None

    def record(
        self,
        user: dict[str, Any],
        reply: Reply,
        *,
        model: str = "",
        params: dict[str, Any] | None = None,
        choice: int = 0,
        steps: list[dict[str, Any]] | None = None,
        cell_id: str | None = None,
        prepared: Any = None,
    ) -> Turn | None:
        """Add the turn, or replace the turn of the same cell; None (and nothing changed) when
        the reply has nothing to add. Tool calls that nothing ran get a result saying so, so
        the next request is one Venice accepts."""
        assistant = answer_of(reply, choice)
        if assistant is None:
            return None
        turn = Turn(
            user=user,
            assistant=assistant,
            reply=reply,
            model=model or reply.model or "",
            params=params or {},
            steps=list(steps or ()),
            unanswered=[messages.tool(c["id"], NOT_RUN) for c in assistant.get("tool_calls", ())],
            cell_id=cell_id,
            prepared=prepared,
        )
        mine = self.index_of_cell(cell_id) if cell_id is not None else None
        if mine is None:
            self.turns.append(turn)
        else:
            self.turns[mine] = turn
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
