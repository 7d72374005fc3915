"""Build a ``Reply`` from chat-completion chunks, or from one non-streaming body.

``Accumulator.feed`` applies one parsed chunk and returns the text it added as ``Delta``s for a
sink to show; ``finish`` marks the reply complete. ``reply_from_body`` reads a non-streaming
body as a one-chunk stream (``message`` in place of ``delta``), so both share every rule.

Beyond plain OpenAI it accepts (spec/API-NOTES.md §2): chunks with ``choices: []`` or no ``choices``
(usage-only); ``cost`` at top level or in ``usage``; ``venice_parameters.web_search_citations``
on any chunk; logprobs as OpenAI's ``{"content": [...]}`` or the spec's single ``{token,
logprob, ...}``; ``delta.reasoning`` for ``reasoning_content``; tool calls whose id and name
come again in every chunk (llama.cpp) and the legacy ``function_call`` delta; and a leading
``<think>...</think>`` inside ``content`` (older reasoning models), moved to ``reasoning``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from venice_jupyter.api._error_map import error_from_response, error_from_stream_chunk
from venice_jupyter.api._think import ThinkSplitter, append_content, append_reasoning
from venice_jupyter.errors import ProtocolError
from venice_jupyter.reply import Choice, Citation, Cost, Delta, Reply, TokenLogprob, ToolCall, Usage

__all__ = ["Accumulator", "reply_from_body"]

# Choices are stored by index: a server sending index 10**12 must not make us allocate that many.
MAX_CHOICES: Final = 10_000


class Accumulator:
    """Folds a stream of chunk dicts into ``self.reply``, which is current after every ``feed``."""

    def __init__(self) -> None:
        self.reply = Reply()
        # Choices whose content is known to carry no leading think block: the fast path.
        self._plain: set[int] = set()
        self._think: dict[int, ThinkSplitter] = {}

    def feed(self, chunk: dict[str, Any]) -> list[Delta]:
        """Apply one chunk; return the content, reasoning and tool-call pieces it added."""
        if chunk.get("error") is not None:
            raise error_from_stream_chunk(chunk)
        try:
            return self._apply(chunk)
        except (AttributeError, LookupError, TypeError, ValueError) as exc:
            # A field of the wrong JSON type (a list where an object belongs, and so on).
            raise ProtocolError(
                f"Venice sent a chunk of unexpected shape ({exc}): {_excerpt(chunk)}"
            ) from exc

    def flush(self) -> list[Delta]:
        """Release text held back while deciding whether it opens a ``<think>`` block.

        Only a reply that ends while its content is still a possible prefix of ``<think>`` (for
        example just whitespace) has any; ``finish`` calls this too, but a sink that wants to
        show that tail should call it first.
        """
        deltas: list[Delta] = []
        for index, splitter in self._think.items():
            splitter.flush(self.reply.choice(index), deltas)
        self._plain.update(self._think)  # content after a flush is no longer "leading"
        self._think.clear()
        return deltas

    def finish(self) -> Reply:
        self.flush()
        self.reply.complete = True
        return self.reply

    def _apply(self, chunk: dict[str, Any]) -> list[Delta]:
        reply = self.reply
        if reply.id is None and chunk.get("id"):
            reply.id = str(chunk["id"])
        if reply.created is None and chunk.get("created"):
            reply.created = int(chunk["created"])
        model = chunk.get("model")
        if model:
            reply.model = str(model)
        deltas: list[Delta] = []
        for raw in chunk.get("choices") or ():
            self._apply_choice(raw, deltas)
        if chunk.get("usage") or chunk.get("cost") or chunk.get("venice_parameters"):
            _apply_extras(reply, chunk)
        return deltas

    def _apply_choice(self, raw: dict[str, Any], deltas: list[Delta]) -> None:
        index = raw.get("index", 0)
        if type(index) is not int or not 0 <= index < MAX_CHOICES:
            raise ProtocolError(f"Venice sent a choice with index {index!r}: {_excerpt(raw)}")
        choice = self.reply.choice(index)
        delta = raw.get("delta")
        if delta is None:
            delta = raw.get("message")  # a non-streaming body
        if delta:
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                append_reasoning(choice, reasoning, deltas)
            content = delta.get("content")
            if content and type(content) is not str:
                content = _text_of_parts(content)
            if content:
                if index in self._plain:
                    append_content(choice, content, deltas)
                else:
                    self._route(choice, content, deltas)
            tool_calls = delta.get("tool_calls")
            if tool_calls:
                _merge_tool_calls(choice, tool_calls, deltas)
            legacy = delta.get("function_call")  # OpenAI's pre-tools shape: one call, no id
            if legacy:
                _merge_tool_calls(choice, [{"index": 0, "function": legacy}], deltas)
        if raw.get("finish_reason"):
            choice.finish_reason = str(raw["finish_reason"])
        if raw.get("stop_reason") is not None:
            # vLLM reports a stop token id here as an int.
            choice.stop_reason = str(raw["stop_reason"])
        if raw.get("logprobs"):
            choice.logprobs.extend(_token_logprobs(raw["logprobs"]))

    def _route(self, choice: Choice, content: str, deltas: list[Delta]) -> None:
        splitter = self._think.get(choice.index)
        if splitter is None:
            splitter = self._think[choice.index] = ThinkSplitter()
        if splitter.feed(choice, content, deltas):
            del self._think[choice.index]
            self._plain.add(choice.index)


def _merge_tool_calls(choice: Choice, raw_calls: list[Any], deltas: list[Delta]) -> None:
    """Merge tool-call deltas by ``index``: ids and names are set, arguments concatenated.

    A delta is emitted for each new arguments piece, and also (with empty text) when a call's
    name first arrives, so a sink can show which tool is being called before its arguments.
    """
    calls = choice.tool_calls
    for raw in raw_calls:
        if raw is None:
            continue
        call = _tool_call_for(calls, raw)
        if raw.get("id"):
            call.id = str(raw["id"])
        if raw.get("type"):
            call.type = str(raw["type"])
        function = raw.get("function") or {}
        named = False
        if function.get("name") and function["name"] != call.name:
            call.name = str(function["name"])
            named = True
        piece = function.get("arguments") or ""
        if not isinstance(piece, str):
            piece = json.dumps(piece)  # a provider that sends arguments already parsed
        if piece:
            text, call.arguments = call.arguments, ""
            text += piece
            call.arguments = text
        if piece or named:
            deltas.append(Delta(choice.index, "tool_call", piece))


def _tool_call_for(calls: list[ToolCall], raw: dict[str, Any]) -> ToolCall:
    index = raw.get("index")
    if index is None:
        # Whole messages (and some providers) give no index: the id says which call this is,
        # and a delta with no id at all continues the latest call.
        call_id = raw.get("id")
        for call in calls:
            if call_id and call.id == call_id:
                return call
        if calls and not call_id:
            return calls[-1]
        index = len(calls)
    elif type(index) is not int:
        raise TypeError(f"tool call index must be an integer, not {index!r}")
    for call in calls:
        if call.index == index:
            return call
    call = ToolCall(index=index)
    calls.append(call)
    return call


def _text_of_parts(parts: Any) -> str:
    """Content given as ``[{"type": "text", "text": ...}, ...]``, which the schema allows."""
    if not isinstance(parts, list):
        raise TypeError(f"content must be a string, not {type(parts).__name__}")
    return "".join(part if isinstance(part, str) else str(part["text"]) for part in parts)


def _token_logprobs(raw: Any) -> list[TokenLogprob]:
    """Both shapes: OpenAI's ``{"content": [entry, ...]}`` and the Venice spec's bare entry."""
    if isinstance(raw, dict):
        entries = raw.get("content")
        if not isinstance(entries, list):
            entries = [raw] if "token" in raw else []
    elif isinstance(raw, list):
        entries = raw
    else:
        return []
    return [_token_logprob(e) for e in entries if isinstance(e, dict) and "token" in e]


def _token_logprob(entry: dict[str, Any]) -> TokenLogprob:
    raw_bytes = entry.get("bytes")
    alternatives = entry.get("top_logprobs") or ()
    return TokenLogprob(
        token=str(entry["token"]),
        logprob=float(entry.get("logprob") or 0.0),
        bytes=[int(b) for b in raw_bytes] if isinstance(raw_bytes, list) else None,
        top=[
            (str(a["token"]), float(a.get("logprob") or 0.0)) for a in alternatives if "token" in a
        ],
    )


def _apply_extras(reply: Reply, chunk: dict[str, Any]) -> None:
    """Usage, cost and venice_parameters: rare keys, kept off the per-delta hot path."""
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        reply.usage = _usage(usage)
    cost = chunk.get("cost")
    if cost is None and isinstance(usage, dict):
        cost = usage.get("cost")
    if isinstance(cost, dict):
        reply.cost = Cost(usd=float(cost.get("usd") or 0.0), diem=float(cost.get("diem") or 0.0))
    params = chunk.get("venice_parameters")
    if isinstance(params, dict):
        citations = params.get("web_search_citations")
        # An empty list (no search ran) must not erase citations an earlier chunk carried.
        if isinstance(citations, list) and citations:
            reply.citations = [_citation(c) for c in citations if isinstance(c, dict)]
        reply.venice_parameters.update(
            (k, v) for k, v in params.items() if k != "web_search_citations"
        )


def _usage(raw: dict[str, Any]) -> Usage:
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    return Usage(
        prompt_tokens=_count(raw.get("prompt_tokens")),
        completion_tokens=_count(raw.get("completion_tokens")),
        total_tokens=_count(raw.get("total_tokens")),
        cached_tokens=_count(prompt_details.get("cached_tokens")),
        cache_creation_tokens=_count(prompt_details.get("cache_creation_input_tokens")),
        reasoning_tokens=_count(completion_details.get("reasoning_tokens")),
    )


def _count(value: Any) -> int:
    # A server may send anything: an infinite or NaN count is no count (int() would raise).
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    return int(value) if isinstance(value, int) else 0


def _citation(raw: dict[str, Any]) -> Citation:
    content, date = raw.get("content"), raw.get("date")
    return Citation(
        title=str(raw.get("title") or ""),
        url=str(raw.get("url") or ""),
        content=None if content is None else str(content),
        date=None if date is None else str(date),
    )


def reply_from_body(body: dict[str, Any]) -> Reply:
    """A complete ``Reply`` from a non-streaming ``chat.completion`` body.

    A body is read as a one-chunk stream: ``_apply_choice`` takes ``message`` where a chunk
    has ``delta``, so both paths share every parsing rule.
    """
    if not isinstance(body, dict):
        raise ProtocolError(f"Venice sent a response that is not a JSON object: {_excerpt(body)}")
    if body.get("error") is not None:
        # A 200 whose body is an error: report it like any other API error.
        raise error_from_response(200, json.dumps(body).encode())
    accumulator = Accumulator()
    accumulator.feed(body)
    return accumulator.finish()


def _excerpt(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
