from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from daemon.formats.openai_chat import CODEC
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
from tests.unit.formats.openai_chat.support import load_bytes
from tests.unit.formats.openai_chat.test_openai_chat_stream_decode import (
    EXPECTED_FIXTURE,
    decode_bytes,
)
from tests.unit.formats.openai_chat.wellformed import check_stream

USAGE = Usage(input_tokens=9, output_tokens=4, cached_tokens=2, reasoning_tokens=1)

TOOL_STREAM: list[StreamEvent] = [
    MessageStart(id="msg_1", model="claude", created=100),
    BlockStart(0, ThinkingPart()),
    ThinkingDelta(0, "hmm"),
    SignatureDelta(0, Signature(WireFormat.ANTHROPIC, "sig")),
    BlockStop(0),
    BlockStart(1, TextPart("")),
    TextDelta(1, "Let me look."),
    BlockStop(1),
    BlockStart(2, ToolCallPart(id="toolu_a", name="read")),
    ToolArgumentsDelta(2, '{"path":'),
    ToolArgumentsDelta(2, '"a.txt"}'),
    BlockStop(2),
    BlockStart(3, ToolCallPart(id="toolu_b", name="ls")),
    ToolArgumentsDelta(3, "{}"),
    BlockStop(3),
    UsageUpdate(USAGE),
    MessageStop(stop_reason="tool_calls", usage=USAGE),
]


def encode(events: list[StreamEvent], include_usage: bool | None = True) -> bytes:
    encoder = CODEC.stream_encoder(Request(model="req-model", include_usage=include_usage))
    return b"".join(encoder.feed(e) for e in events) + encoder.close()


def payloads(raw: bytes) -> list[Any]:
    parser = SSEParser()
    events = parser.feed(raw) + parser.close()
    return [e.data if e.data == "[DONE]" else orjson.loads(e.data) for e in events]


def _head(**more: Any) -> dict[str, Any]:
    return {"id": "msg_1", "object": "chat.completion.chunk", "created": 100, "model": "claude"}


def _delta(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        **_head(),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        "usage": None,
    }


def test_tool_stream_exact_chunks() -> None:
    raw = encode(TOOL_STREAM)
    check_stream(raw)
    assert payloads(raw) == [
        _delta({"role": "assistant"}),
        _delta({"reasoning_content": "hmm"}),
        _delta({"content": "Let me look."}),
        _delta(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "toolu_a",
                        "type": "function",
                        "function": {"name": "read", "arguments": ""},
                    }
                ]
            }
        ),
        _delta({"tool_calls": [{"index": 0, "function": {"arguments": '{"path":'}}]}),
        _delta({"tool_calls": [{"index": 0, "function": {"arguments": '"a.txt"}'}}]}),
        _delta(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "toolu_b",
                        "type": "function",
                        "function": {"name": "ls", "arguments": ""},
                    }
                ]
            }
        ),
        _delta({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
        _delta({}, "tool_calls"),
        {
            **_head(),
            "choices": [],
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": 4,
                "total_tokens": 13,
                "prompt_tokens_details": {"cached_tokens": 2},
                "completion_tokens_details": {"reasoning_tokens": 1},
            },
        },
        "[DONE]",
    ]


def test_without_include_usage_no_usage_keys() -> None:
    raw = encode(TOOL_STREAM, include_usage=None)
    check_stream(raw)
    chunks = payloads(raw)
    assert all("usage" not in c for c in chunks if isinstance(c, dict))
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_signature_drop_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cliproxy.formats"):
        encode(TOOL_STREAM)
    assert "signature" in caplog.text


def test_round_trip_through_own_decoder() -> None:
    raw = encode(TOOL_STREAM)
    decoded = decode_bytes(raw)
    assert decoded == [
        MessageStart(id="msg_1", model="claude", created=100),
        BlockStart(0, ThinkingPart()),
        ThinkingDelta(0, "hmm"),
        BlockStop(0),
        BlockStart(1, TextPart("")),
        TextDelta(1, "Let me look."),
        BlockStop(1),
        BlockStart(2, ToolCallPart(id="toolu_a", name="read")),
        ToolArgumentsDelta(2, '{"path":'),
        ToolArgumentsDelta(2, '"a.txt"}'),
        BlockStop(2),
        BlockStart(3, ToolCallPart(id="toolu_b", name="ls")),
        ToolArgumentsDelta(3, "{}"),
        BlockStop(3),
        UsageUpdate(Usage(9, 4, 2, 0, 1)),
        MessageStop(stop_reason="tool_calls", usage=Usage(9, 4, 2, 0, 1)),
    ]


def test_fixture_decode_then_encode_then_decode_is_stable() -> None:
    raw = encode(EXPECTED_FIXTURE)
    check_stream(raw)
    assert decode_bytes(raw) == EXPECTED_FIXTURE
    assert decode_bytes(load_bytes("stream_tool.sse")) == EXPECTED_FIXTURE


def test_stream_error_mid_way() -> None:
    events: list[StreamEvent] = [
        MessageStart(id="msg_1", model="claude", created=100),
        BlockStart(0, TextPart("")),
        TextDelta(0, "par"),
        StreamError(ApiError("overloaded", "Overloaded", 529)),
        MessageStop(stop_reason="error"),
    ]
    raw = encode(events)
    check_stream(raw)
    chunks = payloads(raw)
    assert chunks[-2] == {
        "error": {"message": "Overloaded", "type": "server_error", "param": None, "code": None}
    }
    assert chunks[-1] == "[DONE]"
    assert len(chunks) == 4


def test_message_stop_error_before_stream_error_keeps_the_real_message() -> None:
    raw = encode(
        [
            MessageStart(id="msg_1", model="claude", created=100),
            MessageStop(stop_reason="error"),
            StreamError(ApiError("rate_limit", "slow down", 429)),
        ]
    )
    check_stream(raw)
    assert payloads(raw)[-2]["error"]["message"] == "slow down"


def test_close_without_message_stop_is_an_error() -> None:
    raw = encode([MessageStart(id="a", model="b"), TextDelta(0, "x")])
    check_stream(raw)
    assert "error" in payloads(raw)[-2]


def test_missing_message_start_and_block_start_are_tolerated() -> None:
    raw = encode(
        [
            TextDelta(0, "hi"),
            ToolArgumentsDelta(1, '{"a":1}'),
            ToolArgumentsDelta(1, "}"),
            MessageStop(stop_reason="length"),
        ],
        include_usage=False,
    )
    check_stream(raw)
    chunks = payloads(raw)
    assert chunks[0]["id"] == "chatcmpl-cliproxy"
    assert chunks[0]["model"] == "req-model"
    assert chunks[2]["choices"][0]["delta"]["tool_calls"][0]["index"] == 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


def test_events_after_the_end_are_ignored() -> None:
    encoder = CODEC.stream_encoder(Request(model="m"))
    encoder.feed(MessageStop(stop_reason="stop"))
    assert encoder.feed(TextDelta(0, "late")) == b""
    assert encoder.close() == b""


@pytest.mark.parametrize(
    ("stop", "finish"),
    [("stop", "stop"), ("length", "length"), ("content_filter", "content_filter")],
)
def test_finish_reasons(stop: Any, finish: str) -> None:
    raw = encode([MessageStart(id="a", model="b"), MessageStop(stop_reason=stop)])
    check_stream(raw)
    assert payloads(raw)[-3]["choices"][0]["finish_reason"] == finish


# ------------------------------------------------------------------ the checker itself


def _sse(*items: Any) -> bytes:
    return b"".join(
        b"data: " + (i.encode() if isinstance(i, str) else orjson.dumps(i)) + b"\n\n" for i in items
    )


def _c(delta: dict[str, Any], finish: str | None = None, **over: Any) -> dict[str, Any]:
    chunk = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    chunk.update(over)
    return chunk


ROLE = {"role": "assistant"}
TOOL0 = {"tool_calls": [{"index": 0, "id": "a", "type": "function", "function": {"name": "f"}}]}


@pytest.mark.parametrize(
    "raw",
    [
        _sse(_c(ROLE), _c({}, "stop")),  # no [DONE]
        _sse(_c({"content": "a"}), _c({}, "stop"), "[DONE]"),  # no role first
        _sse(_c(ROLE), "[DONE]"),  # no finish
        _sse(_c(ROLE), _c({}, "stop"), _c({"content": "late"}), "[DONE]"),
        _sse(_c(ROLE), _c({}, "stop", id="y"), "[DONE]"),  # id changed
        _sse(_c(ROLE), _c({"tool_calls": [{"index": 1, "id": "a"}]}), _c({}, "stop"), "[DONE]"),
        _sse(_c(ROLE), _c(TOOL0), _c(TOOL0), _c({}, "stop"), "[DONE]"),  # id repeated
        _sse(_c(ROLE, usage=None), _c({}, "stop"), "[DONE]"),  # usage null not everywhere
        _sse(_c(ROLE), {"error": {"message": "x"}}, "[DONE]"),  # error without type
        _sse(_c(ROLE), {"error": {"message": "x", "type": "t"}}, _c({}, "stop"), "[DONE]"),
        _sse(_c(ROLE), _c({}, "stop"), "[DONE]", "[DONE]"),
    ],
)
def test_checker_rejects_violations(raw: bytes) -> None:
    with pytest.raises(AssertionError):
        check_stream(raw)
