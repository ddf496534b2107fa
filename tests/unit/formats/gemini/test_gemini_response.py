"""Gemini response decode / encode."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from daemon.errors import UpstreamFailed
from daemon.formats.gemini import CODEC
from daemon.formats.gemini._wire import SKIP_SIGNATURE, is_invented
from daemon.model import (
    Response,
    Signature,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    Usage,
    WireFormat,
)

from ._support import load_json

G = WireFormat.GEMINI


def test_fixture_round_trips_losslessly() -> None:
    body = load_json("response_tools.json")
    assert CODEC.encode_response(CODEC.decode_response(body)) == body


def test_decode_fixture() -> None:
    response = CODEC.decode_response(load_json("response_tools.json"))
    assert (response.id, response.model) == ("resp-abc123", "gemini-2.5-pro")
    assert response.stop_reason == "tool_calls"
    assert response.usage == Usage(
        input_tokens=120, output_tokens=80, cached_tokens=100, reasoning_tokens=50
    )
    thinking, text, call1, call2 = response.parts
    assert thinking == ThinkingPart("Considering the request.")
    assert text == TextPart("Checking both cities.", signature=Signature(G, "dGV4dA=="))
    assert isinstance(call1, ToolCallPart)
    assert call1.signature == Signature(G, "Y2FsbA==")
    assert isinstance(call2, ToolCallPart)
    assert call2.arguments == '{"city":"Rome"}'
    assert is_invented(call1.id)
    assert call1.id != call2.id
    # same body → same ids
    again = CODEC.decode_response(load_json("response_tools.json"))
    assert [p.id for p in again.parts if isinstance(p, ToolCallPart)] == [call1.id, call2.id]


@pytest.mark.parametrize(
    ("finish", "calls", "stop"),
    [
        ("STOP", False, "stop"),
        ("STOP", True, "tool_calls"),
        ("MAX_TOKENS", False, "length"),
        ("SAFETY", False, "content_filter"),
        ("RECITATION", False, "content_filter"),
        ("PROHIBITED_CONTENT", False, "content_filter"),
        ("SPII", False, "content_filter"),
        ("BLOCKLIST", False, "content_filter"),
        ("IMAGE_SAFETY", False, "content_filter"),
        ("MALFORMED_FUNCTION_CALL", False, "error"),
        ("OTHER", False, "error"),
    ],
)
def test_finish_reasons(finish: str, calls: bool, stop: StopReason) -> None:
    parts: list[dict[str, Any]] = [{"text": "x"}]
    if calls:
        parts.append({"functionCall": {"name": "f", "args": {}}})
    body = {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish}],
        "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
        "responseId": "r",
    }
    response = CODEC.decode_response(body)
    assert response.stop_reason == stop
    assert CODEC.encode_response(response) == body  # the original reason survives


def test_prompt_block_is_a_content_filter() -> None:
    body = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r2",
    }
    response = CODEC.decode_response(body)
    assert response.stop_reason == "content_filter"
    assert response.parts == []
    encoded = CODEC.encode_response(response)
    assert encoded["promptFeedback"] == {"blockReason": "SAFETY"}
    assert "candidates" not in encoded


def test_code_assist_envelope_is_unwrapped() -> None:
    body = {
        "response": {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}}],
            "modelVersion": "gemini-2.5-pro",
        },
        "traceId": "trace-1",
    }
    response = CODEC.decode_response(body)
    assert (response.id, response.model, response.parts) == (
        "trace-1",
        "gemini-2.5-pro",
        [TextPart("hi")],
    )
    assert "responseId" not in CODEC.encode_response(response)


def _history(model_parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": "q"}]},
            {"role": "model", "parts": model_parts},
        ]
    }


def test_cross_format_encode_and_foreign_thinking_rides_on_the_call() -> None:
    anthropic_thinking = ThinkingPart("reasoning", signature=Signature(WireFormat.ANTHROPIC, "s1"))
    redacted = ThinkingPart(signature=Signature(WireFormat.ANTHROPIC, "opaque"), redacted=True)
    response = Response(
        id="msg_1",
        model="claude-x",
        parts=[
            anthropic_thinking,
            redacted,
            TextPart("ok"),
            ToolCallPart("toolu_9", "f", '{"a": [1]}'),
            ToolCallPart("toolu_10", "f", "{}"),
        ],
        stop_reason="tool_calls",
        usage=Usage(input_tokens=10, output_tokens=7, cached_tokens=3, reasoning_tokens=4),
        extra={"system_fingerprint": "not ours"},
    )
    body = CODEC.encode_response(response)
    parts = body["candidates"][0]["content"]["parts"]
    # the thought shows its text only; both signatures ride, packed, on the first call (where
    # Gemini signs a turn, and which clients keep), the redacted one showing nothing
    packed = parts[2]["thoughtSignature"]
    base64.b64decode(packed, validate=True)  # Gemini needs base64
    assert parts == [
        {"text": "reasoning", "thought": True},
        {"text": "ok"},
        {
            "functionCall": {"name": "f", "args": {"a": [1]}, "id": "toolu_9"},
            "thoughtSignature": packed,
        },
        {"functionCall": {"name": "f", "args": {}, "id": "toolu_10"}},
    ]
    assert body["candidates"][0]["finishReason"] == "STOP"
    assert body["usageMetadata"] == {
        "promptTokenCount": 10,
        "candidatesTokenCount": 3,
        "thoughtsTokenCount": 4,
        "cachedContentTokenCount": 3,
        "totalTokenCount": 17,
    }
    assert "system_fingerprint" not in body
    # the Gemini client sends the turn back: the Anthropic originals come back exactly, once,
    # ahead of the text, whether it kept its thought parts or (as Gemini CLI) dropped them
    for history in (parts, [p for p in parts if not p.get("thought")]):
        decoded = CODEC.decode_request(_history(history)).messages[1].parts
        assert decoded == [
            anthropic_thinking,
            redacted,
            TextPart("ok"),
            # unsigned; a Gemini upstream gets the documented skip value on it
            ToolCallPart("toolu_9", "f", '{"a":[1]}', extra={"thoughtSignature": SKIP_SIGNATURE}),
            ToolCallPart("toolu_10", "f", "{}"),
        ]


def test_foreign_thinking_without_calls_rides_on_the_last_text() -> None:
    first = ThinkingPart("a", signature=Signature(WireFormat.OPENAI_RESPONSES, "enc"), id="rs_1")
    response = Response(
        id="resp_1",
        model="gpt-5",
        parts=[first, TextPart("one"), TextPart(""), TextPart("two")],
    )
    parts = CODEC.encode_response(response)["candidates"][0]["content"]["parts"]
    packed = parts[-1]["thoughtSignature"]
    assert parts == [
        {"text": "a", "thought": True},
        {"text": "one"},
        {"text": ""},
        {"text": "two", "thoughtSignature": packed},
    ]
    kept = [p for p in parts if not p.get("thought")]
    decoded = CODEC.decode_request(_history(kept)).messages[1].parts
    assert decoded == [first, TextPart("one"), TextPart(""), TextPart("two")]
    # decoded as a response too (a client's view of what it got)
    assert CODEC.decode_response(CODEC.encode_response(response)).parts == response.parts


def test_foreign_thinking_with_nothing_after_it_keeps_its_thought_part() -> None:
    late = ThinkingPart("after", signature=Signature(WireFormat.ANTHROPIC, "s2"))
    response = Response(
        id="msg_2",
        model="claude-x",
        parts=[TextPart("answer"), ToolCallPart("toolu_1", "f", "{}"), late],
    )
    parts = CODEC.encode_response(response)["candidates"][0]["content"]["parts"]
    assert parts[:2] == [
        {"text": "answer"},
        {"functionCall": {"name": "f", "args": {}, "id": "toolu_1"}},
    ]
    assert parts[2]["text"] == "after" and parts[2]["thought"] is True
    decoded = CODEC.decode_request(_history(parts)).messages[1].parts
    assert decoded[2] == late


@pytest.mark.parametrize(
    ("stop", "finish"),
    [("length", "MAX_TOKENS"), ("refusal", "SAFETY"), ("error", "OTHER"), ("stop", "STOP")],
)
def test_stop_reasons_encode(stop: StopReason, finish: str) -> None:
    body = CODEC.encode_response(Response(id="r", model="m", stop_reason=stop))
    assert body["candidates"][0]["finishReason"] == finish


def test_malformed_upstream_body_is_a_bad_gateway() -> None:
    with pytest.raises(UpstreamFailed) as info:
        CODEC.decode_response({"candidates": [{"content": {"parts": [{"text": 5}]}}]})
    assert info.value.to_api_error().status == 502


def test_missing_response_id_gives_a_stable_digest() -> None:
    body = {"candidates": [{"content": {"role": "model", "parts": [{"text": "a"}]}}]}
    first = CODEC.decode_response(body)
    assert first.id == CODEC.decode_response(orjson.loads(orjson.dumps(body))).id
    assert first.id.startswith("gemini-")
