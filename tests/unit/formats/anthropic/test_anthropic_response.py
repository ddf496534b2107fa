"""Anthropic responses: decode, encode, usage and stop reasons, signatures, SDK types."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from anthropic.types import Message as SdkMessage

from daemon.formats.anthropic import CODEC
from daemon.formats.reasoning import pack
from daemon.model import (
    ApiError,
    Response,
    Signature,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    Usage,
    WireFormat,
)

FIXTURES = Path(__file__).parents[3] / "fixtures" / "formats" / "anthropic"


def load(name: str) -> dict[str, Any]:
    data = orjson.loads((FIXTURES / name).read_bytes())
    assert isinstance(data, dict)
    return data


def test_fixture_round_trip_is_lossless() -> None:
    body = load("response_tool_use.json")
    original = copy.deepcopy(body)
    assert CODEC.encode_response(CODEC.decode_response(body)) == original


def test_fixture_decodes() -> None:
    response = CODEC.decode_response(load("response_tool_use.json"))
    assert response.id == "msg_01XFDUDYJgAACzvnptvVoYEL"
    assert response.stop_reason == "tool_calls"
    assert response.usage == Usage(
        input_tokens=472 + 2048 + 100,
        output_tokens=91,
        cached_tokens=2048,
        cache_creation_tokens=100,
    )
    thinking, text, call = response.parts
    assert thinking == ThinkingPart(
        text="The user wants weather; call the tool.",
        signature=Signature(WireFormat.ANTHROPIC, "ErUBCkYIBRgCIkCjZ9xGsaMPLE="),
    )
    assert isinstance(text, TextPart)
    assert text.extra == {"citations": None}
    assert isinstance(call, ToolCallPart)
    assert orjson.loads(call.arguments) == {"city": "Paris", "days": 2}


@pytest.mark.parametrize(
    ("native", "canonical", "back"),
    [
        ("end_turn", "stop", "end_turn"),
        ("stop_sequence", "stop", "stop_sequence"),
        ("pause_turn", "stop", "pause_turn"),
        ("max_tokens", "length", "max_tokens"),
        ("model_context_window_exceeded", "length", "model_context_window_exceeded"),
        ("tool_use", "tool_calls", "tool_use"),
        ("refusal", "refusal", "refusal"),
    ],
)
def test_stop_reasons(native: str, canonical: StopReason, back: str) -> None:
    body = load("response_tool_use.json")
    body["stop_reason"] = native
    body["stop_sequence"] = "##" if native == "stop_sequence" else None
    response = CODEC.decode_response(body)
    assert response.stop_reason == canonical
    assert CODEC.encode_response(response)["stop_reason"] == back


@pytest.mark.parametrize(
    ("canonical", "native"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"),
     ("content_filter", "refusal"), ("refusal", "refusal"), ("error", "end_turn")],
)  # fmt: skip
def test_foreign_stop_reasons(canonical: StopReason, native: str) -> None:
    response = Response(id="r", model="m", stop_reason=canonical)
    assert CODEC.encode_response(response)["stop_reason"] == native


def test_usage_is_mapped_back_consistently() -> None:
    usage = Usage(
        input_tokens=1000, output_tokens=50, cached_tokens=600, cache_creation_tokens=100,
        reasoning_tokens=20,
    )  # fmt: skip
    body = CODEC.encode_response(Response(id="r", model="m", usage=usage))
    assert body["usage"] == {
        "input_tokens": 300,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 600,
        "output_tokens": 50,
        "output_tokens_details": {"thinking_tokens": 20},
    }
    assert CODEC.decode_response(body).usage == usage


def test_foreign_parts_are_packed_and_validate_against_the_sdk() -> None:
    gemini = Signature(WireFormat.GEMINI, "gsig==")
    responses_part = ThinkingPart(
        text="plan", signature=Signature(WireFormat.OPENAI_RESPONSES, "enc"), id="rs_9"
    )
    response = Response(
        id="resp_1",
        model="gemini-2.5-pro",
        parts=[
            ThinkingPart(text="unsigned thoughts"),
            responses_part,
            TextPart("hello", signature=gemini),
            ToolCallPart(id="call_1", name="f", arguments='{"x": [1]}', signature=gemini),
        ],
        stop_reason="tool_calls",
        usage=Usage(input_tokens=10, output_tokens=5),
    )
    body = CODEC.encode_response(response)
    SdkMessage.model_validate(body, strict=True)
    types = [b["type"] for b in body["content"]]
    assert types == ["thinking", "thinking", "thinking", "text", "thinking", "tool_use"]
    assert body["content"][0]["signature"] == ""
    assert body["content"][1]["signature"] == pack(responses_part)
    # What the client sends back restores every signature on its own part.
    back = CODEC.decode_request(
        {
            "model": "m",
            "max_tokens": 5,
            "messages": [{"role": "assistant", "content": body["content"]}],
        }
    )
    assert back.messages[0].parts == [
        ThinkingPart(text="unsigned thoughts", extra={"signature": ""}),
        responses_part,
        TextPart("hello", signature=gemini),
        ToolCallPart(id="call_1", name="f", arguments='{"x":[1]}', signature=gemini),
    ]


def test_native_thinking_survives_byte_for_byte() -> None:
    block = {"type": "thinking", "thinking": 'ß ∑ \n"q"', "signature": "Eq+/=="}
    redacted = {"type": "redacted_thinking", "data": "EmwKAhgB+/="}
    body = load("response_tool_use.json")
    body["content"] = [block, redacted]
    out = CODEC.encode_response(CODEC.decode_response(copy.deepcopy(body)))
    assert out["content"] == [block, redacted]


def test_fixture_validates_against_sdk_message() -> None:
    SdkMessage.model_validate(
        CODEC.encode_response(CODEC.decode_response(load("response_tool_use.json")))
    )


def test_errors_round_trip() -> None:
    error = ApiError(kind="overloaded", message="busy", status=529)
    encoded = CODEC.encode_error(error)
    assert encoded == {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    assert CODEC.decode_error(529, orjson.dumps(encoded)) == error
