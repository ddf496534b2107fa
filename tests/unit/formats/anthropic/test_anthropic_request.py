"""Anthropic requests: decode, encode, same-format round trip, cross-format rules, SDK types."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from anthropic.types import MessageParam
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from pydantic import TypeAdapter

from daemon.errors import InvalidRequest
from daemon.formats.anthropic import CODEC
from daemon.formats.anthropic.request import DEFAULT_MAX_TOKENS
from daemon.formats.reasoning import pack
from daemon.model import (
    ImagePart,
    Message,
    ReasoningConfig,
    Request,
    ResponseFormat,
    Signature,
    TextPart,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    WireFormat,
)

FIXTURES = Path(__file__).parents[3] / "fixtures" / "formats" / "anthropic"
_PARAMS = TypeAdapter(MessageCreateParamsNonStreaming)
_MESSAGE = TypeAdapter(MessageParam)


def load(name: str) -> dict[str, Any]:
    data = orjson.loads((FIXTURES / name).read_bytes())
    assert isinstance(data, dict)
    return data


def validate_sdk(body: dict[str, Any]) -> None:
    """The body validates (strictly: no coercion) against the official SDK's request types.

    TypedDicts ignore unknown keys, so this checks shapes and types, not extra fields.
    """
    plain = {k: v for k, v in body.items() if k != "stream"}
    params = _PARAMS.validate_python(plain, strict=True)
    list(params["messages"])
    for message in body["messages"]:
        validated = _MESSAGE.validate_python(message, strict=True)
        if isinstance(message["content"], list):
            list(validated["content"])


def foreign_request(**kwargs: Any) -> Request:
    return Request(model="claude-x", source_format=WireFormat.OPENAI_CHAT, **kwargs)


# --------------------------------------------------------------------------- same format


def test_fixture_round_trip_is_lossless() -> None:
    body = load("request_tool_thinking.json")
    original = copy.deepcopy(body)
    request = CODEC.decode_request(body)
    assert body == original, "decoding must not mutate its input"
    assert CODEC.encode_request(request) == original


def test_fixture_decodes_to_canonical_shape() -> None:
    request = CODEC.decode_request(load("request_tool_thinking.json"))
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "tool", "user"]
    system = request.messages[0].parts[0]
    assert isinstance(system, TextPart)
    assert system.extra == {"cache_control": {"type": "ephemeral"}}
    thinking = request.messages[2].parts[0]
    assert isinstance(thinking, ThinkingPart)
    assert thinking.signature == Signature(
        WireFormat.ANTHROPIC, "EqQBCkYIBxgCKkB2bm9uZV9zaWduYXR1cmVfZXhhbXBsZQ=="
    )
    redacted = request.messages[2].parts[1]
    assert isinstance(redacted, ThinkingPart)
    assert redacted.redacted
    call = request.messages[2].parts[3]
    assert isinstance(call, ToolCallPart)
    assert orjson.loads(call.arguments) == {
        "city": "Paris",
        "units": ["c"],
    }
    results = request.messages[3].parts
    assert [type(p) for p in results] == [ToolResultPart, ToolResultPart]
    assert isinstance(results[1], ToolResultPart)
    assert results[1].is_error
    assert [p.name for p in results if isinstance(p, ToolResultPart)] == ["get_weather"] * 2
    assert request.tools[1].kind == "web_search"
    assert request.tool_choice == ToolChoice(mode="auto")
    assert request.parallel_tool_calls is True
    assert request.reasoning == ReasoningConfig(budget_tokens=8000)
    assert request.stop == ["\n\nHuman:"]
    assert request.user == "user-42"
    assert request.stream
    assert request.extra["context_management"] == {"edits": [{"type": "clear_tool_uses_20250919"}]}
    assert request.extra["some_future_field"] == {"x": 1}


def test_fixture_validates_against_sdk_types() -> None:
    validate_sdk(CODEC.encode_request(CODEC.decode_request(load("request_tool_thinking.json"))))


@pytest.mark.parametrize(
    "thinking",
    [
        {"type": "adaptive"},
        {"type": "disabled"},
        {"type": "enabled", "budget_tokens": 2048, "display": "omitted"},
    ],
)
def test_thinking_variants_round_trip(thinking: dict[str, Any]) -> None:
    body = {
        "model": "m",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "thinking": thinking,
        "output_config": {"effort": "high"},
    }
    assert CODEC.encode_request(CODEC.decode_request(copy.deepcopy(body))) == body


def test_output_format_and_string_system_round_trip() -> None:
    body = {
        "model": "m",
        "max_tokens": 100,
        "system": "Be terse.",
        "messages": [{"role": "user", "content": "x"}],
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}},
        "stream": False,
        "tool_choice": {"type": "tool", "name": "f", "disable_parallel_tool_use": True},
        "tools": [{"type": "custom", "name": "f", "input_schema": {"type": "object"}}],
        "top_k": 5,
        "top_p": 0.5,
    }
    request = CODEC.decode_request(copy.deepcopy(body))
    assert request.response_format == ResponseFormat(type="json_schema", schema={"type": "object"})
    assert request.parallel_tool_calls is False
    assert CODEC.encode_request(request) == body


def test_mixed_user_turn_splits_into_tool_then_user() -> None:
    body = {
        "model": "m",
        "max_tokens": 10,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "first"},
                    {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                ],
            }
        ],
    }
    request = CODEC.decode_request(body)
    assert [m.role for m in request.messages] == ["tool", "user"]
    encoded = CODEC.encode_request(request)
    assert [b["type"] for b in encoded["messages"][0]["content"]] == ["tool_result", "text"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"max_tokens": 1, "messages": []}, "body.model"),
        ({"model": "m", "messages": []}, "max_tokens"),
        ({"model": "m", "max_tokens": 1}, "messages"),
        ({"model": "m", "max_tokens": 1, "messages": [{"role": "tool", "content": "x"}]}, None),
        ({"model": "m", "max_tokens": 1, "messages": [{"role": "user"}]}, "messages[0].content"),
        (
            {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{}]}]},
            "messages[0].content[0].type",
        ),
        (
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [
                    {"role": "user", "content": [{"type": "tool_use", "id": "a", "name": 3}]}
                ],
            },
            "messages[0].content[0].name",
        ),
        ({"model": "m", "max_tokens": 1, "messages": [], "temperature": "hot"}, "temperature"),
        ({"model": "m", "max_tokens": 1, "messages": [], "thinking": {"type": "x"}}, None),
        ({"model": "m", "max_tokens": 1, "messages": [], "tool_choice": {"type": "x"}}, None),
        ({"model": "m", "max_tokens": 1, "messages": [], "tool_choice": {"type": ["any"]}}, None),
        ({"model": "m", "max_tokens": 1, "messages": [], "system": 5}, "system"),
    ],
)
def test_bad_input_raises_invalid_request(body: dict[str, Any], param: str | None) -> None:
    with pytest.raises(InvalidRequest) as info:
        CODEC.decode_request(body)
    if param is not None:
        assert info.value.param == param


def test_non_dict_body_is_invalid() -> None:
    with pytest.raises(InvalidRequest):
        CODEC.decode_request([])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- cross format


def test_foreign_request_merges_turns_and_hoists_system() -> None:
    request = foreign_request(
        messages=[
            Message("system", [TextPart("sys one")]),
            Message("user", [TextPart("hello")]),
            Message("user", [TextPart("again"), ImagePart(url="data:image/jpeg;base64,AAAA")]),
            Message(
                "assistant",
                [TextPart(""), ToolCallPart(id="c1", name="f", arguments='{"a": 1}')],
            ),
            Message("tool", [ToolResultPart(call_id="c1", content=[TextPart("42")])]),
            Message("developer", [TextPart("late instruction")]),
            Message("user", [TextPart("thanks")]),
            Message("assistant", []),
        ],
        tools=[Tool(name="f", parameters={"type": "object", "properties": {}})],
        tool_choice=ToolChoice(mode="required"),
        parallel_tool_calls=False,
        seed=7,
        stop=["END"],
    )
    body = CODEC.encode_request(request)
    validate_sdk(body)
    assert body["system"] == [
        {"type": "text", "text": "sys one"},
        {"type": "text", "text": "late instruction"},
    ]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "user"]
    first = body["messages"][0]["content"]
    assert first[0] == {"type": "text", "text": "hello"}
    assert first[2]["source"] == {"type": "base64", "media_type": "image/jpeg", "data": "AAAA"}
    assert body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "c1", "name": "f", "input": {"a": 1}}
    ]
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "c1", "content": "42"},
        {"type": "text", "text": "thanks"},
    ]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["max_tokens"] == DEFAULT_MAX_TOKENS
    assert body["stop_sequences"] == ["END"]
    assert "seed" not in body


def test_foreign_effort_maps_to_budget_and_max_tokens_leaves_room() -> None:
    request = foreign_request(
        messages=[Message("user", [TextPart("q")])],
        reasoning=ReasoningConfig(effort="high"),
        temperature=0.2,
        top_k=3,
    )
    body = CODEC.encode_request(request)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 24576}
    assert body["max_tokens"] > 24576
    assert "temperature" not in body
    assert "top_k" not in body
    validate_sdk(body)


@pytest.mark.parametrize(
    ("reasoning", "max_tokens", "thinking"),
    [
        (ReasoningConfig(effort="minimal"), None, {"type": "enabled", "budget_tokens": 1024}),
        (ReasoningConfig(effort="none"), None, {"type": "disabled"}),
        (ReasoningConfig(budget_tokens=-1), None, {"type": "enabled", "budget_tokens": 8192}),
        (ReasoningConfig(budget_tokens=5000), 3000, {"type": "enabled", "budget_tokens": 2999}),
        (ReasoningConfig(budget_tokens=5000), 1000, {"type": "disabled"}),
    ],
)
def test_reasoning_mapping(
    reasoning: ReasoningConfig, max_tokens: int | None, thinking: dict[str, Any]
) -> None:
    request = foreign_request(
        messages=[Message("user", [TextPart("q")])], reasoning=reasoning, max_tokens=max_tokens
    )
    body = CODEC.encode_request(request)
    assert body["thinking"] == thinking
    if thinking.get("budget_tokens"):
        assert body["max_tokens"] > thinking["budget_tokens"]


def test_foreign_reasoning_is_dropped_towards_an_anthropic_upstream() -> None:
    gemini_sig = Signature(WireFormat.GEMINI, "gem-sig")
    native = ThinkingPart(text="mine", signature=Signature(WireFormat.ANTHROPIC, "sig-a"))
    request = foreign_request(
        messages=[
            Message("user", [TextPart("q")]),
            Message(
                "assistant",
                [
                    ThinkingPart(text="unsigned"),
                    ThinkingPart(text="gemini", signature=gemini_sig),
                    native,
                    ToolCallPart(id="c", name="f", arguments="{}", signature=gemini_sig),
                ],
            ),
        ]
    )
    content = CODEC.encode_request(request)["messages"][1]["content"]
    assert content == [
        {"type": "thinking", "thinking": "mine", "signature": "sig-a"},
        {"type": "tool_use", "id": "c", "name": "f", "input": {}},
    ]


def test_packed_foreign_thinking_from_a_client_is_restored() -> None:
    original = ThinkingPart(
        text="summary", signature=Signature(WireFormat.OPENAI_RESPONSES, "enc"), id="rs_1"
    )
    carrier = ThinkingPart(signature=Signature(WireFormat.GEMINI, "g"), extra={"carrier": True})
    body = {
        "model": "m",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "q"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "summary", "signature": pack(original)},
                    {"type": "thinking", "thinking": "", "signature": pack(carrier)},
                    {"type": "tool_use", "id": "c", "name": "f", "input": {}},
                ],
            },
        ],
    }
    parts = CODEC.decode_request(body).messages[1].parts
    assert parts[0] == original
    assert parts[1] == ToolCallPart(
        id="c", name="f", arguments="{}", signature=Signature(WireFormat.GEMINI, "g")
    )


def test_structured_output_and_tools_cross_format() -> None:
    request = foreign_request(
        messages=[Message("user", [TextPart("q")])],
        response_format=ResponseFormat(
            type="json_schema", name="answer", schema={"type": "object"}, strict=True
        ),
        tools=[
            Tool(name="web_search", kind="web_search"),
            Tool(name="exec", kind="code_interpreter"),
        ],
        tool_choice=ToolChoice(mode="tool", name="web_search"),
        user="u1",
    )
    body = CODEC.encode_request(request)
    assert body["output_config"] == {
        "format": {"type": "json_schema", "schema": {"type": "object"}}
    }
    assert body["tools"] == [{"type": "web_search_20250305", "name": "web_search"}]
    assert body["tool_choice"] == {"type": "tool", "name": "web_search"}
    assert body["metadata"] == {"user_id": "u1"}
    validate_sdk(body)


def test_invalid_tool_arguments_become_an_empty_object() -> None:
    request = foreign_request(
        messages=[
            Message("user", [TextPart("q")]),
            Message("assistant", [ToolCallPart(id="c", name="f", arguments='{"a": ')]),
        ]
    )
    block = CODEC.encode_request(request)["messages"][1]["content"][0]
    assert block["input"] == {}


def test_image_without_media_type_is_rejected() -> None:
    request = foreign_request(messages=[Message("user", [ImagePart(data="AAAA")])])
    with pytest.raises(InvalidRequest):
        CODEC.encode_request(request)


def test_document_degrades_to_its_text_elsewhere() -> None:
    request = CODEC.decode_request(load("request_tool_thinking.json"))
    document = request.messages[-1].parts[-1]
    assert isinstance(document, TextPart)
    assert document.text == "Doc body"
    request.source_format = WireFormat.GEMINI
    last = CODEC.encode_request(request)["messages"][-1]["content"][-1]
    assert last == {"type": "text", "text": "Doc body"}


def test_tool_input_with_a_huge_integer_decodes() -> None:
    block = {"type": "tool_use", "id": "t", "name": "f", "input": {"n": 2**70}}
    body = {"model": "m", "max_tokens": 1, "messages": [{"role": "assistant", "content": [block]}]}
    call = CODEC.decode_request(body).messages[0].parts[0]
    assert isinstance(call, ToolCallPart) and call.arguments == '{"n":1180591620717411303424}'


def test_mid_conversation_system_message_stays_in_place_for_anthropic() -> None:
    """Claude Code sends a system message between turns (beta mid-conversation-system)."""
    from daemon.formats.base import codec_for
    from daemon.model import WireFormat

    body = {
        "model": "m",
        "max_tokens": 100,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "system", "content": "Available agent types: ..."},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "go"},
        ],
    }
    codec = codec_for(WireFormat.ANTHROPIC)
    request = codec.decode_request(body)
    request.source_format = WireFormat.ANTHROPIC
    assert codec.encode_request(request) == body
    request.source_format = WireFormat.OPENAI_CHAT  # from another format: hoisted into system
    hoisted = codec.encode_request(request)
    assert hoisted["system"] == "Available agent types: ..."
    assert [m["role"] for m in hoisted["messages"]] == ["user", "assistant", "user"]
