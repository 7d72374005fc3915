"""Events -> the JSON Venice sends: ``chat.completion.chunk`` objects and the final body.

JSON is written with ``ensure_ascii=False``, as a Node server does: non-ASCII text (and U+2028 /
U+2029) reaches the client raw in UTF-8. Content chunks are the hot path, so their JSON is a
pre-rendered prefix plus the encoded text.

Logprobs: the spec documents ``choices[].logprobs`` as one ``{token, logprob, bytes,
top_logprobs}`` object, OpenAI SDKs read ``{"content": [entries]}``. Each logprobs object carries
both: the entry fields of its first token, and ``content`` with every token it covers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from venice_jupyter.offline.replies import (
    AnyCompletion,
    Event,
    Finish,
    LogprobEntry,
    TextDelta,
    ToolCallDelta,
)

__all__ = ["ChoiceCollector", "ChunkRenderer", "completion_body", "logprobs_object"]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def logprobs_object(entries: Sequence[LogprobEntry]) -> dict[str, Any] | None:
    if not entries:
        return None
    return {**entries[0], "content": list(entries)}


class ChunkRenderer:
    """Renders one completion's stream chunks (each a JSON string without ``data: ``)."""

    def __init__(self, completion: AnyCompletion) -> None:
        self.completion = completion
        self._head = _dumps(
            {
                "id": completion.id,
                "object": "chat.completion.chunk",
                "created": completion.created,
                "model": completion.plan.model.id,
            }
        )[:-1]
        self._content = [
            f'{self._head},"choices":[{{"index":{i},"delta":{{"content":'
            for i in range(completion.plan.n)
        ]

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> str:
        return f"{self._head},{_dumps({'choices': choices, **extra})[1:]}"

    def role(self, index: int) -> str:
        delta = {"role": "assistant", "content": ""}
        return self._chunk(
            [{"index": index, "delta": delta, "logprobs": None, "finish_reason": None}]
        )

    def event(self, index: int, event: Event) -> str:
        if isinstance(event, TextDelta):
            if event.kind == "content" and not event.logprobs:
                return (
                    f"{self._content[index]}{_dumps(event.text)}}},"
                    '"logprobs":null,"finish_reason":null}]}'
                )
            key = "content" if event.kind == "content" else "reasoning_content"
            return self._chunk(
                [
                    {
                        "index": index,
                        "delta": {key: event.text},
                        "logprobs": logprobs_object(event.logprobs),
                        "finish_reason": None,
                    }
                ]
            )
        if isinstance(event, ToolCallDelta):
            call: dict[str, Any] = {"index": event.index}
            function: dict[str, Any] = {"arguments": event.arguments}
            if event.id is not None:
                call.update(id=event.id, type="function")
                function = {"name": event.name, **function}
            call["function"] = function
            return self._chunk(
                [
                    {
                        "index": index,
                        "delta": {"tool_calls": [call]},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                ]
            )
        return self._chunk(
            [
                {
                    "index": index,
                    "delta": {},
                    "logprobs": None,
                    "finish_reason": event.reason,
                    "stop_reason": event.stop_reason,
                }
            ]
        )

    def usage(self, *, with_choices: bool = True) -> str:
        extra: dict[str, Any] = {"usage": self.completion.usage(), "cost": self.completion.cost()}
        if not with_choices:
            return f"{self._head},{_dumps(extra)[1:]}"
        return self._chunk([], **extra)

    def citations(self) -> str:
        venice = {
            **self.completion.plan.venice,
            "web_search_citations": list(self.completion.plan.citations),
        }
        return self._chunk([], venice_parameters=venice)


class ChoiceCollector:
    """Accumulates one choice's events into a non-streaming ``choices[]`` entry."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.logprobs: list[LogprobEntry] = []
        self.finish = Finish("stop")

    def add(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            (self.content if event.kind == "content" else self.reasoning).append(event.text)
            self.logprobs.extend(event.logprobs)
        elif isinstance(event, ToolCallDelta):
            if event.id is not None:
                self.calls.append(
                    {
                        "id": event.id,
                        "type": "function",
                        "function": {"name": event.name, "arguments": ""},
                    }
                )
            self.calls[-1]["function"]["arguments"] += event.arguments
        else:
            self.finish = event

    def entry(self, want_logprobs: bool) -> dict[str, Any]:
        content = "".join(self.content)
        message = {
            "role": "assistant",
            "content": None if self.calls and not content else content,
            "reasoning_content": "".join(self.reasoning) or None,
            "tool_calls": self.calls,
        }
        return {
            "index": self.index,
            "message": message,
            "finish_reason": self.finish.reason,
            "stop_reason": self.finish.stop_reason,
            "logprobs": logprobs_object(self.logprobs) if want_logprobs else None,
        }


def completion_body(completion: AnyCompletion) -> dict[str, Any]:
    """Run every choice to the end and build the ChatCompletionResponse."""
    collectors = [ChoiceCollector(i) for i in range(completion.plan.n)]
    for index, event in completion.interleaved():
        collectors[index].add(event)
    plan = completion.plan
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": plan.model.id,
        "choices": [c.entry(plan.top_logprobs is not None) for c in collectors],
        "usage": completion.usage(),
        "cost": completion.cost(),
        "prompt_logprobs": None,
        "venice_parameters": {**plan.venice, "web_search_citations": list(plan.citations)},
    }
