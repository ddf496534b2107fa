"""daemon.formats.sse: the incremental event-stream parser and the encoder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.formats.sse import SSEEvent, SSEParser, encode_comment, encode_event


def parse(*chunks: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.close())
    return events


def parse_open(*chunks: bytes) -> list[SSEEvent]:
    """Events completed by the chunks alone, before close()."""
    parser = SSEParser()
    return [event for chunk in chunks for event in parser.feed(chunk)]


# --------------------------------------------------------------------------- line endings


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_every_line_ending(eol: str) -> None:
    raw = eol.join(["event: ping", "data: a", "data: b", "", "data: c", "", ""]).encode()
    assert parse_open(raw) == [SSEEvent("a\nb", event="ping"), SSEEvent("c")]


def test_mixed_line_endings() -> None:
    raw = b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r"
    assert parse_open(raw) == [SSEEvent("a\nb\nc"), SSEEvent("d")]


def test_cr_then_lf_in_the_next_chunk_is_one_line_break() -> None:
    # Were the LF taken as a blank line, "a" would be dispatched on its own.
    assert parse_open(b"data: a\r", b"\ndata: b\r\n\r\n") == [SSEEvent("a\nb")]


def test_cr_at_a_chunk_end_followed_by_an_empty_chunk() -> None:
    assert parse_open(b"data: a\r", b"", b"\n", b"\r\n") == [SSEEvent("a")]


def test_cr_at_a_chunk_end_then_a_real_blank_line() -> None:
    assert parse_open(b"data: a\r", b"\r") == [SSEEvent("a")]


# --------------------------------------------------------------------------- fields


def test_comments_are_ignored() -> None:
    raw = b": keep-alive\n:\ndata: x\n: between\ndata: y\n\n: trailing\n\n"
    assert parse_open(raw) == [SSEEvent("x\ny")]


def test_only_one_space_after_the_colon_is_dropped() -> None:
    assert parse_open(b"data:x\n\ndata:  y\n\ndata:\n\n") == [
        SSEEvent("x"),
        SSEEvent(" y"),
        SSEEvent(""),
    ]


def test_a_field_without_a_colon_has_an_empty_value() -> None:
    assert parse_open(b"data\ndata\n\n") == [SSEEvent("\n")]


def test_colons_in_the_value_are_kept() -> None:
    assert parse_open(b'data: {"a": "b:c"}\n\n') == [SSEEvent('{"a": "b:c"}')]


def test_a_blank_line_without_data_dispatches_nothing_and_resets_the_event_name() -> None:
    assert parse_open(b"event: lost\n\ndata: x\n\n") == [SSEEvent("x")]


def test_event_name_and_retry_apply_to_one_event_only() -> None:
    raw = b"event: a\nretry: 1500\ndata: 1\n\ndata: 2\n\n"
    assert parse_open(raw) == [SSEEvent("1", event="a", retry=1500), SSEEvent("2")]


def test_retry_must_be_digits() -> None:
    assert parse_open(b"retry: soon\ndata: x\n\nretry: -5\ndata: y\n\n") == [
        SSEEvent("x"),
        SSEEvent("y"),
    ]


def test_id_persists_and_an_id_with_nul_is_ignored() -> None:
    raw = b"id: 7\ndata: a\n\ndata: b\n\nid: 8\x00\ndata: c\n\nid\ndata: d\n\n"
    assert parse_open(raw) == [
        SSEEvent("a", id="7"),
        SSEEvent("b", id="7"),  # the last event id carries over
        SSEEvent("c", id="7"),
        SSEEvent("d", id=""),  # an empty id resets it
    ]


def test_unknown_fields_are_ignored() -> None:
    assert parse_open(b"foo: bar\ndata: x\nData: y\n\n") == [SSEEvent("x")]


def test_a_bom_is_not_stripped_but_does_not_break_later_events() -> None:
    events = parse_open(b"\xef\xbb\xbfdata: a\n\ndata: b\n\n")
    assert events[-1] == SSEEvent("b")


# --------------------------------------------------------------------------- UTF-8 and close


def test_utf8_split_inside_a_sequence() -> None:
    raw = "data: h€llo 🎉\n\n".encode()
    cut = raw.index("€".encode()) + 1
    assert parse_open(raw[:cut], raw[cut:]) == [SSEEvent("h€llo 🎉")]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert parse_open(b"data: a\xffb\n\n") == [SSEEvent("a\ufffdb")]


def test_close_flushes_a_final_event_without_its_blank_line() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: done\n") == []
    assert parser.close() == [SSEEvent("done")]
    parser = SSEParser()
    assert parser.feed(b"event: e\ndata: x") == []
    assert parser.close() == [SSEEvent("x", event="e")]


def test_close_with_nothing_pending() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\n\n") == [SSEEvent("a")]
    assert parser.close() == []
    assert SSEParser().close() == []
    comment_only = SSEParser()
    comment_only.feed(b": just a comment")
    assert comment_only.close() == []


def test_close_with_a_truncated_utf8_sequence() -> None:
    parser = SSEParser()
    parser.feed(b"data: \xe2\x82")
    assert parser.close() == [SSEEvent("\ufffd")]


# --------------------------------------------------------------------------- arbitrary splits

STREAM = (
    "event: message_start\r\n"
    'data: {"t": "h€llo"}\r\n'
    "\r\n"
    ": ping\r"
    "data: line one\r"
    "data: 🎉 two\r"
    "\r"
    "id: 42\n"
    "data: three\n"
    "\n"
    "data: last"
).encode()
STREAM_EVENTS = [
    SSEEvent('{"t": "h€llo"}', event="message_start"),
    SSEEvent("line one\n🎉 two"),
    SSEEvent("three", id="42"),
    SSEEvent("last", id="42"),
]


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_split_at_every_byte_offset(cut: int) -> None:
    assert parse(STREAM[:cut], STREAM[cut:]) == STREAM_EVENTS


def test_one_byte_at_a_time() -> None:
    assert parse(*(STREAM[i : i + 1] for i in range(len(STREAM)))) == STREAM_EVENTS


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"),
    max_size=12,
)
_EOL = st.sampled_from(["\n", "\r", "\r\n"])


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[SSEEvent]]:
    """A stream of random events and comments with random line endings, and its events."""
    lines: list[str] = []
    expected: list[SSEEvent] = []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(st.none() | st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
        data_lines = draw(st.lists(_TEXT, min_size=1, max_size=3))
        if name:
            lines.append(f"event: {name}")
        if draw(st.booleans()):
            lines.append(": " + draw(_TEXT))
        lines.extend(f"data: {line}" for line in data_lines)
        lines.append("")
        expected.append(SSEEvent("\n".join(data_lines), event=name))
    text = ""
    previous = ""
    for line in lines:
        eol = draw(_EOL)
        if previous == "\r" and not line and eol.startswith("\n"):
            eol = "\r"  # CR + an empty line ending in LF would read as one CRLF
        text += line + eol
        previous = eol
    return text.encode(), expected


@settings(deadline=None, max_examples=300)
@given(data=streams(), cuts=st.lists(st.integers(0, 10_000), max_size=8))
def test_any_split_gives_the_same_events(
    data: tuple[bytes, list[SSEEvent]], cuts: list[int]
) -> None:
    raw, expected = data
    points = sorted({c % (len(raw) + 1) for c in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert parse(*pieces) == expected
    assert parse(raw) == expected


# --------------------------------------------------------------------------- encoding


def test_encode_single_line() -> None:
    assert encode_event('{"a":1}') == b'data: {"a":1}\n\n'
    assert encode_event("x", event="delta") == b"event: delta\ndata: x\n\n"
    assert encode_event("") == b"data: \n\n"


@pytest.mark.parametrize("data", ["a\nb", "a\r\nb", "a\rb"])
def test_encode_multi_line_data_as_several_data_lines(data: str) -> None:
    assert encode_event(data, event="e") == b"event: e\ndata: a\ndata: b\n\n"


def test_encode_keeps_empty_lines_inside_data() -> None:
    encoded = encode_event("a\n\nb\n")
    assert encoded == b"data: a\ndata: \ndata: b\ndata: \n\n"
    assert parse_open(encoded) == [SSEEvent("a\n\nb\n")]


@given(data=st.text(alphabet=st.characters(codec="utf-8")), event=_TEXT)
def test_encode_then_parse_round_trips(data: str, event: str) -> None:
    name = event.strip() or None
    if name is not None and (name.startswith(" ") or ":" in name):
        name = "e"
    expected = data.replace("\r\n", "\n").replace("\r", "\n")
    events = parse_open(encode_event(data, event=name))
    assert events == [SSEEvent(expected, event=name)]


def test_encode_comment() -> None:
    assert encode_comment() == b": \n\n"
    assert encode_comment("keep-alive") == b": keep-alive\n\n"
    assert parse_open(encode_comment("x") + encode_event("y")) == [SSEEvent("y")]
