from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from daemon.formats import reasoning
from daemon.formats.openai_responses import CODEC
from daemon.formats.sse import SSEEvent, SSEParser
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
    Tool,
    ToolArgumentsDelta,
    ToolCallPart,
    Usage,
    UsageUpdate,
    WireFormat,
)
from tests.unit.formats.openai_responses.wellformed import check_stream, parse

FIXTURES = Path(__file__).parents[3] / "fixtures" / "formats" / "openai_responses"
R = WireFormat.OPENAI_RESPONSES
RAW = (FIXTURES / "stream_tool_call.sse").read_bytes()
EVENT = TypeAdapter(ResponseStreamEvent)


def decode_bytes(chunks: list[bytes]) -> list[StreamEvent]:
    parser, decoder = SSEParser(), CODEC.stream_decoder()
    out: list[StreamEvent] = []
    for chunk in chunks:
        for event in parser.feed(chunk):
            out.extend(decoder.feed(event))
    for event in parser.close():
        out.extend(decoder.feed(event))
    return out + decoder.close()


def encode_events(events: list[StreamEvent], request: Request | None = None) -> bytes:
    encoder = CODEC.stream_encoder(request or Request(model="m"))
    return b"".join(encoder.feed(e) for e in events) + encoder.close()


EXPECTED: list[StreamEvent] = [
    MessageStart(id="resp_abc", model="gpt-5-codex", created=1756315696),
    BlockStart(0, ThinkingPart(id="rs_1")),
    ThinkingDelta(0, "**Plan"),
    ThinkingDelta(0, "ning**\n\nI will "),
    ThinkingDelta(0, "read it."),
    ThinkingDelta(0, "\n\n"),
    ThinkingDelta(0, "Done."),
    SignatureDelta(0, Signature(R, "gAAAAAB-enc-1==")),
    BlockStop(0),
    BlockStart(1, TextPart("")),
    TextDelta(1, "Reading "),
    TextDelta(1, "the file…"),
    BlockStop(1),
    BlockStart(
        2,
        ToolCallPart(
            "call_Z",
            "mcp__fs__read_file",
            extra={"_responses": {"ns": "mcp__fs__", "name": "read_file"}},
        ),
    ),
    ToolArgumentsDelta(2, '{"pa'),
    ToolArgumentsDelta(2, 'th":"READ'),
    ToolArgumentsDelta(2, 'ME.md"}'),
    BlockStop(2),
    MessageStop(
        "tool_calls",
        Usage(input_tokens=500, output_tokens=60, cached_tokens=128, reasoning_tokens=20),
    ),
]


def test_fixture_is_well_formed_and_sdk_valid() -> None:
    check_stream(RAW)
    for data in parse(RAW):
        EVENT.validate_python(data)


def test_decoder_gives_the_exact_events() -> None:
    assert decode_bytes([RAW]) == EXPECTED


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(RAW)), max_size=12))
def test_any_byte_split_gives_the_same_events(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [RAW[a:b] for a, b in zip([0, *points], [*points, len(RAW)], strict=True)]
    assert decode_bytes(chunks) == EXPECTED


def test_same_format_stream_round_trip() -> None:
    request = CODEC.decode_request(orjson.loads((FIXTURES / "codex_request.json").read_bytes()))
    raw = encode_events(EXPECTED, request)
    check_stream(raw)
    for data in parse(raw):
        EVENT.validate_python(data)
    events = parse(raw)
    final = events[-1]["response"]
    assert [i["type"] for i in final["output"]] == ["reasoning", "message", "function_call"]
    assert final["output"][0]["id"] == "rs_1"
    assert final["output"][0]["encrypted_content"] == "gAAAAAB-enc-1=="
    assert final["output"][2]["name"] == "read_file"
    assert final["output"][2]["namespace"] == "mcp__fs__"
    assert final["usage"]["input_tokens"] == 500
    assert decode_bytes([raw]) == EXPECTED


def test_decoder_cut_short_ends_with_an_error() -> None:
    cut = RAW[: RAW.index(b"event: response.output_text.done")]
    events = decode_bytes([cut])
    assert events[-3:] == [
        BlockStop(1),
        StreamError(
            ApiError(
                kind="bad_gateway",
                message="the upstream stream ended before response.completed",
                status=502,
            )
        ),
        MessageStop("error"),
    ]


def sse(kind: str, **fields: Any) -> SSEEvent:
    return SSEEvent(data=orjson.dumps({"type": kind, **fields}).decode(), event=kind)


def test_decoder_failed_and_error_events() -> None:
    decoder = CODEC.stream_decoder()
    out = decoder.feed(sse("response.created", response={"id": "r", "model": "m"}))
    out += decoder.feed(
        sse(
            "response.failed",
            response={
                "id": "r",
                "status": "failed",
                "error": {"code": "rate_limit_exceeded", "message": "slow"},
            },
        )
    )
    assert out[1:] == [
        StreamError(ApiError("rate_limit", "slow", 429, code="rate_limit_exceeded")),
        MessageStop("error"),
    ]
    assert decoder.feed(sse("response.completed", response={})) == []
    assert decoder.close() == []
    decoder = CODEC.stream_decoder()
    out = decoder.feed(sse("error", code="server_error", message="boom", param=None))
    assert out == [
        StreamError(ApiError("server_error", "boom", 500, code="server_error")),
        MessageStop("error"),
    ]


def test_decoder_incomplete_and_missing_deltas() -> None:
    decoder = CODEC.stream_decoder()
    events = [
        sse("response.in_progress", response={"id": "r", "model": "m"}),
        sse("response.output_item.added", output_index=0, item={"type": "message", "id": "msg"}),
        # No deltas at all: the text only arrives with the done events.
        sse("response.output_text.done", output_index=0, content_index=0, text="whole"),
        sse(
            "response.output_item.done",
            output_index=0,
            item={"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        ),
        sse(
            "response.incomplete",
            response={
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
            },
        ),
    ]
    out: list[StreamEvent] = []
    for event in events:
        out += decoder.feed(event)
    assert out == [
        MessageStart("r", "m"),
        BlockStart(0, ToolCallPart("c", "f")),
        ToolArgumentsDelta(0, "{}"),
        BlockStop(0),
        MessageStop("length"),
    ]


# --------------------------------------------------------------------------- encoder


def test_encoder_exact_sequence_for_text() -> None:
    raw = encode_events(
        [
            MessageStart("resp_1", "m", created=5),
            BlockStart(0, TextPart("")),
            TextDelta(0, "Hi"),
            BlockStop(0),
            UsageUpdate(Usage(3, 1)),
            MessageStop("stop"),
        ]
    )
    check_stream(raw)
    events = parse(raw)
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    final = events[-1]["response"]
    assert final["output"][0]["content"][0]["text"] == "Hi"
    assert final["usage"]["total_tokens"] == 4
    assert final["created_at"] == 5
    for data in events:
        EVENT.validate_python(data)


def test_encoder_packs_foreign_signatures_and_places_carriers() -> None:
    gem = Signature(WireFormat.GEMINI, "g-sig")
    anthropic = Signature(WireFormat.ANTHROPIC, "a-sig")
    raw = encode_events(
        [
            MessageStart("msg_1", "claude"),
            BlockStart(0, ThinkingPart()),
            ThinkingDelta(0, "think"),
            SignatureDelta(0, anthropic),
            BlockStop(0),
            BlockStart(1, ToolCallPart("call_1", "f")),
            SignatureDelta(1, gem),
            ToolArgumentsDelta(1, '{"a":'),
            ToolArgumentsDelta(1, "1}"),
            BlockStop(1),
            MessageStop("tool_calls"),
        ]
    )
    check_stream(raw)
    output = parse(raw)[-1]["response"]["output"]
    assert [i["type"] for i in output] == ["reasoning", "reasoning", "function_call"]
    restored = reasoning.unpack(output[0]["encrypted_content"])
    assert restored == ThinkingPart(text="think", signature=anthropic)
    request = CODEC.decode_request({"model": "m", "input": output})
    parts = request.messages[0].parts
    assert isinstance(parts[-1], ToolCallPart)
    assert parts[-1].signature == gem
    assert parts[-1].arguments == '{"a":1}'


@pytest.mark.parametrize(
    ("stop", "terminal", "details"),
    [
        ("length", "response.incomplete", {"reason": "max_output_tokens"}),
        ("content_filter", "response.incomplete", {"reason": "content_filter"}),
        ("error", "response.failed", None),
    ],
)
def test_encoder_terminal_events(stop: Any, terminal: str, details: Any) -> None:
    raw = encode_events(
        [MessageStart("r", "m"), BlockStart(0, TextPart("")), TextDelta(0, "x"), MessageStop(stop)]
    )
    check_stream(raw)
    last = parse(raw)[-1]
    assert last["type"] == terminal
    if details is not None:
        assert last["response"]["incomplete_details"] == details


def test_encoder_error_mid_block_and_missing_start() -> None:
    raw = encode_events(
        [
            BlockStart(0, ToolCallPart("c", "f")),
            ToolArgumentsDelta(0, "{"),
            StreamError(ApiError("overloaded", "busy", 503, code="overloaded")),
            MessageStop("error"),
        ]
    )
    check_stream(raw)
    last = parse(raw)[-1]
    assert last["type"] == "response.failed"
    assert last["response"]["error"] == {"code": "overloaded", "message": "busy"}
    assert last["response"]["output"][0]["status"] == "incomplete"


def test_encoder_close_without_message_stop() -> None:
    encoder = CODEC.stream_encoder(Request(model="m"))
    raw = encoder.feed(MessageStart("r", "m")) + encoder.feed(BlockStart(0, ThinkingPart()))
    raw += encoder.feed(ThinkingDelta(0, "t")) + encoder.close()
    check_stream(raw)
    assert parse(raw)[-1]["type"] == "response.failed"
    assert encoder.close() == b""
    assert encoder.feed(MessageStop("stop")) == b""


def test_encoder_namespace_from_the_request_tool_table() -> None:
    request = CODEC.decode_request(
        {
            "model": "m",
            "tools": [
                {
                    "type": "namespace",
                    "name": "crm",
                    "description": "d",
                    "tools": [{"type": "function", "name": "find"}],
                }
            ],
        }
    )
    assert request.tools == [Tool("crm__find", extra=request.tools[0].extra)]
    raw = encode_events(
        [
            MessageStart("r", "m"),
            BlockStart(0, ToolCallPart("c", "crm__find")),
            BlockStop(0),
            MessageStop("tool_calls"),
        ],
        request,
    )
    check_stream(raw)
    item = parse(raw)[-1]["response"]["output"][0]
    assert (item["name"], item["namespace"]) == ("find", "crm")
