"""Gemini stream → canonical events."""

from __future__ import annotations

import base64

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.formats.gemini import CODEC
from daemon.formats.gemini._wire import invent_call_id
from daemon.formats.reasoning import pack
from daemon.formats.sse import SSEEvent, encode_event
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
    Signature,
    SignatureDelta,
    StreamError,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgumentsDelta,
    ToolCallPart,
    Usage,
    WireFormat,
)

from ._support import decode_stream, load_bytes

G = WireFormat.GEMINI
RAW = load_bytes("stream_tools.sse")


def _feed(*chunks: object, close: bool = True) -> list[StreamEvent]:
    decoder = CODEC.stream_decoder()
    events: list[StreamEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(SSEEvent(data=orjson.dumps(chunk).decode())))
    if close:
        events.extend(decoder.close())
    return events


def _chunk(*parts: dict[str, object], **extra: object) -> dict[str, object]:
    return {
        "candidates": [{"content": {"role": "model", "parts": list(parts)}, **extra}],
        "responseId": "r",
        "modelVersion": "m",
    }


def test_fixture_stream() -> None:
    call1 = invent_call_id("r-1", 0, "get_weather")
    call2 = invent_call_id("r-1", 1, "get_time")
    assert decode_stream(RAW) == [
        MessageStart(id="r-1", model="gemini-2.5-flash", usage=Usage(input_tokens=40)),
        BlockStart(0, ThinkingPart()),
        ThinkingDelta(0, "Thinking about "),
        ThinkingDelta(0, "weather."),
        BlockStop(0),
        BlockStart(1, TextPart("")),
        TextDelta(1, "I'll check "),
        TextDelta(1, "Paris."),
        BlockStop(1),
        BlockStart(2, ToolCallPart(call1, "get_weather", signature=Signature(G, "c2lnLTE="))),
        ToolArgumentsDelta(2, '{"city":"Paris"}'),
        BlockStop(2),
        BlockStart(3, ToolCallPart(call2, "get_time")),
        ToolArgumentsDelta(3, "{}"),
        BlockStop(3),
        MessageStop("tool_calls", Usage(input_tokens=40, output_tokens=40, reasoning_tokens=15)),
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(RAW)), max_size=12))
def test_any_byte_split_gives_the_same_events(cuts: list[int]) -> None:
    assert decode_stream(RAW, sorted(cuts)) == decode_stream(RAW)


def test_crlf_framing_like_gemini_sends() -> None:
    assert decode_stream(RAW.replace(b"\n", b"\r\n")) == decode_stream(RAW)


def test_signed_parts_are_blocks_of_their_own() -> None:
    events = _feed(
        _chunk({"text": "think", "thought": True}),
        _chunk({"text": "more", "thought": True, "thoughtSignature": "dA=="}),
        _chunk({"text": "Hello", "thoughtSignature": "eA=="}),
        _chunk({"text": " world"}),
        _chunk({"text": "", "thoughtSignature": "eQ=="}, finishReason="STOP"),
    )
    assert events == [
        MessageStart("r", "m"),
        BlockStart(0, ThinkingPart()),
        ThinkingDelta(0, "think"),
        ThinkingDelta(0, "more"),
        SignatureDelta(0, Signature(G, "dA==")),
        BlockStop(0),
        # a signed text part is a block of its own, its signature on BlockStart (model.py)
        BlockStart(1, TextPart("", signature=Signature(G, "eA=="))),
        TextDelta(1, "Hello"),
        BlockStop(1),
        BlockStart(2, TextPart("")),
        TextDelta(2, " world"),
        BlockStop(2),
        BlockStart(3, TextPart("", signature=Signature(G, "eQ=="))),
        BlockStop(3),
        MessageStop("stop", None),
    ]


def test_foreign_thinking_riding_on_a_part_becomes_a_thinking_block_before_it() -> None:
    """What a Gemini client's SDK makes of our stream for it (stream_encode.py): the packed
    signature on the call, or on the final text chunk, is a thinking block of its own."""
    sig = Signature(WireFormat.ANTHROPIC, "EqR==")
    packed = base64.b64encode(pack(ThinkingPart("hmm", signature=sig)).encode()).decode()
    call: dict[str, object] = {
        "functionCall": {"name": "f", "args": {}, "id": "c1"},
        "thoughtSignature": packed,
    }
    events = _feed(
        _chunk({"text": "hmm", "thought": True}),
        _chunk({"text": "Let me"}),
        _chunk(call),
        _chunk({"text": " see", "thoughtSignature": packed}, finishReason="STOP"),
    )
    assert events == [
        MessageStart("r", "m"),
        BlockStart(0, ThinkingPart()),
        ThinkingDelta(0, "hmm"),
        BlockStop(0),
        BlockStart(1, TextPart("")),
        TextDelta(1, "Let me"),
        BlockStop(1),
        # the text was shown already: only the signature
        BlockStart(2, ThinkingPart()),
        SignatureDelta(2, sig),
        BlockStop(2),
        BlockStart(3, ToolCallPart("c1", "f")),
        ToolArgumentsDelta(3, "{}"),
        BlockStop(3),
        BlockStart(4, ThinkingPart()),
        SignatureDelta(4, sig),
        BlockStop(4),
        BlockStart(5, TextPart("")),
        TextDelta(5, " see"),
        BlockStop(5),
        MessageStop("tool_calls", None),
    ]


def test_error_event_mid_stream() -> None:
    error = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    events = _feed(_chunk({"text": "par"}), error)
    assert events[:3] == [MessageStart("r", "m"), BlockStart(0, TextPart("")), TextDelta(0, "par")]
    assert events[3] == BlockStop(0)
    assert events[4] == StreamError(ApiError("overloaded", "overloaded", 503))
    assert events[5] == MessageStop("error", None)
    assert len(events) == 6  # close() adds nothing after the error


def test_cut_short_stream_ends_with_error() -> None:
    events = _feed(_chunk({"text": "par"}))
    assert events[-3:] == [
        BlockStop(0),
        StreamError(
            ApiError("bad_gateway", "the Gemini stream ended without a finish reason", 502)
        ),
        MessageStop("error", None),
    ]


def test_prompt_block_and_envelope_and_array_payload() -> None:
    blocked = {"response": {"promptFeedback": {"blockReason": "SAFETY"}, "responseId": "b"}}
    assert _feed(blocked) == [MessageStart("b", ""), MessageStop("content_filter", None)]
    # an array payload (the non-SSE form fed as one event) works too
    array = [_chunk({"text": "a"}), _chunk({"text": "b"}, finishReason="MAX_TOKENS")]
    events = _feed(array)
    assert [type(e).__name__ for e in events] == [
        "MessageStart",
        "BlockStart",
        "TextDelta",
        "TextDelta",
        "BlockStop",
        "MessageStop",
    ]
    last = events[-1]
    assert isinstance(last, MessageStop) and last.stop_reason == "length"


def test_malformed_event_is_a_stream_error() -> None:
    decoder = CODEC.stream_decoder()
    events = decoder.feed(SSEEvent(data="{not json"))
    assert isinstance(events[-2], StreamError) and events[-2].error.status == 502
    assert events[-1] == MessageStop("error", None)
    assert decoder.close() == []
    bad = _feed(_chunk({"functionCall": {"args": {}}}))
    assert isinstance(bad[-2], StreamError)
    assert bad[-1] == MessageStop("error", None)


def test_media_parts_are_skipped_and_events_after_finish_ignored() -> None:
    events = _feed(
        _chunk({"inlineData": {"mimeType": "image/png", "data": "AA=="}}, finishReason="STOP"),
        _chunk({"text": "late"}),
    )
    assert events == [MessageStart("r", "m"), MessageStop("stop", None)]


def test_sse_encoded_input() -> None:
    raw = encode_event(orjson.dumps(_chunk({"text": "x"}, finishReason="STOP")).decode())
    assert decode_stream(raw)[-1] == MessageStop("stop", None)
