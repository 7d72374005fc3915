"""The choices of one completion, as lazy streams of events, and the usage they add up to.

A choice is ``[reasoning deltas] then (tool-call deltas | JSON content | text content) then
Finish``. Every choice has its own ``random.Random``: ``Random(seed)`` for choice 0 and
``Random(f"{seed}/{i}")`` for the others (distinct draws, same output for the same seed), or an
unseeded one. Logprobs are reported for sampled text content only; JSON and tool-call pieces are
built from the schema rather than sampled token by token, so they carry none.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time
import uuid
from collections.abc import Generator, Iterator
from typing import Any, Final

from venice_jupyter.offline.models import NGramModel, Topic, TopicIndex, tokenize
from venice_jupyter.offline.replies._generate import (
    Budget,
    Finish,
    StopScanner,
    TextDelta,
    ToolCallDelta,
    sample_tokens,
)
from venice_jupyter.offline.replies._plan import Plan
from venice_jupyter.offline.replies._schema_values import SchemaValues

__all__ = ["ChoiceRun", "Completion", "Event", "prompt_value"]

_REPORTED_CHARS = 300
_PLACES = ("city", "location", "place", "country", "town", "region", "where")
_TEXTS = ("query", "question", "topic", "search", "text", "prompt", "q")
_NOT_NAMES = frozenset(
    {
        "What",
        "Which",
        "Who",
        "How",
        "When",
        "Where",
        "Why",
        "Is",
        "Are",
        "The",
        "A",
        "An",
        "I",
        "Tell",
        "Please",
        "Give",
        "Show",
        "Can",
        "Could",
        "Do",
    }
)


def prompt_value(hint: str, prompt: str) -> str | None:
    """A string argument the prompt supplies: a capitalised name for a place-like property,
    the question itself for a query-like one; None when it names nothing."""
    key = hint.lower()
    if any(word in key for word in _PLACES):
        words = prompt.split()
        names = [
            w.strip(".,;:!?\"'()")
            for i, w in enumerate(words)
            if i > 0 and not words[i - 1].endswith((".", "!", "?"))  # not a sentence's first word
        ]
        found = [w for w in names if w[:1].isupper() and w not in _NOT_NAMES and w.isalpha()]
        return found[0] if found else None
    if any(key == word or key.endswith("_" + word) for word in _TEXTS):
        return prompt.strip().rstrip("?").strip() or None
    return None


Event = TextDelta | ToolCallDelta | Finish
_EOS: Final = 1
_WORDLIKE: Final = re.compile(r" ?\w+(?:['’]\w+)*")
_ARGUMENT_PIECE_TOKENS: Final = 3
_WEB_SEARCH_PRICE_USD: Final = 0.01


class ChoiceRun:
    """One choice: ``events`` (iterate once) and its token accounting in ``budget``."""

    def __init__(
        self,
        plan: Plan,
        index: int,
        model: NGramModel,
        topics: TopicIndex,
        fixed_text: str | None = None,
    ) -> None:
        self.plan = plan
        self.model = model
        self.topics = topics
        self.budget = Budget(plan.limit)
        self._topic = Topic(None, (0,), (0,), 0, "")  # chosen when the events start
        seed = plan.seed
        self.rng = (
            random.Random()
            if seed is None
            else random.Random(seed if index == 0 else f"{seed}/{index}")
        )
        self.events: Iterator[Event] = (
            self._fixed(fixed_text) if fixed_text is not None else self._events()
        )

    def _events(self) -> Iterator[Event]:
        plan = self.plan
        topic = self._topic = self.topics.choose(plan.prompt, self.rng)
        if plan.reasoning_tokens and (yield from self._reasoning(topic)):
            return
        offset = 0
        if plan.citations and plan.venice["return_search_results_as_documents"]:
            documents = json.dumps({"documents": list(plan.citations)}, ensure_ascii=False)
            yield ToolCallDelta(0, documents, "web_search_call", "web_search")
            offset = 1
        if plan.tool_results and not plan.tools and plan.schema is None:
            yield from self._report(plan.tool_results)
        if plan.tools:
            yield from self._tool_calls(offset)
        elif plan.schema is not None:
            yield from self._pieces(json.dumps(self._value(plan.schema), ensure_ascii=False))
        else:
            finish = yield from self._text(topic)
            yield Finish("tool_calls") if offset and finish.reason == "stop" else finish

    def _reasoning(self, topic: Topic) -> Generator[Event, None, bool]:
        """Reasoning deltas; returns True when the token limit ended the whole choice.

        A lead-in naming the topic and the opening words of a related paragraph are emitted as
        they are (the reasoning model offers no logprobs), then the model continues until a
        line break (after a few tokens) or the effort's budget.
        """
        plan, budget, vocab = self.plan, self.budget, self.model.vocab
        lead = f"The question is about “{topic.heading}”. " if topic.heading else "Let me think. "
        opening = [
            vocab[t]
            for t in topic.reasoning_context[
                len(topic.reasoning_context) - topic.reasoning_prefix :
            ]
        ]
        sampled = sample_tokens(
            self.model,
            topic.reasoning_context,
            plan.model.order,
            plan.settings,
            self.rng,
            topic=topic.answer,
        )
        forced = [*tokenize(lead), *opening]
        # a line break ends the reasoning only after a few sampled tokens
        minimum = len(forced) + min(12, plan.reasoning_tokens // 2)
        steps = itertools.chain(((None, t) for t in forced), ((t, vocab[t]) for t, _ in sampled))
        for tid, text in steps:
            budget.used += 1
            budget.reasoning += 1
            line_break = tid is not None and text[:1] == "\n"
            if tid == _EOS or (line_break and budget.reasoning > minimum):
                break
            if plan.show_reasoning:
                yield TextDelta("reasoning", text)
            if budget.exhausted:
                yield Finish("length", "length")
                return True
            if budget.reasoning >= plan.reasoning_tokens:
                break
        return False

    def _text(self, topic: Topic) -> Generator[Event, None, Finish]:
        """Sampled content until <|end|>, a stop string or id, or the limit; returns the Finish."""
        plan, budget, vocab = self.plan, self.budget, self.model.vocab
        scanner = StopScanner(plan.stops)
        tokens = sample_tokens(
            self.model,
            topic.answer_context,
            plan.model.order,
            plan.settings,
            self.rng,
            plan.top_logprobs,
            topic.answer,
        )
        finish = Finish("length", "length")
        # With enable_web_citations, sentences cite the search results in turn, as ^1^, ^2^ …
        cite = len(plan.citations) if plan.venice["enable_web_citations"] else 0
        cited = 0
        for tid, entry in tokens:
            budget.used += 1
            if tid == _EOS or tid in plan.stop_ids:
                finish = Finish("stop", None if tid == _EOS else "stop")
                break
            text, entries, hit = scanner.push(vocab[tid], entry)
            if text or entries:
                yield TextDelta("content", text, entries)
            if cited < cite and text.rstrip().endswith("."):
                cited += 1
                yield TextDelta("content", f" ^{cited}^")
            if hit:
                return Finish("stop", "stop")
            if budget.exhausted:
                break
        text, entries = scanner.flush()
        if text or entries:
            yield TextDelta("content", text, entries)
        return finish

    def _pieces(self, text: str) -> Iterator[Event]:
        """Structured content streamed a token at a time (within the token limit)."""
        for piece in tokenize(text):
            if self.budget.exhausted:
                yield Finish("length", "length")
                return
            self.budget.used += 1
            yield TextDelta("content", piece)
        yield Finish("stop")

    def _tool_calls(self, offset: int) -> Iterator[Event]:
        for k, function in enumerate(self.plan.tools):
            call_id = f"call_{self.rng.getrandbits(96):024x}"
            yield ToolCallDelta(offset + k, "", call_id, function["name"])
            schema = function.get("parameters") or {"type": "object"}
            arguments = json.dumps(self._value(schema), ensure_ascii=False)
            pieces = tokenize(arguments)
            for start in range(0, len(pieces), _ARGUMENT_PIECE_TOKENS):
                chunk = pieces[start : start + _ARGUMENT_PIECE_TOKENS]
                self.budget.used += len(chunk)
                yield ToolCallDelta(offset + k, "".join(chunk))
        yield Finish("tool_calls")

    def _report(self, results: tuple[tuple[str, str], ...]) -> Iterator[Event]:
        """The answer after tool calls opens with what they returned, then goes on as usual."""
        parts = []
        for name, result in results:
            shown = " ".join(result.split())
            shown = shown if len(shown) <= _REPORTED_CHARS else shown[:_REPORTED_CHARS] + "…"
            parts.append(f"{name} returned: {shown.rstrip('.')}")
        for piece in tokenize("; ".join(parts) + ".\n\n"):
            if self.budget.exhausted:
                return
            self.budget.used += 1
            yield TextDelta("content", piece)

    def _fixed(self, text: str) -> Iterator[Event]:
        """A given answer (the ``reply`` fault): exactly ``text``, no limit applied."""
        for piece in tokenize(text):
            self.budget.used += 1
            yield TextDelta("content", piece)
        yield Finish("stop")

    def _value(self, schema: dict[str, Any]) -> Any:
        return SchemaValues(self._phrase, self.rng).make(schema)

    def _phrase(self, hint: str, words: int) -> str:
        """Free text for a schema string: taken from the prompt where the property asks for
        something it names (the city in "the weather in Rome?"), else a few words of the
        model's prose, continuing from a random word of the topic answer."""
        drawn = prompt_value(hint, self.plan.prompt)
        if drawn is not None:
            return drawn
        model = self.model
        answer = self._topic.answer
        if answer is None:
            answer = self.rng.randrange(len(model.answers))
        ids = model.answers[answer]
        start = self.rng.randrange(1, len(ids) - 1) if len(ids) > 2 else 1
        out: list[str] = []
        tokens = sample_tokens(
            model, ids[:start], self.plan.model.order, self.plan.settings, self.rng, topic=answer
        )
        for attempt, (tid, _) in enumerate(tokens):
            token = model.vocab[tid].strip()
            if _WORDLIKE.fullmatch(token) and not token.isdigit():
                out.append(token)
            if len(out) >= words or attempt >= words * 6:
                break
        text = " ".join(out)
        return text[:1].upper() + text[1:]


class Completion:
    """All choices of one request, plus the id, usage and cost Venice reports."""

    def __init__(
        self, plan: Plan, model: NGramModel, topics: TopicIndex, fixed_text: str | None = None
    ) -> None:
        self.plan = plan
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.choices = [ChoiceRun(plan, i, model, topics, fixed_text) for i in range(plan.n)]
        # Prompt tokens read from / written to the prompt cache (set by the server, which
        # keeps the cache), both parts of prompt_tokens.
        self.cache_read = 0
        self.cache_write = 0

    def interleaved(self) -> Iterator[tuple[int, Event]]:
        """Events of all choices, round-robin, as a server streaming n > 1 choices sends them."""
        live = list(enumerate(self.choices))
        while live:
            still = []
            for index, choice in live:
                event = next(choice.events, None)
                if event is not None:
                    still.append((index, choice))
                    yield index, event
            live = still

    def usage(self) -> dict[str, Any]:
        completion = sum(c.budget.used for c in self.choices)
        prompt = self.plan.prompt_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": self._prompt_details(),
            "completion_tokens_details": {
                "reasoning_tokens": sum(c.budget.reasoning for c in self.choices)
            },
        }

    def _prompt_details(self) -> dict[str, int]:
        details = {"cached_tokens": self.cache_read}
        if self.plan.model.cache_write_usd is not None:  # a provider that bills cache writes
            details["cache_creation_input_tokens"] = self.cache_write
        return details

    def cost(self) -> dict[str, float]:
        usage = self.usage()
        model = self.plan.model
        read, written = self.cache_read, self.cache_write
        fresh = usage["prompt_tokens"] - read - written
        usd = (
            fresh * model.input_usd
            + read
            * (model.cache_input_usd if model.cache_input_usd is not None else model.input_usd)
            + written
            * (model.cache_write_usd if model.cache_write_usd is not None else model.input_usd)
            + usage["completion_tokens"] * model.output_usd
        ) / 1e6
        if self.plan.citations:
            usd += _WEB_SEARCH_PRICE_USD
        return {"usd": round(usd, 10), "diem": 0}
