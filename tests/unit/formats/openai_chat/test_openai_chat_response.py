from __future__ import annotations

import copy
from typing import Any

import pytest

from daemon.formats.openai_chat import CODEC
from daemon.model import (
    Response,
    Signature,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    Usage,
    WireFormat,
)
from tests.unit.formats.openai_chat.support import load_json


@pytest.mark.parametrize("name", ["response_tool.json", "response_multi.json"])
def test_same_format_round_trip_is_lossless(name: str) -> None:
    body = load_json(name)
    original = copy.deepcopy(body)
    response = CODEC.decode_response(body)
    assert body == original
    assert CODEC.encode_response(response) == original


def test_decode_tool_response() -> None:
    resp = CODEC.decode_response(load_json("response_tool.json"))
    assert resp.id == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
    assert resp.model == "gpt-4.1-2025-04-14"
    assert resp.created == 1741569952
    assert resp.stop_reason == "tool_calls"
    assert resp.parts[0] == ThinkingPart(text="The user wants the weather.")
    assert [(p.id, p.name, p.arguments) for p in resp.parts[1:] if isinstance(p, ToolCallPart)] == [
        ("call_abc", "get_weather", '{"city":"Paris"}'),
        ("call_def", "get_time", "{}"),
    ]
    assert resp.usage == Usage(
        input_tokens=120, output_tokens=40, cached_tokens=64, reasoning_tokens=12
    )
    assert resp.extra["system_fingerprint"] == "fp_3f58d112f7"


def test_decode_multi_choice_keeps_first() -> None:
    resp = CODEC.decode_response(load_json("response_multi.json"))
    assert [p for p in resp.parts] == [TextPart("Hello there!")]
    assert resp.stop_reason == "stop"


@pytest.mark.parametrize(
    ("finish", "expected"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("content_filter", "content_filter"),
        (None, "stop"),
        ("insufficient_system_resource", "stop"),
    ],
)
def test_finish_reasons(finish: str | None, expected: str) -> None:
    body = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "a"}, "finish_reason": finish}
        ],
    }
    resp = CODEC.decode_response(copy.deepcopy(body))
    assert resp.stop_reason == expected
    assert CODEC.encode_response(resp) == body


def test_stop_with_tool_calls_reads_as_tool_calls() -> None:
    body = _body({"role": "assistant", "content": "", "tool_calls": [_call("c1")]}, "stop")
    resp = CODEC.decode_response(copy.deepcopy(body))
    assert resp.stop_reason == "tool_calls"
    assert CODEC.encode_response(resp) == body


def test_refusal_round_trip_and_stop_reason() -> None:
    body = _body({"role": "assistant", "content": None, "refusal": "I can't help."}, "stop")
    resp = CODEC.decode_response(copy.deepcopy(body))
    assert resp.stop_reason == "refusal"
    assert [p.text for p in resp.parts if isinstance(p, TextPart)] == ["I can't help."]
    assert CODEC.encode_response(resp) == body


def test_legacy_function_call() -> None:
    body = _body(
        {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
        "function_call",
    )
    resp = CODEC.decode_response(copy.deepcopy(body))
    assert resp.stop_reason == "tool_calls"
    assert isinstance(resp.parts[0], ToolCallPart)
    assert resp.parts[0].name == "f"
    assert CODEC.encode_response(resp) == body


def test_encode_foreign_response() -> None:
    resp = Response(
        id="msg_1",
        model="claude",
        parts=[
            ThinkingPart(text="hmm", signature=Signature(WireFormat.ANTHROPIC, "sig")),
            ThinkingPart(signature=Signature(WireFormat.ANTHROPIC, "opaque"), redacted=True),
            TextPart("Hello "),
            TextPart("world"),
            ToolCallPart(id="toolu_1", name="f", arguments='{"a":1}'),
        ],
        stop_reason="tool_calls",
        usage=Usage(input_tokens=10, output_tokens=5, cached_tokens=3, cache_creation_tokens=2),
        created=1700000000,
    )
    assert CODEC.encode_response(resp) == {
        "id": "msg_1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "claude",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello world",
                    "reasoning_content": "hmm",
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a":1}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 3},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def test_encode_foreign_refusal_is_content_filter() -> None:
    resp = Response(id="r", model="m", parts=[TextPart("no")], stop_reason="refusal")
    choice = CODEC.encode_response(resp)["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert choice["message"]["content"] == "no"
    assert "refusal" not in choice["message"]


def test_encode_empty_foreign_response_has_null_content() -> None:
    out = CODEC.encode_response(Response(id="r", model="m", stop_reason="length"))
    assert out["choices"][0] == {
        "index": 0,
        "message": {"role": "assistant", "content": None},
        "finish_reason": "length",
    }
    assert out["created"] == 0


def test_edited_usage_is_re_encoded() -> None:
    resp = CODEC.decode_response(load_json("response_tool.json"))
    resp.usage = Usage(input_tokens=1, output_tokens=2)
    assert CODEC.encode_response(resp)["usage"]["total_tokens"] == 3


def _call(call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": "f", "arguments": "{}"}}


def _body(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 5,
        "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }


def test_foreign_extras_are_not_written_into_a_chat_completion() -> None:
    resp = Response(
        id="msg_1",
        model="claude",
        parts=[
            TextPart("hi", extra={"citations": []}),
            ToolCallPart("t", "f", "{}", extra={"x": 1}),
        ],
        usage=Usage(input_tokens=1, output_tokens=1),
        extra={"type": "message", "role": "assistant", "usage": {"service_tier": "standard"}},
    )
    out = CODEC.encode_response(resp)
    assert set(out) == {"id", "object", "created", "model", "choices", "usage"}
    assert out["usage"]["total_tokens"] == 2
    assert out["choices"][0]["message"]["tool_calls"][0] == {
        "id": "t",
        "type": "function",
        "function": {"name": "f", "arguments": "{}"},
    }
