"""Property tests: what chat can express survives encode → decode; streams stay well formed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from daemon.formats.openai_chat import CODEC
from daemon.model import (
    MessageStop,
    Part,
    Request,
    Response,
    StreamEvent,
    ToolCallPart,
    UsageUpdate,
    WireFormat,
)
from tests.unit.formats.openai_chat.strategies import requests, responses, streams
from tests.unit.formats.openai_chat.test_openai_chat_sdk import validate_request
from tests.unit.formats.openai_chat.test_openai_chat_stream_decode import decode_bytes
from tests.unit.formats.openai_chat.wellformed import check_stream

SETTINGS = settings(max_examples=120, deadline=None)


@SETTINGS
@given(requests())
def test_requests_survive_encode_decode(request: Request) -> None:
    body = CODEC.encode_request(request)
    validate_request(body)
    decoded = CODEC.decode_request(body)
    assert decoded == replace(request, source_format=WireFormat.OPENAI_CHAT)
    # and once it is chat's own, the round trip is exact on the wire too
    assert CODEC.encode_request(decoded) == body


def _strip(parts: list[Part]) -> list[Part]:
    return [replace(p, extra={}) for p in parts]


@SETTINGS
@given(responses())
def test_responses_survive_encode_decode(response: Response) -> None:
    body = CODEC.encode_response(response)
    ChatCompletion.model_validate(body)
    decoded = CODEC.decode_response(body)
    expected_stop = response.stop_reason
    if expected_stop == "stop" and any(isinstance(p, ToolCallPart) for p in response.parts):
        expected_stop = "tool_calls"
    assert (decoded.id, decoded.model, decoded.created) == (
        response.id,
        response.model,
        response.created,
    )
    assert _strip(decoded.parts) == response.parts
    assert decoded.stop_reason == expected_stop
    assert decoded.usage == response.usage
    assert CODEC.encode_response(decoded) == body


@SETTINGS
@given(streams(), st.data())
def test_streams_are_well_formed_and_decode_back(
    events: list[StreamEvent], data: st.DataObject
) -> None:
    encoder = CODEC.stream_encoder(Request(model="m", include_usage=True))
    raw = b"".join(encoder.feed(e) for e in events) + encoder.close()
    check_stream(raw)
    for line in raw.split(b"\n\n"):
        if line.startswith(b"data: {") and b'"choices"' in line:
            ChatCompletionChunk.model_validate_json(line[len(b"data: ") :])
    stop = events[-1]
    assert isinstance(stop, MessageStop)
    has_tools = any(isinstance(e, ToolCallPart) for e in _parts(events))
    reason = "tool_calls" if stop.stop_reason == "stop" and has_tools else stop.stop_reason
    assert stop.usage is not None
    expected: list[Any] = [e for e in events[:-1] if not isinstance(e, UsageUpdate)]
    expected += [UsageUpdate(stop.usage), MessageStop(reason, usage=stop.usage)]
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=10))
    assert decode_bytes(raw, cuts) == expected


def _parts(events: list[StreamEvent]) -> list[Any]:
    return [getattr(e, "part", None) for e in events]
