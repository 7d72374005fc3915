"""Conversations survive a trip through JSON; Markdown reads well; bad files say what is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from venice_jupyter.conversation import Conversation
from venice_jupyter.errors import ConfigError, ParameterError
from venice_jupyter.reply import Choice, Cost, Reply, ToolCall, Usage
from venice_jupyter.request import _messages as msg
from venice_jupyter.storage._files import (
    FORMAT,
    export_json,
    export_markdown,
    import_json,
    load,
    save,
)

PNG_URL = "data:image/png;base64,iVBORw0KGgo="
KEY = "vk-THIS-IS-A-FAKE-KEY-0123456789"


def reply(text: str, **kwargs: Any) -> Reply:
    choice = Choice(0, content=text, finish_reason=kwargs.pop("finish_reason", "stop"))
    choice.tool_calls = kwargs.pop("tool_calls", [])
    return Reply(choices=[choice], complete=True, **kwargs)


def sample() -> Conversation:
    conv = Conversation("trip planning", system="Be brief.\nUse metric units.")
    conv.record(
        msg.user("What is in this picture?", images=[PNG_URL, "https://example.com/a.jpg"]),
        reply(
            "A **red** pixel.",
            usage=Usage(prompt_tokens=12, completion_tokens=5, total_tokens=17),
            cost=Cost(usd=0.000123, diem=0.5),
            created=1_700_000_000,
            id="chatcmpl-1",
        ),
        model="venice-uncensored",
        params={"temperature": 0.2, "api_key": KEY, "venice_parameters": {"x_api_key": KEY}},
    )
    conv.record(
        msg.user("Call the tool"),
        reply(
            "",
            finish_reason="tool_calls",
            tool_calls=[ToolCall(0, "call_1", name="weather", arguments='{"city": "```Rome"}')],
        ),
        model="qwen3-4b",
    )
    conv.record(msg.user("Thanks"), reply("You're welcome", finish_reason="length"))
    return conv


def test_json_document_shape() -> None:
    document = json.loads(export_json(sample()))
    assert document["format"] == "venice-jupyter.conversation" and document["version"] == 1
    assert document["name"] == "trip planning"
    assert document["system"] == "Be brief.\nUse metric units."
    first = document["turns"][0]
    assert set(first) == {
        "user",
        "assistant",
        "model",
        "params",
        "usage",
        "cost",
        "finish_reason",
        "created",
    }
    assert first["assistant"] == {"role": "assistant", "content": "A **red** pixel."}
    assert first["usage"]["total_tokens"] == 17 and first["cost"]["usd"] == 0.000123
    assert first["created"] == 1_700_000_000 and first["finish_reason"] == "stop"
    assert document["turns"][2]["usage"] is None and document["turns"][2]["cost"] is None


def test_export_drops_credentials_from_params() -> None:
    text = export_json(sample())
    assert KEY not in text
    params = json.loads(text)["turns"][0]["params"]
    assert params == {"temperature": 0.2, "venice_parameters": {}}


def test_json_round_trip() -> None:
    original = sample()
    text = export_json(original)
    restored = import_json(text)
    assert export_json(restored) == text
    assert restored.name == original.name and restored.system == original.system
    assert restored.messages() == original.messages()
    first, second = restored.turns[0], restored.turns[1]
    assert first.model == "venice-uncensored" and first.params == {
        "temperature": 0.2,
        "venice_parameters": {},
    }
    assert first.reply.text == "A **red** pixel." and first.reply.complete
    assert first.reply.usage == Usage(12, 5, 17)
    assert first.reply.cost == Cost(usd=0.000123, diem=0.5)
    assert first.reply.created == 1_700_000_000 and first.reply.finish_reason == "stop"
    assert second.reply.choices[0].tool_calls == [
        ToolCall(0, "call_1", "function", "weather", '{"city": "```Rome"}')
    ]
    assert restored.turns[2].reply.usage is None


def test_imported_conversation_can_continue() -> None:
    restored = import_json(export_json(sample()))
    restored.record(msg.user("One more"), reply("Sure"))
    assert len(restored) == 4
    assert msg.check_messages(restored.messages())


def test_empty_conversation_round_trip() -> None:
    text = export_json(Conversation("empty"))
    restored = import_json(text)
    assert restored.name == "empty" and restored.system is None and restored.turns == []


def test_markdown_transcript() -> None:
    text = export_markdown(sample())
    assert text.startswith("# trip planning\n")
    assert "> **System:** Be brief.\n> Use metric units." in text
    assert text.count("## You") == 3
    assert "## Assistant (venice-uncensored)\n\nA **red** pixel." in text
    assert "## Assistant (qwen3-4b)" in text
    assert "What is in this picture?" in text
    assert "*[image: image/png]*" in text and PNG_URL not in text
    assert "![image](https://example.com/a.jpg)" in text
    assert "*12 prompt + 5 completion tokens · $0.000123*" in text
    assert "**Tool call** `weather`" in text
    assert '````json\n{"city": "```Rome"}\n````' in text  # fence longer than the backticks
    assert "*finish: length*" in text
    assert KEY not in text


def test_markdown_without_model_or_usage() -> None:
    conv = Conversation("plain")
    conv.record(msg.user("hi"), reply("hello"))
    assert export_markdown(conv) == "# plain\n\n## You\n\nhi\n\n## Assistant\n\nhello\n"


# -- corrupt input: every case names the place and what was expected ---------------------


def valid() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(export_json(sample()))
    return document


def edited(path: str, value: Any) -> str:
    """The valid document with the value at ``path`` (a.b.0.c) replaced, or deleted if DELETE."""
    document = valid()
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return json.dumps(document)


DELETE = object()

CORRUPT = [
    # wrong format or version
    (edited("format", "something.else"), "format should be 'venice-jupyter.conversation'"),
    (edited("format", DELETE), "format should be 'venice-jupyter.conversation', but it is missing"),
    (
        edited("version", 2),
        "version should be 1, but it is a number (2). It was written by a newer",
    ),
    (edited("version", "1"), 'version should be the number 1, but it is a string ("1")'),
    (edited("version", True), "version should be the number 1, but it is a boolean (true)"),
    (edited("version", DELETE), "version should be the number 1, but it is missing"),
    # top-level fields
    (json.dumps([1, 2]), "the document should be a JSON object"),
    (edited("name", DELETE), "name should be the conversation's name, but it is missing"),
    (edited("name", "  "), "name should be a non-empty name"),
    (edited("system", 5), "system should be a string or null, but it is a number (5)"),
    (edited("turns", {}), "turns should be a list of turns, but it is an object"),
    (edited("turns", DELETE), "turns should be a list of turns, but it is missing"),
    (edited("turns.1", "hi"), "turns[1] should be an object with 'user' and 'assistant'"),
    # messages
    (edited("turns.1.user", DELETE), "turns[1].user should be a user message, but it is missing"),
    (edited("turns.0.user.role", "assistant"), "turns[0].user.role should be 'user'"),
    (edited("turns.0.user.content", 5), "turns[0].user.content should be a string or a list"),
    (edited("turns.1.user.content", DELETE), "turns[1].user.content should be a string or a list"),
    (edited("turns.0.user.content.1", "x"), "turns[0].user.content[1] should be a content part"),
    (edited("turns.0.user.content.0.text", None), "turns[0].user.content[0].text should be a str"),
    (edited("turns.0.user.content.1.image_url.url", 7), "content[1].image_url.url should be a URL"),
    (edited("turns.0.user.content.2.type", DELETE), "turns[0].user.content[2].type should be"),
    (edited("turns.0.assistant.role", DELETE), "turns[0].assistant.role should be 'assistant'"),
    (edited("turns.0.assistant.content", ["a"]), "turns[0].assistant.content should be a string"),
    (edited("turns.0.assistant.content", ""), "turns[0].assistant should be an assistant message"),
    (
        edited("turns.1.assistant.tool_calls.0.function.arguments", {"city": "Rome"}),
        "turns[1].assistant.tool_calls[0].function.arguments should be a JSON string",
    ),
    (edited("turns.1.assistant.tool_calls.0.id", DELETE), "tool_calls[0].id should be the call"),
    # metadata
    (edited("turns.0.model", None), "turns[0].model should be a model id, but it is null"),
    (edited("turns.0.params", []), "turns[0].params should be an object of parameters"),
    (edited("turns.0.usage", 12), "turns[0].usage should be an object or null"),
    (edited("turns.0.usage.prompt_tokens", "12"), "turns[0].usage.prompt_tokens should be a whole"),
    (edited("turns.0.usage.total_tokens", 1.5), "usage.total_tokens should be a whole number"),
    (edited("turns.0.cost.usd", "free"), "turns[0].cost.usd should be a number, but it is a str"),
    (edited("turns.0.cost.estimated", 1), "turns[0].cost.estimated should be true or false"),
    (edited("turns.0.finish_reason", 0), "turns[0].finish_reason should be a string or null"),
    (edited("turns.0.created", "2024-01-01"), "turns[0].created should be unix seconds or null"),
]


@pytest.mark.parametrize(("text", "message"), CORRUPT)
def test_corrupt_documents_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        import_json(text)
    assert str(info.value).startswith("Cannot import the conversation: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", "line 1, column 1"),
        ("{", "line 1, column 2"),
        ('{\n  "format": "venice-jupyter.conversation",\n  "version": 1,,\n}', "line 3, column 16"),
        ("# trip\n\n## You\n", "line 1, column 1"),
    ],
)
def test_not_json_gives_line_and_column(text: str, where: str) -> None:
    with pytest.raises(ConfigError, match="it is not valid JSON") as info:
        import_json(text)
    assert where in str(info.value)


def test_optional_fields_may_be_left_out() -> None:
    text = json.dumps(
        {
            "format": FORMAT,
            "version": 1,
            "name": "hand-written",
            "turns": [
                {
                    "user": {"role": "user", "content": "hi"},
                    "assistant": {"role": "assistant", "content": "hello"},
                    "usage": {"prompt_tokens": 3, "some_future_field": "ignored"},
                }
            ],
        }
    )
    conv = import_json(text)
    turn = conv.turns[0]
    assert conv.system is None and turn.model == "" and turn.params == {}
    assert turn.reply.text == "hello" and turn.reply.usage == Usage(prompt_tokens=3)
    assert turn.reply.cost is None and turn.reply.created is None


# -- files -----------------------------------------------------------------------------


def test_save_and_load_json(tmp_path: Path) -> None:
    path = save(sample(), tmp_path / "chat.json")
    assert path == tmp_path / "chat.json"
    assert export_json(load(path)) == export_json(sample())
    assert export_json(load(str(path))) == export_json(sample())
    assert [p.name for p in tmp_path.iterdir()] == ["chat.json"]  # no temporary file left


def test_save_markdown(tmp_path: Path) -> None:
    save(sample(), tmp_path / "chat.MD")
    assert (tmp_path / "chat.MD").read_text(encoding="utf-8") == export_markdown(sample())


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_text("old")
    save(Conversation("new"), path)
    assert load(path).name == "new"


def test_loading_markdown_is_not_supported(tmp_path: Path) -> None:
    path = save(sample(), tmp_path / "chat.md")
    with pytest.raises(ParameterError, match=r"one-way transcripts.*\.json"):
        load(path)


@pytest.mark.parametrize("name", ["chat.txt", "chat", "chat.json.bak"])
def test_unknown_suffix_is_a_parameter_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(ParameterError, match=r"a file name ending in \.json or \.md"):
        save(sample(), tmp_path / name)
    with pytest.raises(ParameterError, match=r"a file name ending in \.json or \.md"):
        load(tmp_path / name)


def test_load_missing_file_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load("nope.json")
    assert str(tmp_path / "nope.json") in str(info.value)
    assert f"the current directory is {tmp_path}" in str(info.value)


def test_load_corrupt_file_names_the_file_and_the_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(edited("turns.0.user.content", 5), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: Cannot import the conversation: turns[0].user")


def test_load_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match=f"Cannot read the conversation from {path}"):
        load(path)


def test_save_into_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot save the conversation to") as caught:
        save(sample(), tmp_path / "no" / "such" / "dir" / "chat.json")
    assert "does not exist" in str(caught.value) and ".tmp" not in str(caught.value)
