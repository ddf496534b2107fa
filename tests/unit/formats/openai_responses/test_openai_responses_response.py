from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from openai.types.responses import Response as SDKResponse

from daemon.errors import InvalidRequest
from daemon.formats import reasoning
from daemon.formats.openai_responses import CODEC
from daemon.model import (
    Response,
    Signature,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    Usage,
    WireFormat,
)

FIXTURES = Path(__file__).parents[3] / "fixtures" / "formats" / "openai_responses"
R = WireFormat.OPENAI_RESPONSES


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return data


def test_response_fixture_decodes() -> None:
    response = CODEC.decode_response(load("response.json"))
    assert response.id == "resp_68af4030592c81938ec0a5fbab4a3e9f"
    assert response.model == "gpt-5-2025-08-07"
    assert response.created == 1756315696
    thinking, text, call = response.parts
    assert isinstance(thinking, ThinkingPart)
    assert thinking.id == "rs_68af4030baa48193b0b43b4c2a176a1a"
    assert thinking.signature == Signature(R, "gAAAAABor0A1-native==")
    assert thinking.text == "**Checking weather**"
    assert isinstance(text, TextPart)
    assert text.text == "Let me check."
    assert isinstance(call, ToolCallPart)
    assert (call.id, call.name) == ("call_Xk9", "get_weather")
    assert response.stop_reason == "tool_calls"
    assert response.usage == Usage(
        input_tokens=120, output_tokens=85, cached_tokens=64, reasoning_tokens=40
    )


def test_response_round_trips_losslessly() -> None:
    body = load("response.json")
    original = copy.deepcopy(body)
    assert CODEC.encode_response(CODEC.decode_response(body)) == original
    assert body == original


@pytest.mark.parametrize(
    ("status", "details", "stop"),
    [
        ("completed", None, "stop"),
        ("incomplete", {"reason": "max_output_tokens"}, "length"),
        ("incomplete", {"reason": "content_filter"}, "content_filter"),
        ("failed", None, "error"),
    ],
)
def test_status_maps_both_ways(status: str, details: Any, stop: str) -> None:
    body = {
        "id": "resp_1",
        "model": "m",
        "status": status,
        "incomplete_details": details,
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "x", "annotations": []}],
            }
        ],
    }
    response = CODEC.decode_response(body)
    assert response.stop_reason == stop
    foreign = Response(id="r", model="m", parts=[TextPart("x")], stop_reason=response.stop_reason)
    out = CODEC.encode_response(foreign)
    assert (out["status"], out["incomplete_details"]) == (status, details)


def test_refusal_is_a_stop_reason() -> None:
    body = {
        "id": "r",
        "model": "m",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "refusal", "refusal": "I can't."}],
            }
        ],
    }
    response = CODEC.decode_response(body)
    assert response.stop_reason == "refusal"
    assert response.parts[0] == TextPart("I can't.", extra=response.parts[0].extra)


def test_encode_from_another_format_packs_foreign_reasoning() -> None:
    anthropic = ThinkingPart(
        text="deep thought", signature=Signature(WireFormat.ANTHROPIC, "sig-A")
    )
    gemini_call = ToolCallPart(
        "call_1", "f", '{"a":1}', signature=Signature(WireFormat.GEMINI, "g-sig")
    )
    response = Response(
        id="msg_01",
        model="claude",
        parts=[anthropic, TextPart("hi"), TextPart(" there"), gemini_call],
        stop_reason="tool_calls",
        usage=Usage(10, 5, 2, 0, 1),
        created=1700000000,
    )
    body = CODEC.encode_response(response)
    SDKResponse.model_validate(body)
    kinds = [item["type"] for item in body["output"]]
    assert kinds == ["reasoning", "message", "reasoning", "function_call"]
    rs = body["output"][0]
    assert rs["id"].startswith("rs_")
    assert rs["summary"] == [{"type": "summary_text", "text": "deep thought"}]
    assert rs["encrypted_content"].startswith(reasoning.PACK_PREFIX)
    assert [c["text"] for c in body["output"][1]["content"]] == ["hi", " there"]
    assert body["output"][2]["summary"] == []  # the carrier of the call's Gemini signature
    assert body["usage"]["input_tokens_details"] == {"cached_tokens": 2, "cache_write_tokens": 0}
    assert body["status"] == "completed"
    assert body["created_at"] == 1700000000
    # Deterministic ids.
    assert CODEC.encode_response(response) == body
    # The client sends these items back: every part is restored exactly.
    request = CODEC.decode_request({"model": "m", "input": body["output"]})
    (message,) = request.messages
    restored = message.parts
    assert isinstance(restored[0], ThinkingPart)
    assert restored[0].signature == anthropic.signature
    assert restored[0].text == "deep thought"
    call = restored[-1]
    assert isinstance(call, ToolCallPart)
    assert call.signature == gemini_call.signature
    assert [type(p).__name__ for p in restored] == [
        "ThinkingPart",
        "TextPart",
        "TextPart",
        "ToolCallPart",
    ]


def test_bad_response_body() -> None:
    with pytest.raises(InvalidRequest):
        CODEC.decode_response({"model": "m"})
    with pytest.raises(InvalidRequest):
        CODEC.decode_response({"id": "r", "output": "nope"})


def test_errors_use_the_openai_shape() -> None:
    error = CODEC.decode_error(
        429,
        b'{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}',
    )
    assert error.kind == "rate_limit"
    assert error.message == "slow down"
    assert CODEC.encode_error(error)["error"]["type"] == "rate_limit_error"
