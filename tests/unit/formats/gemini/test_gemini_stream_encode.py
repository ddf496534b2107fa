"""Canonical events → Gemini stream (SSE and JSON array)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from daemon.formats.gemini import CODEC
from daemon.formats.sse import SSEParser
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
    Request,
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
    UsageUpdate,
    WireFormat,
)

from ._support import decode_stream, load_bytes
from .wellformed import check_array, check_stream

REQUEST = Request(model="requested-model")
USAGE = Usage(input_tokens=10, output_tokens=6, reasoning_tokens=2)


def _encode(events: list[StreamEvent], sse: bool = True) -> bytes:
    encoder = CODEC.stream_encoder(REQUEST, sse=sse)
    return b"".join(encoder.feed(e) for e in events) + encoder.close()


def _chunks(raw: bytes) -> list[Any]:
    parser = SSEParser()
    return [orjson.loads(e.data) for e in parser.feed(raw) + parser.close()]


TOOL_STREAM: list[StreamEvent] = [
    MessageStart("msg_1", "claude-x"),
    BlockStart(0, ThinkingPart()),
    ThinkingDelta(0, "let me "),
    ThinkingDelta(0, "see"),
    SignatureDelta(0, Signature(WireFormat.ANTHROPIC, "anth")),
    BlockStop(0),
    BlockStart(1, TextPart("")),
    TextDelta(1, "Checking."),
    BlockStop(1),
    BlockStart(2, ToolCallPart("toolu_1", "get")),
    ToolArgumentsDelta(2, '{"ci'),
    ToolArgumentsDelta(2, 'ty": "Paris"}'),
    BlockStop(2),
    UsageUpdate(Usage(input_tokens=10)),
    MessageStop("tool_calls", USAGE),
]


def test_tool_stream_as_sse() -> None:
    raw = _encode(TOOL_STREAM)
    check_stream(raw)
    chunks = _chunks(raw)
    parts = [c["candidates"][0].get("content", {}).get("parts") for c in chunks]
    # the Anthropic signature rides, packed, on the function call (clients drop thought parts)
    packed = parts[3][0]["thoughtSignature"]
    base64.b64decode(packed, validate=True)
    assert parts[:4] == [
        [{"text": "let me ", "thought": True}],
        [{"text": "see", "thought": True}],
        [{"text": "Checking."}],
        [
            {
                "functionCall": {"name": "get", "args": {"city": "Paris"}, "id": "toolu_1"},
                "thoughtSignature": packed,
            }
        ],
    ]
    assert chunks[-1] == {
        "candidates": [{"finishReason": "STOP"}],
        "usageMetadata": {
            "promptTokenCount": 10,
            "candidatesTokenCount": 4,
            "totalTokenCount": 16,
            "thoughtsTokenCount": 2,
        },
        "modelVersion": "claude-x",
        "responseId": "msg_1",
    }


def test_tool_stream_as_json_array() -> None:
    raw = _encode(TOOL_STREAM, sse=False)
    assert raw.startswith(b"[{") and raw.endswith(b"}]")
    check_array(raw)
    assert orjson.loads(raw) == _chunks(_encode(TOOL_STREAM))


def _history_parts(chunks: list[Any]) -> list[Any]:
    return [p for c in chunks for p in c["candidates"][0].get("content", {}).get("parts", [])]


def _history(parts: list[Any]) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": "q"}]},
            {"role": "model", "parts": parts},
        ]
    }


@pytest.mark.parametrize("drop_thoughts", [False, True], ids=["all-parts", "gemini-cli"])
def test_client_history_restores_the_foreign_thinking_once(drop_thoughts: bool) -> None:
    history = _history_parts(_chunks(_encode(TOOL_STREAM)))
    if drop_thoughts:  # Gemini CLI keeps no thought parts in its history
        history = [p for p in history if not p.get("thought")]
    parts = CODEC.decode_request(_history(history)).messages[1].parts
    assert parts[0] == ThinkingPart("let me see", signature=Signature(WireFormat.ANTHROPIC, "anth"))
    assert parts[1] == TextPart("Checking.")
    assert isinstance(parts[2], ToolCallPart) and parts[2].id == "toolu_1"
    assert parts[2].signature is None
    assert len(parts) == 3


def _thinking_then_text(*texts: str) -> list[StreamEvent]:
    events: list[StreamEvent] = [
        MessageStart("msg_1", "claude-x"),
        BlockStart(0, ThinkingPart()),
        ThinkingDelta(0, "hmm"),
        SignatureDelta(0, Signature(WireFormat.ANTHROPIC, "anth")),
        BlockStop(0),
        BlockStart(1, TextPart("")),
    ]
    events += [TextDelta(1, t) for t in texts]
    return [*events, BlockStop(1), MessageStop("stop", USAGE)]


def test_without_calls_the_signature_rides_on_the_final_text_chunk() -> None:
    raw = _encode(_thinking_then_text("The ", "answer", "."))
    check_stream(raw)
    chunks = _chunks(raw)
    parts = [c["candidates"][0].get("content", {}).get("parts") for c in chunks]
    packed = parts[-1][0]["thoughtSignature"]
    # every text delta goes out, the last one held back until the turn's end shows it is last
    assert parts == [
        [{"text": "hmm", "thought": True}],
        [{"text": "The "}],
        [{"text": "answer"}],
        [{"text": ".", "thoughtSignature": packed}],
    ]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    history = [p for p in _history_parts(chunks) if not p.get("thought")]
    restored = CODEC.decode_request(_history(history)).messages[1].parts
    assert restored == [
        ThinkingPart("hmm", signature=Signature(WireFormat.ANTHROPIC, "anth")),
        TextPart("The "),
        TextPart("answer"),
        TextPart("."),
    ]


def test_held_text_goes_out_before_later_output_and_errors() -> None:
    events = _thinking_then_text("a", "b")
    # more thinking after the text: the held chunk is released plain, before it
    later: list[StreamEvent] = [
        BlockStart(2, ThinkingPart()),
        ThinkingDelta(2, "more"),
        BlockStop(2),
    ]
    raw = _encode([*events[:-1], *later, events[-1]])
    parts = [c["candidates"][0].get("content", {}).get("parts") for c in _chunks(raw)]
    assert parts[:4] == [
        [{"text": "hmm", "thought": True}],
        [{"text": "a"}],
        [{"text": "b"}],
        [{"text": "more", "thought": True}],
    ]
    # nothing after the thinking carries its signature: a thought part at the end does
    last = parts[-1]
    assert len(last) == 1 and last[0]["thought"] is True and last[0]["text"] == ""
    base64.b64decode(last[0]["thoughtSignature"], validate=True)
    # a failure mid-turn still shows the text held back, then the error
    failed = [*events[:-2], StreamError(ApiError("overloaded", "busy", 503))]
    raw = _encode(failed)
    check_stream(raw)
    chunks = _chunks(raw)
    assert [c["candidates"][0]["content"]["parts"] for c in chunks[:-1]] == [
        [{"text": "hmm", "thought": True}],
        [{"text": "a"}],
        [{"text": "b"}],
    ]
    assert chunks[-1]["error"]["code"] == 503


def test_thinking_alone_keeps_the_signature_on_a_thought_part() -> None:
    events: list[StreamEvent] = [
        MessageStart("msg_1", "claude-x"),
        BlockStart(
            0, ThinkingPart(signature=Signature(WireFormat.ANTHROPIC, "red"), redacted=True)
        ),
        BlockStop(0),
        MessageStop("stop", USAGE),
    ]
    raw = _encode(events)
    check_stream(raw)
    (only,) = _chunks(raw)
    (part,) = only["candidates"][0]["content"]["parts"]
    assert (part["text"], part["thought"]) == ("", True)
    restored = CODEC.decode_request(_history([part])).messages[1].parts
    assert restored == [
        ThinkingPart(signature=Signature(WireFormat.ANTHROPIC, "red"), redacted=True)
    ]


def test_gemini_stream_survives_decode_encode_decode() -> None:
    raw = load_bytes("stream_tools.sse")
    first = decode_stream(raw)
    encoded = _encode(first)
    check_stream(encoded)
    second = decode_stream(encoded)
    # usage goes out on the finish chunk only, so the prompt usage known at the start is not
    # repeated up front
    assert isinstance(first[0], MessageStart)
    first[0].usage = None
    assert second == [e for e in first if not isinstance(e, UsageUpdate)]


def test_error_mid_stream() -> None:
    events: list[StreamEvent] = [
        MessageStart("r", "m"),
        BlockStart(0, TextPart("")),
        TextDelta(0, "par"),
        StreamError(ApiError("overloaded", "try later", 503, retry_after=2)),
        TextDelta(0, "ignored"),
        MessageStop("stop"),
    ]
    raw = _encode(events)
    check_stream(raw)
    assert _chunks(raw)[-1] == {
        "error": {
            "code": 503,
            "message": "try later",
            "status": "UNAVAILABLE",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}],
        }
    }
    array = _encode(events, sse=False)
    check_array(array)
    assert orjson.loads(array)[-1]["error"]["code"] == 503


def test_error_first_and_empty_streams() -> None:
    only_error: list[StreamEvent] = [StreamError(ApiError("rate_limit", "slow down", 429))]
    check_stream(_encode(only_error))
    check_array(_encode(only_error, sse=False))
    assert _encode([], sse=False) == b"[]"
    assert _encode([]) == b""


def test_robust_without_message_start_or_block_stops() -> None:
    events: list[StreamEvent] = [
        TextDelta(0, "hi"),
        BlockStart(1, ToolCallPart("c1", "f", '{"a":1}')),
        MessageStop("tool_calls", USAGE),
    ]
    raw = _encode(events)
    chunks = _chunks(raw)
    assert chunks[0] == {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}}],
        "modelVersion": "requested-model",
    }
    assert chunks[1]["candidates"][0] == {
        "content": {
            "role": "model",
            "parts": [{"functionCall": {"name": "f", "args": {"a": 1}, "id": "c1"}}],
        },
        "finishReason": "STOP",
    }


def test_decoder_close_sequence_encodes_well_formed() -> None:
    # the reverse of the documented failure order (model.py) must still end well formed
    events: list[StreamEvent] = [
        MessageStart("r", "m"),
        BlockStart(0, TextPart("")),
        TextDelta(0, "x"),
        BlockStop(0),
        MessageStop("error"),
        StreamError(ApiError("bad_gateway", "cut", 502)),
    ]
    raw = _encode(events)
    check_stream(raw)
    chunks = _chunks(raw)
    assert chunks[-2]["candidates"][0]["finishReason"] == "OTHER"
    assert "error" in chunks[-1]


def test_text_and_tool_call_signatures() -> None:
    sig = Signature(WireFormat.GEMINI, "c2ln")
    events: list[StreamEvent] = [
        MessageStart("r", "m"),
        BlockStart(0, TextPart("")),
        TextDelta(0, "a"),
        SignatureDelta(0, sig),
        BlockStop(0),
        BlockStart(1, ToolCallPart("gcall_x", "f")),
        SignatureDelta(1, sig),
        BlockStop(1),
        MessageStop("tool_calls"),
    ]
    chunks = _chunks(_encode(events))
    assert chunks[1]["candidates"][0]["content"]["parts"] == [
        {"text": "", "thoughtSignature": "c2ln"}
    ]
    # an invented id stays out; an empty argument string sends no args
    assert chunks[2]["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"name": "f"}, "thoughtSignature": "c2ln"}
    ]


@pytest.mark.parametrize("sse", [True, False])
def test_checker_catches_violations(sse: bool) -> None:
    good = _chunks(_encode(TOOL_STREAM))
    broken = [good[-1], *good[:-1]]  # finish chunk first
    raw = (
        b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in broken)
        if sse
        else orjson.dumps(broken)
    )
    with pytest.raises(AssertionError):
        (check_stream if sse else check_array)(raw)
    with pytest.raises(AssertionError):
        check_array(orjson.dumps(good[:-1]))  # no finishReason
