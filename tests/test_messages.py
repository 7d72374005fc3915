"""Message helpers produce spec-valid messages and refuse the shapes the spec rejects."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.spec_validator import validate_request
from venice_jupyter.errors import ParameterError
from venice_jupyter.request import _messages as m
from venice_jupyter.request._params import ChatParams, build_body

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
GIF = b"GIF89a" + b"\x00" * 16
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": json.dumps({"city": "Venice"})},
}
# Wrong types on purpose, typed Any so the tests can pass them.
UNTYPED_NONE: Any = None
UNTYPED_INT: Any = 3
UNTYPED_DICT: Any = {"temp": 21}


def body_of(*msgs: dict[str, Any]) -> dict[str, Any]:
    body = build_body("zai-org-glm-5-1", list(msgs), ChatParams(), stream=False)
    validate_request(body)
    return body


def raises(fragments: tuple[str, ...], fn: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(ParameterError) as info:
        fn(*args, **kwargs)
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {info.value}"


def test_a_whole_conversation_is_spec_valid() -> None:
    conversation = [
        m.system("You are terse."),
        m.developer("Prefer metric units."),
        m.user("What is in this picture?", images=[PNG, "https://example.com/cat.jpg"]),
        m.assistant(
            None,
            tool_calls=[CALL],
            reasoning_content="The user wants weather.",
            reasoning_details=[{"type": "reasoning.text", "text": "..."}],
            thought_signature="sig==",
        ),
        m.tool("call_1", json.dumps({"temp_c": 21})),
        m.assistant("It is 21 °C."),
        m.user("Thanks!"),
    ]
    body = body_of(*conversation)
    assert body["messages"] == conversation


def test_user_with_images_puts_text_first() -> None:
    data_url = m.image_data_url(JPEG)
    message = m.user("Compare these.", images=[PNG, data_url, "https://example.com/a.png"])
    assert message["content"][0] == {"type": "text", "text": "Compare these."}
    urls = [part["image_url"]["url"] for part in message["content"][1:]]
    assert urls == [m.image_data_url(PNG), data_url, "https://example.com/a.png"]
    assert all(part["type"] == "image_url" for part in message["content"][1:])
    body_of(message)


def test_user_without_images_is_a_plain_string() -> None:
    assert m.user("hi") == {"role": "user", "content": "hi"}
    image_only = m.user("", images=[GIF])
    assert image_only["content"] == [
        {"type": "image_url", "image_url": {"url": m.image_data_url(GIF)}}
    ]
    body_of(image_only)


def test_the_spec_rejects_an_empty_text_part() -> None:
    # Why user("", images=...) drops the text part instead of sending it empty.
    with pytest.raises(AssertionError):
        body_of({"role": "user", "content": [{"type": "text", "text": ""}]})


@pytest.mark.parametrize(
    ("data", "mime"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")],
)
def test_image_data_url_sniffs_the_type(data: bytes, mime: str) -> None:
    url = m.image_data_url(data)
    prefix = f"data:{mime};base64,"
    assert url.startswith(prefix)
    assert base64.b64decode(url[len(prefix) :]) == data
    assert m.image_data_url(b"\x00\x01", "image/heic").startswith("data:image/heic;base64,")


@pytest.mark.parametrize(
    ("call", "fragments"),
    [
        (lambda: m.image_data_url(b"%PDF-1.7 hello"), ("image", "PNG, JPEG, GIF or WEBP")),
        (lambda: m.image_data_url(b""), ("image", "non-empty")),
        (lambda: m.image_data_url(PNG, "text/plain"), ("mime", "image/png")),
        (lambda: m.image_data_url(PNG, "image/"), ("mime",)),
        (lambda: m.user(""), ("user", "non-empty")),
        (lambda: m.user("   "), ("user", "non-empty")),
        (lambda: m.user("hi", images=["http://example.com/a.png"]), ("images[0]", "https://")),
        (lambda: m.user("hi", images=["/tmp/a.png"]), ("images[0]", "data:image/")),
        (lambda: m.user("hi", images=[PNG] * 11), ("images", "at most 10")),
        (lambda: m.system(""), ("system", "non-empty")),
        (lambda: m.developer(UNTYPED_NONE), ("developer", "non-empty")),
        (lambda: m.assistant(None), ("assistant", "content or tool_calls")),
        (lambda: m.assistant(""), ("assistant", "content or tool_calls")),
        (lambda: m.assistant(None, tool_calls=[]), ("tool_calls", "non-empty")),
        (lambda: m.assistant(None, tool_calls=[{"function": {"name": "f"}}]), ("tool_calls[0]",)),
        (
            lambda: m.assistant(None, tool_calls=[{**CALL, "type": "web"}]),
            ("tool_calls[0]", "function"),
        ),
        (
            lambda: m.assistant(None, tool_calls=[{"id": "c", "function": {"arguments": "{}"}}]),
            ("tool_calls[0].function.name",),
        ),
        (
            lambda: m.assistant(
                None, tool_calls=[{"id": "c", "function": {"name": "f", "arguments": {}}}]
            ),
            ("tool_calls[0].function.arguments", "json.dumps"),
        ),
        (lambda: m.assistant("x", reasoning_content=UNTYPED_INT), ("reasoning_content", "string")),
        (lambda: m.assistant("x", reasoning_details=[{"text": "t"}]), ("reasoning_details[0]",)),
        (lambda: m.tool("", "result"), ("tool_call_id", "non-empty")),
        (lambda: m.tool("call_1", UNTYPED_DICT), ("tool", "json.dumps")),
    ],
)
def test_bad_messages(call: Any, fragments: tuple[str, ...]) -> None:
    raises(fragments, call)


def test_assistant_shapes() -> None:
    assert m.assistant("ok") == {"role": "assistant", "content": "ok"}
    with_calls = m.assistant("", tool_calls=[CALL])
    assert with_calls == {"role": "assistant", "tool_calls": [CALL]}
    with_calls["tool_calls"][0]["id"] = "changed"
    assert CALL["id"] == "call_1"  # the helper copied the caller's list
    body_of(m.user("weather?"), with_calls, m.tool("changed", "21"))


def test_tool_allows_an_empty_result() -> None:
    message = m.tool("call_1", "")
    assert message == {"role": "tool", "tool_call_id": "call_1", "content": ""}
    body_of(m.user("run it"), m.assistant(None, tool_calls=[CALL]), message)


def test_check_messages() -> None:
    cleaned = m.check_messages([{"role": "assistant", "content": None, "tool_calls": [CALL]}])
    assert cleaned == [{"role": "assistant", "tool_calls": [CALL]}]
    nested_null = [{"role": "assistant", "tool_calls": [None]}]
    raises(("messages[0].tool_calls[0]", "null"), m.check_messages, nested_null)
    assert set(m.ROLES) == {"system", "developer", "user", "assistant", "tool"}
