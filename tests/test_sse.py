"""The SSE decoder against the WHATWG parsing rules and the ways networks split bytes."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import venice_jupyter.api._sse as sse_module
from venice_jupyter.api._sse import DONE_DATA, SSEDecoder, SSEEvent, parse_data
from venice_jupyter.errors import ProtocolError


def decode(*feeds: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for feed in feeds:
        events.extend(decoder.feed(feed))
    events.extend(decoder.finish())
    return events


def data_of(events: list[SSEEvent]) -> list[str]:
    return [event.data for event in events]


def test_module_is_sans_io() -> None:
    tree = ast.parse(Path(sse_module.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not imported & {"httpx", "socket", "asyncio", "requests"}


@pytest.mark.parametrize("eol", ["\n", "\r", "\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_ending(eol: str) -> None:
    body = f"data: one{eol}{eol}data: two{eol}{eol}".encode()
    assert decode(body) == [SSEEvent(data="one"), SSEEvent(data="two")]


def test_mixed_line_endings_in_one_stream() -> None:
    assert data_of(decode(b"data: a\r\n\rdata: b\n\r\ndata: c\r\r")) == ["a", "b", "c"]


def test_crlf_split_across_feeds_is_one_line_ending() -> None:
    # Were CR | LF two endings, the LF would be a blank line and dispatch "a" on its own.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [SSEEvent(data="a\nb")]
    assert decoder.finish() == []


def test_cr_at_end_of_feed_then_blank_line_cr() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\r") == [SSEEvent(data="a")]


def test_cr_then_empty_feed_then_lf() -> None:
    # An empty read (or one holding half a character) must not forget the pending CR.
    decoder = SSEDecoder()
    decoder.feed(b"data: a\r")
    decoder.feed(b"")
    assert decoder.feed(b"\n\n") == [SSEEvent(data="a")]


def test_comments_are_ignored() -> None:
    body = b": keep-alive\n\n:ping\ndata: x\n: between\ndata: y\n\n"
    assert decode(body) == [SSEEvent(data="x\ny")]


def test_multiline_data_is_joined_with_lf() -> None:
    assert data_of(decode(b"data: line 1\ndata: line 2\ndata:\ndata: line 4\n\n")) == [
        "line 1\nline 2\n\nline 4"
    ]


def test_only_one_space_after_the_colon_is_removed() -> None:
    assert data_of(decode(b"data:x\n\ndata:  x\n\ndata:\tx\n\n")) == ["x", " x", "\tx"]


def test_line_without_colon_is_a_field_with_empty_value() -> None:
    assert decode(b"data\n\n") == [SSEEvent(data="")]
    assert decode(b"data\ndata\n\n") == [SSEEvent(data="\n")]


def test_event_with_empty_data_buffer_is_not_dispatched() -> None:
    body = b"event: lonely\n\nid: 1\n\ndata: real\n\n"
    # The event type is reset by the blank line, so "real" is a plain message.
    assert decode(body) == [SSEEvent(event="message", data="real", id="1")]


def test_unknown_fields_are_ignored() -> None:
    assert decode(b"foo: bar\nDATA: no\ndata: yes\nbaz\n\n") == [SSEEvent(data="yes")]


def test_event_id_and_retry_fields() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(
        b"event: ping\nid: 7\nretry: 1500\ndata: {}\n\ndata: next\n\nid\ndata: cleared\n\n"
    )
    assert events == [
        SSEEvent(event="ping", data="{}", id="7", retry=1500),
        SSEEvent(event="message", data="next", id="7", retry=None),  # the id persists
        SSEEvent(event="message", data="cleared", id="", retry=None),
    ]
    assert decoder.last_event_id == ""
    assert decoder.retry == 1500


def test_empty_event_name_means_message() -> None:
    assert decode(b"event:\ndata: x\n\n") == [SSEEvent(event="message", data="x")]


def test_id_with_nul_is_ignored() -> None:
    assert decode(b"id: 1\n\nid: a\x00b\ndata: x\n\n") == [SSEEvent(data="x", id="1")]


@pytest.mark.parametrize("value", ["", "12a", "-5", "1.5", "  3", "3 ", "²", "١٢"])
def test_retry_must_be_ascii_digits(value: str) -> None:
    decoder = SSEDecoder()
    events = decoder.feed(f"retry:{value}\ndata: x\n\n".encode())
    assert events == [SSEEvent(data="x")]
    assert decoder.retry is None


def test_retry_in_a_block_without_data_is_still_recorded() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"retry: 3000\n\n") == []
    assert decoder.retry == 3000


def test_leading_bom_is_stripped_once() -> None:
    bom = "\ufeff".encode()
    assert decode(bom + b"data: x\n\n") == [SSEEvent(data="x")]
    # A second BOM is part of the field name, which is then unknown.
    assert decode(bom + bom + b"data: x\n\n") == []
    assert decode(b"data: x\n\n" + bom + b"data: y\n\n") == [SSEEvent(data="x")]


def test_bom_split_across_feeds() -> None:
    bom = "\ufeff".encode()
    assert decode(bom[:1], bom[1:2], bom[2:] + b"data: x\n\n") == [SSEEvent(data="x")]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1e"])
def test_unicode_line_separators_inside_json_do_not_split(separator: str) -> None:
    text = f"before{separator}after"
    payload = json.dumps({"choices": [{"delta": {"content": text}}]}, ensure_ascii=False)
    events = decode(f"data: {payload}\n\n".encode())
    assert len(events) == 1
    chunk = parse_data(events[0])
    assert chunk is not None
    assert chunk["choices"][0]["delta"]["content"] == text


@pytest.mark.parametrize("char", ["é", "€", "中", "😀"])
def test_multibyte_character_split_at_every_byte_offset(char: str) -> None:
    body = f'data: {{"content": "a{char}b"}}\n\n'.encode()
    start = body.index(char.encode())
    for cut in range(start, start + len(char.encode()) + 1):
        events = decode(body[:cut], body[cut:])
        assert data_of(events) == [f'{{"content": "a{char}b"}}'], cut


def test_every_two_way_split_gives_the_same_events() -> None:
    body = "\ufeffdata: é😀\r\n: c\r\nid: 1\rdata: 中\n\r\nevent: e\ndata: x\r\r".encode()
    whole = decode(body)
    assert data_of(whole) == ["é😀\n中", "x"]
    for cut in range(len(body) + 1):
        assert decode(body[:cut], body[cut:]) == whole, cut


def test_one_byte_at_a_time_equals_all_at_once() -> None:
    body = (
        'data: {"a": "ü\u2028"}\r\n\r\n'
        ": comment\r"
        "event: x\rid: 9\rretry: 10\rdata: 1\rdata: 2\r\r"
        "data: 😀\n\n"
        "data: [DONE]\n\n"
    ).encode()
    whole = decode(body)
    assert len(whole) == 4
    assert decode(*(body[i : i + 1] for i in range(len(body)))) == whole


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert data_of(decode(b"data: a\xffb\xc3\n\n")) == ["a\ufffdb\ufffd"]


def test_truncated_character_at_end_of_stream_becomes_replacement() -> None:
    assert data_of(decode(b"data: a\xf0\x9f")) == ["a\ufffd"]


def test_finish_dispatches_pending_event_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: one\n\ndata: two\n") == [SSEEvent(data="one")]
    assert decoder.finish() == [SSEEvent(data="two")]


def test_finish_dispatches_unterminated_last_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: [DONE]") == []
    assert decoder.finish() == [SSEEvent(data="[DONE]")]


def test_finish_after_trailing_cr_does_not_lose_the_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.finish() == [SSEEvent(data="x")]


def test_finish_with_nothing_pending() -> None:
    assert decode(b"") == []
    assert decode(b"data: x\n\n: bye") == [SSEEvent(data="x")]


def test_long_line_across_many_feeds() -> None:
    payload = "x" * 100_000
    body = f"data: {payload}\n\n".encode()
    assert data_of(decode(*(body[i : i + 4096] for i in range(0, len(body), 4096)))) == [payload]


# parse_data


@pytest.mark.parametrize("data", ["[DONE]", " [DONE] ", "[DONE]\n", "\t[DONE]"])
def test_done_is_none(data: str) -> None:
    assert parse_data(SSEEvent(data=data)) is None
    assert DONE_DATA == "[DONE]"


def test_done_from_the_wire() -> None:
    events = decode(b'data: {"id": "c"}\n\ndata:  [DONE] \n\n')
    assert [parse_data(event) for event in events] == [{"id": "c"}, None]


def test_parse_data_returns_the_object() -> None:
    assert parse_data(SSEEvent(data='{"a": [1, "\u2028"]}')) == {"a": [1, "\u2028"]}


@pytest.mark.parametrize("data", ["{not json", "", "data: {}", '{"a": 1}}'])
def test_malformed_json_raises_protocol_error(data: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_data(SSEEvent(data=data))
    assert repr(data[:50]) in str(info.value)


@pytest.mark.parametrize("data", ["[1, 2]", '"text"', "42", "null", "true"])
def test_non_object_payload_raises_protocol_error(data: str) -> None:
    with pytest.raises(ProtocolError, match="not a JSON object"):
        parse_data(SSEEvent(data=data))


def test_protocol_error_truncates_the_offending_text() -> None:
    data = "{" + "x" * 5000
    with pytest.raises(ProtocolError) as info:
        parse_data(SSEEvent(data=data))
    assert "xxx..." in str(info.value)
    assert len(str(info.value)) < 400


# Property: any valid stream, any line endings, any split points -> the original events.

_LINE_CHARS = st.characters(exclude_characters="\r\n", exclude_categories=["Cs"])
_SPICY = st.sampled_from(["é", "😀", "中", "\u2028", "\u2029", "\x85", "\ufeff", ":", " ", "\x00"])
_TEXT = st.text(st.one_of(_LINE_CHARS, _SPICY), max_size=12)

_EVENTS = st.lists(
    st.tuples(
        st.one_of(st.none(), _TEXT.filter(bool)),  # event name
        st.lists(_TEXT, min_size=1, max_size=3),  # data lines
        st.one_of(st.none(), _TEXT.filter(lambda s: "\x00" not in s)),  # id
        st.one_of(st.none(), st.integers(0, 10**6)),  # retry
        st.booleans(),  # with a comment line
    ),
    max_size=6,
)


def _serialise(
    events: list[tuple[str | None, list[str], str | None, int | None, bool]],
) -> list[str]:
    lines: list[str] = []
    for name, data, event_id, retry, comment in events:
        if comment:
            lines.append(": note")
        if name is not None:
            lines.append(f"event: {name}")
        if event_id is not None:
            lines.append(f"id: {event_id}")
        if retry is not None:
            lines.append(f"retry: {retry}")
        lines.extend(f"data: {line}" for line in data)
        lines.append("")
    return lines


def _expected(
    events: list[tuple[str | None, list[str], str | None, int | None, bool]],
) -> list[SSEEvent]:
    out: list[SSEEvent] = []
    last_id: str | None = None
    for name, data, event_id, retry, _ in events:
        if event_id is not None:
            last_id = event_id
        out.append(SSEEvent(name or "message", "\n".join(data), last_id, retry))
    return out


@settings(max_examples=300, deadline=None)
@given(events=_EVENTS, draw=st.data())
def test_property_any_endings_any_splits(
    events: list[tuple[str | None, list[str], str | None, int | None, bool]],
    draw: st.DataObject,
) -> None:
    lines = _serialise(events)
    endings = draw.draw(
        st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=len(lines), max_size=len(lines))
    )
    for i, line in enumerate(lines):
        # CR then an empty line ending in LF would read as one CRLF: avoid writing that.
        if not line and i and endings[i - 1] == "\r" and endings[i] == "\n":
            endings[i] = "\r"
    body = "".join(line + eol for line, eol in zip(lines, endings, strict=True)).encode()
    if draw.draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body

    whole = decode(body)
    assert whole == _expected(events)

    cuts = sorted(draw.draw(st.lists(st.integers(0, len(body)), max_size=8)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert decode(*pieces) == whole
