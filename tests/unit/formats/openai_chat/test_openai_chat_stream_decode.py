from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.formats.openai_chat import CODEC
from daemon.formats.sse import SSEEvent, SSEParser
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
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
)
from tests.unit.formats.openai_chat.support import load_bytes

USAGE = Usage(input_tokens=50, output_tokens=30, cached_tokens=10, reasoning_tokens=5)


def decode_bytes(raw: bytes, pieces: list[int] | None = None) -> list[StreamEvent]:
    parser = SSEParser()
    decoder = CODEC.stream_decoder()
    events: list[StreamEvent] = []
    cuts = sorted(set(pieces or []))
    start = 0
    for cut in [*cuts, len(raw)]:
        for sse in parser.feed(raw[start:cut]):
            events.extend(decoder.feed(sse))
        start = cut
    for sse in parser.close():
        events.extend(decoder.feed(sse))
    return events + decoder.close()


def feed_chunks(chunks: list[dict[str, Any] | str], close: bool = True) -> list[StreamEvent]:
    decoder = CODEC.stream_decoder()
    events: list[StreamEvent] = []
    for chunk in chunks:
        data = chunk if isinstance(chunk, str) else orjson.dumps(chunk).decode()
        events.extend(decoder.feed(SSEEvent(data=data)))
    if close:
        events.extend(decoder.close())
    return events


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, **top: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 7,
        "model": "m",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    out.update(top)
    return out


EXPECTED_FIXTURE: list[StreamEvent] = [
    MessageStart(id="chatcmpl-s1", model="kimi-k2", created=1741570000),
    BlockStart(0, ThinkingPart()),
    ThinkingDelta(0, "Need the "),
    ThinkingDelta(0, "weather."),
    BlockStop(0),
    BlockStart(1, TextPart("")),
    TextDelta(1, "Checking ☀️…"),
    BlockStop(1),
    BlockStart(2, ToolCallPart(id="call_a", name="get_weather")),
    ToolArgumentsDelta(2, '{"city":'),
    ToolArgumentsDelta(2, '"Paris"}'),
    BlockStop(2),
    BlockStart(3, ToolCallPart(id="call_b", name="get_time")),
    ToolArgumentsDelta(3, "{}"),
    BlockStop(3),
    UsageUpdate(USAGE),
    MessageStop(stop_reason="tool_calls", usage=USAGE),
]


def test_fixture_stream_decodes_to_exact_events() -> None:
    assert decode_bytes(load_bytes("stream_tool.sse")) == EXPECTED_FIXTURE


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_arbitrary_byte_splits_give_the_same_events(data: st.DataObject) -> None:
    raw = load_bytes("stream_tool.sse").replace(b"\n", b"\r\n")
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(raw)), max_size=40))
    assert decode_bytes(raw, cuts) == EXPECTED_FIXTURE


def test_finish_without_done_is_a_normal_end() -> None:
    events = feed_chunks([chunk({"role": "assistant", "content": "hi"}), chunk({}, "length")])
    assert events == [
        MessageStart(id="c1", model="m", created=7),
        BlockStart(0, TextPart("")),
        TextDelta(0, "hi"),
        BlockStop(0),
        MessageStop(stop_reason="length"),
    ]


def test_cut_short_stream_closes_blocks_and_errors() -> None:
    events = feed_chunks(
        [chunk({"tool_calls": [{"index": 0, "id": "x", "function": {"name": "f"}}]})]
    )
    assert events[:3] == [
        MessageStart(id="c1", model="m", created=7),
        BlockStart(0, ToolCallPart(id="x", name="f")),
        BlockStop(0),
    ]
    assert isinstance(events[3], StreamError)
    assert events[3].error.kind == "bad_gateway"
    assert events[4] == MessageStop(stop_reason="error")
    assert len(events) == 5


def test_error_event_mid_stream() -> None:
    error = {"error": {"message": "Rate limit reached", "type": "rate_limit_error", "code": None}}
    events = feed_chunks([chunk({"content": "a"}), error, "[DONE]"])
    assert events[:4] == [
        MessageStart(id="c1", model="m", created=7),
        BlockStart(0, TextPart("")),
        TextDelta(0, "a"),
        BlockStop(0),
    ]
    assert events[4] == StreamError(ApiError("rate_limit", "Rate limit reached", 429))
    assert events[5] == MessageStop(stop_reason="error")
    assert len(events) == 6


def test_unparsable_data_is_an_error() -> None:
    events = feed_chunks(["{not json"])
    assert isinstance(events[0], StreamError)
    assert events[1] == MessageStop(stop_reason="error")


def test_empty_stream_is_an_error() -> None:
    events = feed_chunks([])
    assert isinstance(events[0], StreamError)
    assert events[1] == MessageStop(stop_reason="error")


def test_done_without_finish_reason_stops() -> None:
    events = feed_chunks([chunk({"content": "a"}), "[DONE]", chunk({"content": "late"})])
    assert events[-1] == MessageStop(stop_reason="stop")
    assert TextDelta(0, "late") not in events


def test_parallel_tool_calls_in_one_chunk_and_stop_with_tools() -> None:
    calls = [
        {"index": 0, "id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
        {"index": 1, "id": "b", "type": "function", "function": {"name": "g", "arguments": "[1"}},
    ]
    events = feed_chunks(
        [
            chunk({"tool_calls": calls}),
            chunk({"tool_calls": [{"index": 1, "function": {"arguments": "]"}}]}),
            chunk({}, "stop"),
            "[DONE]",
        ]
    )
    assert events[1:] == [
        BlockStart(0, ToolCallPart(id="a", name="f")),
        ToolArgumentsDelta(0, "{}"),
        BlockStop(0),
        BlockStart(1, ToolCallPart(id="b", name="g")),
        ToolArgumentsDelta(1, "[1"),
        ToolArgumentsDelta(1, "]"),
        BlockStop(1),
        MessageStop(stop_reason="tool_calls"),
    ]


def test_tool_calls_without_index_are_keyed_by_id() -> None:
    events = feed_chunks(
        [
            chunk({"tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{"}}]}),
            chunk({"tool_calls": [{"function": {"arguments": "}"}}]}),
            chunk({"tool_calls": [{"id": "b", "function": {"name": "g", "arguments": ""}}]}),
            chunk({}, "tool_calls"),
        ]
    )
    assert events[1:] == [
        BlockStart(0, ToolCallPart(id="a", name="f")),
        ToolArgumentsDelta(0, "{"),
        ToolArgumentsDelta(0, "}"),
        BlockStop(0),
        BlockStart(1, ToolCallPart(id="b", name="g")),
        BlockStop(1),
        MessageStop(stop_reason="tool_calls"),
    ]


def test_refusal_deltas_become_text_with_refusal_stop() -> None:
    events = feed_chunks([chunk({"refusal": "No."}), chunk({}, "stop"), "[DONE]"])
    assert events[1:] == [
        BlockStart(0, TextPart("")),
        TextDelta(0, "No."),
        BlockStop(0),
        MessageStop(stop_reason="refusal"),
    ]


def test_interleaved_reasoning_and_text_open_new_blocks() -> None:
    events = feed_chunks(
        [
            chunk({"reasoning_content": "a"}),
            chunk({"content": "b"}),
            chunk({"reasoning_content": "c"}),
            chunk({}, "stop"),
        ]
    )
    assert [type(e).__name__ for e in events] == [
        "MessageStart",
        "BlockStart",
        "ThinkingDelta",
        "BlockStop",
        "BlockStart",
        "TextDelta",
        "BlockStop",
        "BlockStart",
        "ThinkingDelta",
        "BlockStop",
        "MessageStop",
    ]
    assert [e.index for e in events if isinstance(e, BlockStart)] == [0, 1, 2]


def test_usage_in_choice_and_other_choices_ignored() -> None:
    kimi = chunk({}, "stop")
    kimi["choices"][0]["usage"] = {"prompt_tokens": 3, "completion_tokens": 4}
    kimi["choices"].append({"index": 1, "delta": {"content": "other"}, "finish_reason": None})
    events = feed_chunks([kimi, "[DONE]"])
    usage = Usage(input_tokens=3, output_tokens=4)
    assert events[1:] == [UsageUpdate(usage), MessageStop(stop_reason="stop", usage=usage)]
