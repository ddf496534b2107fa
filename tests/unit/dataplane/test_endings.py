"""daemon.dataplane.endings: the tail that ends a pass-through stream well-formed, per format,
after whatever events went out (test_relay.py runs them through PassThrough on real streams)."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from daemon.dataplane.endings import (
    AnthropicEnding,
    ChatEnding,
    Ending,
    GeminiEnding,
    ResponsesEnding,
    ending_for,
)
from daemon.formats.sse import SSEEvent, SSEParser, encode_event
from daemon.model import ApiError, WireFormat
from tests.unit.formats.anthropic.wellformed import check_stream as check_anthropic
from tests.unit.formats.gemini.wellformed import check_stream as check_gemini
from tests.unit.formats.openai_chat.wellformed import check_stream as check_chat
from tests.unit.formats.openai_responses.wellformed import check_stream as check_responses

BROKE = ApiError(kind="bad_gateway", message="upstream broke", status=502, code="upstream_gone")


def event(data: object, name: str | None = None) -> bytes:
    return encode_event(data if isinstance(data, str) else orjson.dumps(data).decode(), name)


def seen_by(ending: Ending, raw: bytes) -> list[bool]:
    """Feed every event of `raw` to `ending`; what see() said of each."""
    parser = SSEParser()
    return [ending.see(e) for e in parser.feed(raw) + parser.close()]


def test_ending_for_each_format() -> None:
    assert isinstance(ending_for(WireFormat.ANTHROPIC), AnthropicEnding)
    assert isinstance(ending_for(WireFormat.OPENAI_CHAT), ChatEnding)
    assert isinstance(ending_for(WireFormat.OPENAI_RESPONSES), ResponsesEnding)
    assert isinstance(ending_for(WireFormat.GEMINI), GeminiEnding)


def test_nothing_seen_is_reported() -> None:
    for fmt in WireFormat:
        ending = ending_for(fmt)
        assert ending.seen is False
        ending.see(SSEEvent(data="{}"))
        assert ending.seen is True


# ------------------------------------------------------------------ Anthropic

START = event(
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [],
            "usage": {"input_tokens": 3, "output_tokens": 0},
        },
    },
    "message_start",
)
TEXT_START = event(
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    "content_block_start",
)
TEXT_DELTA = event(
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    "content_block_delta",
)
TEXT_STOP = event({"type": "content_block_stop", "index": 0}, "content_block_stop")
DELTA = event(
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
    "message_delta",
)
STOP = event({"type": "message_stop"}, "message_stop")
UPSTREAM_ERROR = event(
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error"
)


@pytest.mark.parametrize(
    "sent",
    [
        START,
        START + TEXT_START,
        START + TEXT_START + TEXT_DELTA,
        START + TEXT_START + TEXT_DELTA + TEXT_STOP,
    ],
    ids=["started", "block-opened", "mid-block", "block-closed"],
)
def test_anthropic_closes_the_open_block_then_errs(sent: bytes) -> None:
    ending = AnthropicEnding()
    assert all(seen_by(ending, sent))
    tail = ending.tail(BROKE)
    check_anthropic(sent + tail)
    assert tail.endswith(
        event(
            {"type": "error", "error": {"type": "api_error", "message": "upstream broke"}}, "error"
        )
    )
    assert ending.tail(BROKE) == b""


def test_anthropic_after_the_message_delta_only_the_stop_is_missing() -> None:
    sent = START + TEXT_START + TEXT_DELTA + TEXT_STOP + DELTA
    ending = AnthropicEnding()
    seen_by(ending, sent)
    assert ending.tail(BROKE) == event({"type": "message_stop"}, "message_stop")


def test_anthropic_a_whole_message_needs_nothing() -> None:
    ending = AnthropicEnding()
    seen_by(ending, START + TEXT_START + TEXT_STOP + DELTA + STOP)
    assert ending.tail(BROKE) == b""


def test_anthropic_an_upstream_error_inside_a_block_is_taken_over() -> None:
    ending = AnthropicEnding()
    assert seen_by(ending, START + TEXT_START + TEXT_DELTA + UPSTREAM_ERROR) == [
        True,
        True,
        True,
        False,
    ]
    outside = AnthropicEnding()
    assert seen_by(outside, START + TEXT_START + TEXT_STOP + UPSTREAM_ERROR)[-1] is True
    assert outside.tail(BROKE) == b""  # the upstream's own error ended it


# ------------------------------------------------------------------ chat


def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
    return event(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def test_chat_mid_message_gets_an_error_and_done() -> None:
    sent = chunk({"role": "assistant", "content": "He"})
    ending = ChatEnding()
    seen_by(ending, sent)
    tail = ending.tail(BROKE)
    check_chat(sent + tail)
    assert b'"upstream broke"' in tail and tail.endswith(b"data: [DONE]\n\n")


@pytest.mark.parametrize("with_usage", [False, True])
def test_chat_after_the_finish_only_done_is_missing(with_usage: bool) -> None:
    sent = chunk({"role": "assistant", "content": "Hi"}) + chunk({}, "stop")
    if with_usage:
        sent += event(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )
    ending = ChatEnding()
    seen_by(ending, sent)
    assert ending.tail(BROKE) == b"data: [DONE]\n\n"


def test_chat_after_an_upstream_error_event_only_done_is_missing() -> None:
    sent = chunk({"role": "assistant", "content": "Hi"}) + event(
        {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}
    )
    ending = ChatEnding()
    assert all(seen_by(ending, sent))
    tail = ending.tail(BROKE)
    assert tail == b"data: [DONE]\n\n"
    check_chat(sent + tail)


def test_chat_after_done_nothing() -> None:
    ending = ChatEnding()
    seen_by(ending, chunk({"content": "x"}, "stop") + b"data: [DONE]\n\n")
    assert ending.tail(BROKE) == b""


# ------------------------------------------------------------------ Gemini

GEMINI_TEXT = event(
    {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "index": 0}],
        "responseId": "r",
        "modelVersion": "m",
    }
)
GEMINI_FINISH = event(
    {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "!"}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 2},
        "responseId": "r",
        "modelVersion": "m",
    }
)


def test_gemini_mid_message_gets_an_error_chunk() -> None:
    ending = GeminiEnding()
    seen_by(ending, GEMINI_TEXT)
    tail = ending.tail(BROKE)
    check_gemini(GEMINI_TEXT + tail)
    assert orjson.loads(tail[len(b"data: ") :]) == {
        "error": {"code": 502, "message": "upstream broke", "status": "UNAVAILABLE"}
    }


def test_gemini_after_the_finish_or_an_error_nothing() -> None:
    finished = GeminiEnding()
    seen_by(finished, GEMINI_TEXT + GEMINI_FINISH)
    assert finished.tail(BROKE) == b""
    failed = GeminiEnding()
    seen_by(
        failed, GEMINI_TEXT + event({"error": {"code": 500, "message": "x", "status": "INTERNAL"}})
    )
    assert failed.tail(BROKE) == b""


# ------------------------------------------------------------------ Responses


class Stream:
    """Builds a Responses stream with running sequence numbers."""

    def __init__(self) -> None:
        self.raw = b""
        self.n = 0
        self.response = {
            "id": "resp_1",
            "object": "response",
            "status": "in_progress",
            "output": [],
        }

    def add(self, name: str, **fields: object) -> Stream:
        self.raw += event({"type": name, "sequence_number": self.n, **fields}, name)
        self.n += 1
        return self


def opening() -> Stream:
    s = Stream()
    s.add("response.created", response=s.response)
    return s.add("response.in_progress", response=s.response)


MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "in_progress",
    "content": [],
}
CALL = {
    "id": "fc_1",
    "type": "function_call",
    "call_id": "call_1",
    "name": "get_weather",
    "arguments": "",
    "status": "in_progress",
}
REASONING = {"id": "rs_1", "type": "reasoning", "summary": []}


def message_started(s: Stream) -> Stream:
    s.add("response.output_item.added", output_index=0, item=MESSAGE)
    part = {"type": "output_text", "annotations": [], "text": ""}
    s.add(
        "response.content_part.added", item_id="msg_1", output_index=0, content_index=0, part=part
    )
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    s.add("response.output_text.delta", delta="Hel", **where)
    return s.add("response.output_text.delta", delta="lo", **where)


def call_started(s: Stream, index: int) -> Stream:
    s.add("response.output_item.added", output_index=index, item=CALL)
    where = {"item_id": "fc_1", "output_index": index}
    s.add("response.function_call_arguments.delta", delta='{"city":', **where)
    return s.add("response.function_call_arguments.delta", delta='"Paris"}', **where)


def reasoning_started(s: Stream) -> Stream:
    s.add("response.output_item.added", output_index=0, item=REASONING)
    part = {"type": "summary_text", "text": ""}
    where = {"item_id": "rs_1", "output_index": 0, "summary_index": 0}
    s.add("response.reasoning_summary_part.added", part=part, **where)
    return s.add("response.reasoning_summary_text.delta", delta="Thinking", **where)


def finish_message(s: Stream) -> Stream:
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    s.add("response.output_text.done", text="Hello", **where)
    part = {"type": "output_text", "annotations": [], "text": "Hello"}
    s.add("response.content_part.done", part=part, **where)
    item = {**MESSAGE, "status": "completed", "content": [part]}
    return s.add("response.output_item.done", output_index=0, item=item)


CASES: dict[str, Callable[[], Stream]] = {
    "created-only": lambda: Stream().add("response.created", response=Stream().response),
    "in-progress": opening,
    "mid-text": lambda: message_started(opening()),
    "text-done": lambda: message_started(opening()).add(
        "response.output_text.done",
        item_id="msg_1",
        output_index=0,
        content_index=0,
        text="Hello",
    ),
    "message-done": lambda: finish_message(message_started(opening())),
    "mid-arguments": lambda: call_started(finish_message(message_started(opening())), 1),
    "mid-reasoning": lambda: reasoning_started(opening()),
}


@pytest.mark.parametrize("case", list(CASES))
def test_responses_closes_what_is_open_and_fails_the_response(case: str) -> None:
    sent = CASES[case]().raw
    ending = ResponsesEnding()
    assert all(seen_by(ending, sent))
    tail = ending.tail(BROKE)
    check_responses(sent + tail)
    parser = SSEParser()
    last = orjson.loads(parser.feed(tail)[-1].data)
    assert last["type"] == "response.failed"
    assert last["response"]["id"] == "resp_1"
    assert last["response"]["error"] == {"code": "upstream_gone", "message": "upstream broke"}
    assert ending.tail(BROKE) == b""


def test_responses_an_open_call_keeps_its_arguments() -> None:
    sent = call_started(opening(), 0).raw
    ending = ResponsesEnding()
    seen_by(ending, sent)
    last = orjson.loads(SSEParser().feed(ending.tail(BROKE))[-1].data)
    assert last["response"]["output"] == [
        {**CALL, "arguments": '{"city":"Paris"}', "status": "incomplete"}
    ]


def test_responses_an_upstream_failure_is_taken_over_once_the_stream_began() -> None:
    failed = event(
        {"type": "response.failed", "sequence_number": 9, "response": {}}, "response.failed"
    )
    ending = ResponsesEnding()
    assert seen_by(ending, message_started(opening()).raw + failed)[-1] is False
    first = ResponsesEnding()
    assert seen_by(first, failed) == [True]  # nothing to build on: it goes out as it is
    assert first.tail(BROKE) == b""


def test_responses_a_completed_stream_needs_nothing() -> None:
    s = finish_message(message_started(opening()))
    s.add("response.completed", response={**s.response, "status": "completed"})
    ending = ResponsesEnding()
    seen_by(ending, s.raw)
    assert ending.tail(BROKE) == b""
