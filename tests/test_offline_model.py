"""The offline model without HTTP: tokens, corpus, exact distributions, topics, stop strings,
schema-driven values and request validation."""

from __future__ import annotations

import math
import random
from typing import Any

import jsonschema
import pytest

from venice_jupyter.offline.models import _ngram as ngram
from venice_jupyter.offline.models._corpus import CORPUS_DIR, load_answers
from venice_jupyter.offline.models._ngram import BACKOFF, DISCOUNT, PRIMARY, NGramModel, get_model
from venice_jupyter.offline.models._sampling import SamplingSettings
from venice_jupyter.offline.models._tokenizer import detokenize, tokenize
from venice_jupyter.offline.models._topic import TopicIndex
from venice_jupyter.offline.replies._generate import StopScanner, logprob_entry, sample_tokens
from venice_jupyter.offline.replies._schema_values import SchemaValues
from venice_jupyter.offline.validation._request import (
    RequestInvalid,
    detailed_error,
    validate_request,
)

# --- tokenizer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hello, world!\n\n## Heading\n- item **bold** and `code`\n1. first\n",
        "```python\ndef f(x):\n    return x  # four spaces\n```\n",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "tabs\tand  spaces \r\nCRLF\u2028sep\u2029para café 😀 中文",
        "",
    ],
)
def test_tokens_detokenize_exactly(text: str) -> None:
    assert detokenize(tokenize(text)) == text


def test_markdown_markers_are_tokens() -> None:
    tokens = tokenize("## Title\n\nSome **bold** words.\n\n```python\nx = 1\n```\n1. one\n|---|")
    for marker in ["##", " Title", "\n\n", " **", "**", "```python", "```", "1.", "---"]:
        assert marker in tokens
    assert tokenize("a\n\n\nb") == ["a", "\n\n", "\n", "b"]


def test_corpus_round_trips_and_skips_readme() -> None:
    answers = load_answers()
    assert (CORPUS_DIR / "00-seed.md").exists()
    assert len(answers) >= 5
    assert not any(a.startswith("# Offline Corpus") for a in answers)
    assert any(a.startswith("## What Is a Jupyter Notebook?") for a in answers)
    assert all("\n---\n" not in a for a in answers)
    for answer in answers:
        assert detokenize(tokenize(answer)) == answer


# --- distributions ---------------------------------------------------------------------------


def probs_of(model: NGramModel, context: list[str], order: int = 4) -> dict[str, float]:
    tokens, logprobs = model.distribution(context, order)
    return {t: math.exp(lp) for t, lp in zip(tokens, logprobs, strict=True)}


def test_distribution_definition_on_a_tiny_corpus() -> None:
    model = NGramModel(["a b c", "a b d", "x b c", "x b c"])
    # After " a b": S = {" c": 1, " d": 1}, T = 2. Backoff h[1:] = (" b",) continues with
    # " c" (3) and " d" (1): nothing new, so B is empty and P = c / T.
    assert probs_of(model, ["a", " b"]) == pytest.approx({" c": 0.5, " d": 0.5})
    # After "x b": S = {" c": 2}; B = {" d": 1} from (" b",): beta = D * 1 / 2.
    beta = DISCOUNT * 1 / 2
    assert probs_of(model, ["x", " b"]) == pytest.approx({" c": (2 - DISCOUNT) / 2, " d": beta})
    # Unknown tokens are skipped; (" b",) then backs off to the unigram continuations
    # (a 2, x 2, " b" 4, <|end|> 4): beta = D * 2 / 4 spread by count.
    beta = DISCOUNT * 2 / 4
    assert probs_of(model, ["zzz", " b"], order=2) == pytest.approx(
        {
            " c": (3 - DISCOUNT) / 4,
            " d": (1 - DISCOUNT) / 4,
            " b": beta * 4 / 12,
            ngram.EOS: beta * 4 / 12,
            "a": beta * 2 / 12,
            "x": beta * 2 / 12,
        }
    )
    unigram = probs_of(model, [], order=1)
    assert unigram[" b"] == pytest.approx(4 / sum([2, 2, 4, 3, 1, 4]))


def test_topic_boost_definition() -> None:
    model = NGramModel(["p q r", "p q s", "p q s"])
    plain = probs_of(model, ["p", " q"])
    assert plain == pytest.approx({" r": 1 / 3, " s": 2 / 3})
    tokens, logprobs = model.distribution(["p", " q"], topic=0)
    boosted = dict(zip(tokens, map(math.exp, logprobs), strict=True))
    total = 1 + ngram.TOPIC_BOOST + 2
    assert boosted == pytest.approx({" r": (1 + ngram.TOPIC_BOOST) / total, " s": 2 / total})


def test_real_distributions_sum_to_one_and_are_small() -> None:
    model = get_model()
    rng = random.Random(7)
    for _ in range(300):
        answer = rng.randrange(len(model.answers))
        ids = model.answers[answer]
        cut = rng.randrange(1, len(ids))
        for order in (1, 2, 3, 4):
            for topic in (None, answer):
                dist = model.distribution_ids(ids[:cut], order, topic)
                assert 1 <= len(dist.ids) <= PRIMARY + BACKOFF
                assert len(set(dist.ids)) == len(dist.ids)
                assert math.fsum(math.exp(lp) for lp in dist.logprobs) == pytest.approx(1, abs=1e-9)
                assert list(dist.logprobs) == sorted(dist.logprobs, reverse=True)
                # the true continuation is a candidate whenever its context is the matched one
                if len(dist.context) == min(order - 1, cut) and order > 1 and topic is not None:
                    assert ids[cut] in dist.ids or len(dist.ids) >= PRIMARY


def test_generated_text_has_markdown_structure() -> None:
    model = get_model()
    text = ""
    for seed in range(8):
        gen = sample_tokens(model, [0], 4, SamplingSettings(temperature=0.9), random.Random(seed))
        text += "".join(model.vocab[t] for t, _ in (next(gen) for _ in range(400)))
    assert "\n\n" in text and "## " in text and "**" in text and "\n- " in text


def test_sampling_is_deterministic_per_seed() -> None:
    model = get_model()
    settings = SamplingSettings(temperature=1.0, top_p=0.95)

    def run(seed: int) -> list[int]:
        gen = sample_tokens(model, [0], 4, settings, random.Random(seed), topic=1)
        return [next(gen)[0] for _ in range(200)]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_topic_matches_prompt_words() -> None:
    index = TopicIndex(get_model())
    topic = index.choose("How do notebook kernels and cells work in Jupyter?", random.Random(1))
    assert topic.heading == "What Is a Jupyter Notebook?"
    vocab = get_model().vocab
    assert "".join(vocab[i] for i in topic.answer_context).endswith("Notebook?\n\n")
    nothing = index.choose("zzzz qqqq", random.Random(1))
    assert nothing.answer is None and nothing.answer_context == (0,)


# --- stop strings ----------------------------------------------------------------------------


def feed(scanner: StopScanner, pieces: list[str]) -> tuple[str, bool]:
    out = ""
    for piece in pieces:
        text, _, hit = scanner.push(piece, None)
        out += text
        if hit:
            return out, True
    return out + scanner.flush()[0], False


def test_stop_scanner_holds_back_possible_starts() -> None:
    scanner = StopScanner(["END"])
    assert scanner.push("abc E", None)[0] == "abc "  # "E" might start END
    assert scanner.push("N", None)[0] == ""
    text, _, hit = scanner.push("Dx", None)
    assert (text, hit) == ("", True)
    assert feed(StopScanner(["END"]), ["abc E", "nd"]) == ("abc End", False)
    assert feed(StopScanner(["\n\n", "##"]), ["one", " two", "\n\n", "three"]) == ("one two", True)
    assert feed(StopScanner([]), ["a", "b"]) == ("ab", False)


def test_stop_scanner_keeps_logprob_entries_with_their_text() -> None:
    scanner = StopScanner(["cd"])
    entries = [logprob_entry(t, -1.0, []) for t in ("a", "bc", "de")]
    out = [scanner.push(t, e) for t, e in zip(("a", "bc", "de"), entries, strict=True)]
    assert out[0] == ("a", (entries[0],), False)
    assert out[1] == ("b", (entries[1],), False)  # "c" held back
    assert out[2] == ("", (), True)


# --- schema-driven values --------------------------------------------------------------------

SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 3, "maxLength": 40},
            "year": {"type": "integer", "minimum": 1900, "maximum": 2030},
            "score": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
            "kind": {"enum": ["book", "film", "song"]},
            "done": {"type": "boolean"},
            "nested": {
                "type": "object",
                "properties": {"email": {"type": "string", "format": "email"}},
                "required": ["email"],
                "additionalProperties": False,
            },
            "maybe": {"type": ["string", "null"]},
        },
        "required": ["title", "year", "score", "tags", "kind", "done", "nested"],
        "additionalProperties": False,
    },
    {
        "$defs": {
            "point": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
        },
        "type": "array",
        "items": {"$ref": "#/$defs/point"},
        "minItems": 1,
        "uniqueItems": True,
    },
    {
        "allOf": [
            {
                "type": "object",
                "properties": {"a": {"type": "integer", "multipleOf": 5}},
                "required": ["a"],
            },
            {"properties": {"b": {"const": 7}}, "required": ["b"]},
        ]
    },
    {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "id": {"type": "string", "format": "uuid"},
        },
        "required": ["when", "id"],
        "minProperties": 2,
    },
    {"anyOf": [{"type": "integer", "minimum": 3, "maximum": 3}, {"type": "string"}]},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_schema_values_validate(schema: dict[str, Any]) -> None:
    model = get_model()

    def phrase(hint: str, words: int) -> str:
        return " ".join(["word"] * words)

    for seed in range(25):
        value = SchemaValues(phrase, random.Random(seed)).make(schema)
        jsonschema.validate(value, schema)
    assert model.vocab  # the server's phrases come from the model; covered over HTTP


# --- request validation ----------------------------------------------------------------------

MESSAGES = [{"role": "user", "content": "hi"}]


def issues_for(body: Any) -> list[dict[str, Any]]:
    with pytest.raises(RequestInvalid) as caught:
        validate_request(body)
    return caught.value.issues


def test_valid_bodies_pass_and_aliases_are_rewritten() -> None:
    body = validate_request(
        {
            "model": "m",
            "input": MESSAGES,
            "max_output_tokens": 5,
            "web_search": True,
            "stop": None,
            "tools": None,
            "venice_parameters": {"unknown_key": 1},
            "response_format": {"type": "json_schema", "json_schema": {"type": "object"}},
            "metadata": {"k": "v"},
            "reasoning": {"effort": "low", "enabled": False},
        }
    )
    assert body["messages"] == MESSAGES and body["max_tokens"] == 5
    assert body["venice_parameters"]["enable_web_search"] == "on"


@pytest.mark.parametrize(
    ("extra", "code", "path"),
    [
        ({"thinking": True}, "unrecognized_keys", []),
        ({"max_completion_tokens": None}, "invalid_type", ["max_completion_tokens"]),
        ({"temperature": 2.5}, "too_big", ["temperature"]),
        ({"top_p": -0.1}, "too_small", ["top_p"]),
        ({"top_k": 1.5}, "invalid_type", ["top_k"]),
        ({"seed": 0}, "too_small", ["seed"]),
        ({"n": 0}, "too_small", ["n"]),
        ({"stop": ["a", "b", "c", "d", "e"]}, "too_big", ["stop"]),
        ({"stream": "yes"}, "invalid_type", ["stream"]),
        ({"reasoning_effort": "huge"}, "invalid_enum_value", ["reasoning_effort"]),
        (
            {"venice_parameters": {"enable_web_search": "maybe"}},
            "invalid_enum_value",
            ["venice_parameters", "enable_web_search"],
        ),
        (
            {"response_format": {"type": "json_object", "extra": 1}},
            "unrecognized_keys",
            ["response_format"],
        ),
        ({"messages": []}, "too_small", ["messages"]),
        (
            {"messages": [{"role": "robot", "content": "x"}]},
            "invalid_enum_value",
            ["messages", 0, "role"],
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]},
            "too_small",
            ["messages", 0, "content", 0, "text"],
        ),
        (
            {"messages": [{"role": "tool", "content": "x"}]},
            "invalid_type",
            ["messages", 0, "tool_call_id"],
        ),
    ],
)
def test_invalid_bodies(extra: dict[str, Any], code: str, path: list[Any]) -> None:
    issues = issues_for({"model": "m", "messages": MESSAGES, **extra})
    assert (issues[0]["code"], issues[0]["path"]) == (code, path)
    error = detailed_error(issues)
    assert error["error"] == "Invalid request parameters"
    node = error["details"]
    for key in path:
        node = node[str(key)]
    assert issues[0]["message"] in node["_errors"]


def test_missing_required_fields() -> None:
    issues = issues_for({})
    assert {tuple(i["path"]) for i in issues} == {("messages",), ("model",)}
    assert issues_for([1])[0]["code"] == "invalid_type"
