"""Anthropic streams: decoder and encoder event sequences, errors, byte splits, SDK events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from anthropic.types import RawMessageStreamEvent
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from daemon.formats.anthropic import CODEC
from daemon.formats.reasoning import unpack
from daemon.formats.sse import SSEEvent, SSEParser, encode_event
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
    Request,
    Signature,
    SignatureDelta,
    StopReason,
    StreamError,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgumentsDelta,
    ToolCallPart,
    Usage,
    UsageUpdate,
    WireFormat,
)
from tests.unit.formats.anthropic.wellformed import check_stream, parse_stream

FIXTURES = Path(__file__).parents[3] / "fixtures" / "formats" / "anthropic"
TOOL_STREAM = (FIXTURES / "stream_tool_use.sse").read_bytes()
ERROR_STREAM = (FIXTURES / "stream_error.sse").read_bytes()
_SDK_EVENT = TypeAdapter(RawMessageStreamEvent)
A = WireFormat.ANTHROPIC


def decode_bytes(chunks: list[bytes]) -> list[StreamEvent]:
    parser, decoder = SSEParser(), CODEC.stream_decoder()
    out: list[StreamEvent] = []
    for chunk in chunks:
        for event in parser.feed(chunk):
            out.extend(decoder.feed(event))
    for event in parser.close():
        out.extend(decoder.feed(event))
    return out + decoder.close()


def encode_events(events: list[StreamEvent], close: bool = True) -> bytes:
    encoder = CODEC.stream_encoder(Request(model="claude-x"))
    raw = b"".join(encoder.feed(e) for e in events)
    return raw + encoder.close() if close else raw


def sdk_validate(raw: bytes) -> None:
    for _, data in parse_stream(raw):
        if data["type"] not in ("error", "ping"):
            _SDK_EVENT.validate_python(data, strict=True)


USAGE_START = Usage(input_tokens=2520, output_tokens=2, cached_tokens=2048)
USAGE_END = Usage(input_tokens=2520, output_tokens=89, cached_tokens=2048)
SIG = Signature(A, "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds")
EXPECTED_TOOL_EVENTS: list[StreamEvent] = [
    MessageStart(id="msg_014p7gG3wDgGV9EUtLvnow3U", model="claude-sonnet-4-5-20250929",
                 usage=USAGE_START),
    BlockStart(0, ThinkingPart()),
    ThinkingDelta(0, "I need the "),
    ThinkingDelta(0, "weather tool."),
    SignatureDelta(0, SIG),
    BlockStop(0),
    BlockStart(1, TextPart("")),
    TextDelta(1, "Okay, let's check "),
    TextDelta(1, "the weather for Paris — é✓."),
    BlockStop(1),
    BlockStart(2, ToolCallPart(id="toolu_01T1x1fJ34qAmk2tNTrN7Up6", name="get_weather")),
    ToolArgumentsDelta(2, '{"city": "Par'),
    ToolArgumentsDelta(2, 'is"}'),
    BlockStop(2),
    UsageUpdate(USAGE_END),
    MessageStop("tool_calls", usage=USAGE_END),
]  # fmt: skip


# --------------------------------------------------------------------------- decoder


def test_decoder_tool_stream_exact_events() -> None:
    assert decode_bytes([TOOL_STREAM]) == EXPECTED_TOOL_EVENTS


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(TOOL_STREAM)), max_size=12))
def test_decoder_any_byte_split_gives_same_events(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [
        TOOL_STREAM[a:b] for a, b in zip([0, *points], [*points, len(TOOL_STREAM)], strict=True)
    ]
    assert decode_bytes(chunks) == EXPECTED_TOOL_EVENTS


def test_decoder_error_event_closes_block_and_stops() -> None:
    events = decode_bytes([ERROR_STREAM])
    assert events[1:] == [
        BlockStart(0, TextPart("")),
        TextDelta(0, "Hel"),
        BlockStop(0),
        StreamError(ApiError(kind="overloaded", message="Overloaded", status=529)),
        MessageStop("error", usage=Usage(input_tokens=10, output_tokens=1)),
    ]


def test_decoder_cut_short_stream_ends_with_error() -> None:
    cut = TOOL_STREAM[: TOOL_STREAM.index(b'partial_json":"is')]
    events = decode_bytes([cut])
    assert events[-4:-2] == [ToolArgumentsDelta(2, '{"city": "Par'), BlockStop(2)]
    assert isinstance(events[-2], StreamError)
    assert events[-2].error.kind == "bad_gateway"
    assert isinstance(events[-1], MessageStop)
    assert events[-1].stop_reason == "error"


SERVER_BLOCK = {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}


def test_decoder_empty_tool_input_and_redacted_and_unknown_blocks() -> None:
    frames: list[dict[str, Any]] = [
        {"type": "message_start",
         "message": {"id": "m", "model": "x", "usage": {"input_tokens": 1}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "redacted_thinking", "data": "RED"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "t", "name": "noargs", "input": {}}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2,
         "content_block": SERVER_BLOCK},
        {"type": "content_block_delta", "index": 2,
         "delta": {"type": "input_json_delta", "partial_json": "{}"}},
        {"type": "content_block_stop", "index": 2},
        {"type": "message_delta", "delta": {"stop_reason": "pause_turn"},
         "usage": {"output_tokens": 3}},
        {"type": "message_stop"},
        {"type": "ping"},
    ]  # fmt: skip
    decoder = CODEC.stream_decoder()
    events: list[StreamEvent] = []
    for frame in frames:
        events.extend(decoder.feed(SSEEvent(data=orjson.dumps(frame).decode())))
    events += decoder.close()
    usage = Usage(input_tokens=1, output_tokens=3)
    assert events[1:] == [
        BlockStart(0, ThinkingPart(signature=Signature(A, "RED"), redacted=True)),
        BlockStop(0),
        BlockStart(1, ToolCallPart(id="t", name="noargs")),
        ToolArgumentsDelta(1, "{}"),
        BlockStop(1),
        BlockStart(2, TextPart("", extra={"_anthropic_block": SERVER_BLOCK})),
        BlockStop(2),
        UsageUpdate(usage),
        MessageStop("stop", usage=usage),
    ]


# --------------------------------------------------------------------------- encoder


def test_encoder_reproduces_the_upstream_stream() -> None:
    raw = encode_events(EXPECTED_TOOL_EVENTS)
    check_stream(raw)
    sdk_validate(raw)
    ours = [d for _, d in parse_stream(raw)]
    theirs = [d for _, d in parse_stream(TOOL_STREAM) if d["type"] != "ping"]
    # the upstream's empty input_json_delta is not replayed; everything else matches
    theirs = [d for d in theirs if d.get("delta", {}).get("partial_json") != ""]
    assert ours == theirs


def test_encoder_error_midway_closes_block_then_error_and_nothing_after() -> None:
    events: list[StreamEvent] = [
        MessageStart(id="m", model="x"),
        BlockStart(0, ToolCallPart(id="t", name="f")),
        ToolArgumentsDelta(0, '{"a"'),
        StreamError(ApiError(kind="rate_limit", message="slow down", status=429)),
        TextDelta(0, "ignored"),
        MessageStop("error"),
    ]
    raw = encode_events(events)
    check_stream(raw)
    types = [d["type"] for _, d in parse_stream(raw)]
    assert types == [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop",
        "error",
    ]  # fmt: skip
    assert parse_stream(raw)[-1][1]["error"] == {"type": "rate_limit_error", "message": "slow down"}


def test_encoder_is_robust_without_message_start_and_block_stop() -> None:
    raw = encode_events(
        [BlockStart(0, TextPart("")), TextDelta(0, "hi"), BlockStart(1, TextPart("")),
         TextDelta(1, "there"), MessageStop("length", stop_sequence=None)]
    )  # fmt: skip
    check_stream(raw)
    data = [d for _, d in parse_stream(raw)]
    assert data[0]["message"]["model"] == "claude-x"
    assert data[-2]["delta"]["stop_reason"] == "max_tokens"


def test_encoder_close_without_stop_ends_with_error() -> None:
    raw = encode_events([MessageStart(id="m", model="x"), BlockStart(0, TextPart("")),
                         TextDelta(0, "partial")])  # fmt: skip
    check_stream(raw)
    assert parse_stream(raw)[-1][1]["type"] == "error"


def test_encoder_carries_gemini_signatures_in_carrier_blocks() -> None:
    gem = Signature(WireFormat.GEMINI, "gsig")
    events: list[StreamEvent] = [
        MessageStart(id="m", model="gemini"),
        BlockStart(0, TextPart("")),
        SignatureDelta(0, gem),  # before any delta: a carrier precedes the text block
        TextDelta(0, "Hi"),
        BlockStop(0),
        BlockStart(1, ToolCallPart(id="c1", name="f", signature=gem)),
        ToolArgumentsDelta(1, '{"q": 1}'),
        BlockStop(1),
        BlockStart(2, ThinkingPart(text="", signature=None)),
        ThinkingDelta(2, "mull"),
        SignatureDelta(2, Signature(WireFormat.OPENAI_RESPONSES, "enc")),
        BlockStop(2),
        MessageStop("tool_calls", usage=Usage(input_tokens=3, output_tokens=4)),
    ]
    raw = encode_events(events)
    check_stream(raw)
    sdk_validate(raw)
    data = [d for _, d in parse_stream(raw)]
    starts = [d["content_block"]["type"] for d in data if d["type"] == "content_block_start"]
    assert starts == ["thinking", "text", "thinking", "tool_use", "thinking"]
    signatures = [d["delta"]["signature"] for d in data
                  if d.get("delta", {}).get("type") == "signature_delta"]  # fmt: skip
    restored = [unpack(s) for s in signatures]
    assert [r.signature if r else None for r in restored] == [
        gem,
        gem,
        Signature(WireFormat.OPENAI_RESPONSES, "enc"),
    ]
    assert restored[2] is not None
    assert restored[2].text == "mull"
    # The assembled message, sent back by the client, restores the Gemini signatures.
    content = assemble(raw)
    parts = (
        CODEC.decode_request(
            {"model": "m", "max_tokens": 9, "messages": [{"role": "assistant", "content": content}]}
        )
        .messages[0]
        .parts
    )
    assert parts[0] == TextPart("Hi", signature=gem)
    assert parts[1] == ToolCallPart(id="c1", name="f", arguments='{"q":1}', signature=gem)


def assemble(raw: bytes) -> list[dict[str, Any]]:
    """Build the content blocks a client SDK would assemble from the stream."""
    blocks: list[dict[str, Any]] = []
    json_text: list[str] = []
    for _, data in parse_stream(raw):
        if data["type"] == "content_block_start":
            blocks.append(dict(data["content_block"]))
            json_text = []
        elif data["type"] == "content_block_delta":
            delta, block = data["delta"], blocks[-1]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            else:
                json_text.append(delta["partial_json"])
        elif data["type"] == "content_block_stop" and blocks[-1]["type"] == "tool_use":
            blocks[-1]["input"] = orjson.loads("".join(json_text) or "{}")
    return blocks


def test_encoder_error_before_anything_is_a_lone_error_event() -> None:
    raw = encode_events([StreamError(ApiError(kind="overloaded", message="o", status=529))])
    check_stream(raw)
    assert [d["type"] for _, d in parse_stream(raw)] == ["error"]


def test_encoder_then_decoder_round_trip() -> None:
    events = decode_bytes([encode_events(EXPECTED_TOOL_EVENTS)])
    assert events == EXPECTED_TOOL_EVENTS


# --------------------------------------------------------------------------- properties

_texts = st.text(max_size=8)


@st.composite
def canonical_streams(draw: st.DrawFn) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    if draw(st.booleans()):
        events.append(MessageStart(id="msg_1", model="m", usage=Usage(input_tokens=5)))
    for index in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "thinking", "tool"]))
        part: TextPart | ThinkingPart | ToolCallPart
        if kind == "text":
            part = TextPart("")
        elif kind == "thinking":
            part = ThinkingPart()
        else:
            part = ToolCallPart(id=f"t{index}", name="f")
        events.append(BlockStart(index, part))
        for _ in range(draw(st.integers(0, 3))):
            choice = draw(st.sampled_from(["delta", "sig", "usage"]))
            if choice == "usage":
                events.append(UsageUpdate(Usage(output_tokens=draw(st.integers(0, 99)))))
            elif choice == "sig":
                fmt = draw(st.sampled_from(list(WireFormat)))
                events.append(SignatureDelta(index, Signature(fmt, draw(_texts))))
            elif kind == "text":
                events.append(TextDelta(index, draw(_texts)))
            elif kind == "thinking":
                events.append(ThinkingDelta(index, draw(_texts)))
            # tool blocks get their argument fragments below
        if kind == "tool":
            text = orjson.dumps(
                draw(st.dictionaries(_texts, st.integers(0, 999), max_size=3))
            ).decode()
            cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=3)))
            bounds = list(zip([0, *cuts], [*cuts, len(text)], strict=True))
            events.extend(ToolArgumentsDelta(index, text[a:b]) for a, b in bounds)
        if draw(st.booleans()):
            events.append(BlockStop(index))
    ending = draw(st.sampled_from(["stop", "error", "none", "stop_error"]))
    if ending == "stop":
        reasons: list[StopReason] = ["stop", "length", "tool_calls", "content_filter", "refusal"]
        events.append(MessageStop(draw(st.sampled_from(reasons))))
    elif ending == "error":
        events.append(StreamError(ApiError(kind="server_error", message="boom", status=500)))
    elif ending == "stop_error":
        events.append(MessageStop("error"))
    return events


@settings(max_examples=150, deadline=None)
@given(canonical_streams())
def test_every_encoded_stream_is_well_formed(events: list[StreamEvent]) -> None:
    raw = encode_events(events)
    check_stream(raw)
    sdk_validate(raw)


def test_encode_event_framing_matches_sse_helper() -> None:
    raw = encode_events([MessageStart(id="m", model="x"), MessageStop("stop")])
    first = raw.split(b"\n\n")[0] + b"\n\n"
    assert first.startswith(b"event: message_start\ndata: {")
    assert first == encode_event(first.split(b"data: ", 1)[1].strip().decode(), "message_start")
