"""How much of the model's context window a request takes, and what history it leaves out.

``Session.prepare`` sends a conversation's history newest-first into a budget: ``history_tokens``
when set, else the model's ``availableContextTokens`` less room for the answer (a quarter of the
context, at most 32k tokens), and at most ``history_turns`` turns. Token counts here are
estimates (about 4 characters a token, ~1k an image); the reply's ``usage.prompt_tokens`` is
the real count.
"""

from __future__ import annotations

from dataclasses import dataclass

from venice_jupyter.conversation import Conversation, Window
from venice_jupyter.render import gauge

__all__ = ["ContextUse", "answer_room", "history_window"]


def answer_room(context: int) -> int:
    """Tokens left for the answer when the history fills the window."""
    return min(32_768, context // 4)


def history_window(
    conversation: Conversation,
    limit: int | None,
    *,
    max_turns: int = 0,
    max_tokens: int = 0,
    before_cell: str | None = None,
) -> Window:
    """The history a request sends: ``max_tokens`` (``history_tokens``) when set, else the
    context ``limit`` less the room left for the answer."""
    if not max_tokens and limit:
        max_tokens = limit - answer_room(limit)
    return conversation.window(max_turns=max_turns, max_tokens=max_tokens, before_cell=before_cell)


def _k(n: int) -> str:
    return f"{n:,}"


@dataclass(frozen=True)
class ContextUse:
    """One request against its model's context window."""

    model: str
    conversation: str | None
    limit: int | None  # availableContextTokens; None when the server does not say
    prompt_tokens: int  # ≈ everything sent: system, history, the new message
    window: Window | None = None  # the history's window (None: no conversation)
    budget_set: bool = False  # the history budget is the history_tokens setting, not the model's

    @property
    def share(self) -> float | None:
        return self.prompt_tokens / self.limit if self.limit else None

    def meter(self) -> str:
        """``context ▮▯▯▯▯▯▯▯▯▯ ≈1,234 of 32,768 tokens (4%) on venice-offline``."""
        if not self.limit:
            return f"context ≈{_k(self.prompt_tokens)} tokens (the model's window is not known)"
        pct = 100 * self.prompt_tokens / self.limit
        return (
            f"context {gauge(self.prompt_tokens, self.limit)} ≈{_k(self.prompt_tokens)} of "
            f"{_k(self.limit)} tokens ({pct:.0f}%) on {self.model}"
        )

    def note(self) -> str | None:
        """What the history leaves out, said before sending; None when all of it goes."""
        w = self.window
        if w is None or not w.dropped_turns:
            return None
        one = w.dropped_turns == 1
        lead = "the oldest turn" if one else f"the {w.dropped_turns} oldest turns"
        name = f" of '{self.conversation}'" if self.conversation else ""
        why = []
        if w.by_turns:
            why.append(
                f"history_turns keeps the newest {w.sent_turns + w.dropped_turns - w.by_turns}"
            )
        if w.dropped_turns > w.by_turns:
            if self.budget_set or not self.limit:
                whose = "history_tokens"
            else:
                room = _k(answer_room(self.limit))
                whose = f"{self.model}'s {_k(self.limit)}-token context, less {room} for the answer"
            why.append(f"the history budget is ≈{_k(w.budget)} tokens ({whose})")
        return (
            f"History trimmed: {lead}{name} (≈{_k(w.dropped_tokens)} tokens) "
            f"{'is' if one else 'are'} not sent; {w.sent_turns} newer sent. Why: {'; '.join(why)}. "
            f"{'It stays' if one else 'They stay'} in the conversation (`%venice history`)."
        )
