from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
from openai.types.responses import ResponseInputItemParam, ToolParam
from openai.types.responses.response_create_params import ResponseCreateParamsBase
from pydantic import TypeAdapter

from daemon.errors import InvalidRequest, TranslationError
from daemon.formats import reasoning
from daemon.formats.base import Codec
from daemon.formats.openai_responses import CODEC, ensure_translatable, same_format_only
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

FIXTURES = Path(__file__).parents[3] / "fixtures" / "formats" / "openai_responses"
R = WireFormat.OPENAI_RESPONSES


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return data


def test_codec_satisfies_the_protocol() -> None:
    codec: Codec = CODEC
    assert codec.format == R


def test_codex_request_round_trips_losslessly() -> None:
    body = load("codex_request.json")
    original = copy.deepcopy(body)
    request = CODEC.decode_request(body)
    assert body == original, "decoding must not mutate its input"
    assert CODEC.encode_request(request) == original


def test_codex_request_decodes_into_the_model() -> None:
    request = CODEC.decode_request(load("codex_request.json"))
    assert request.model == "gpt-5.1-codex"
    assert request.stream is True
    roles = [m.role for m in request.messages]
    assert roles == [
        "system",
        "developer",
        "user",
        "user",
        "assistant",
        "tool",
        "assistant",
        "assistant",
        "user",
    ]
    system = request.messages[0]
    assert system.parts == [TextPart(text=system.parts[0].text)]  # type: ignore[union-attr]
    image = request.messages[3].parts[1]
    assert isinstance(image, ImagePart)
    assert (image.media_type, image.data, image.detail) == ("image/png", "iVBORw0KGgo=", "auto")
    assistant = request.messages[4].parts
    thinking, text, shell, read = assistant
    assert isinstance(thinking, ThinkingPart)
    assert thinking.text == "**Listing files**\n\nI will run ls.\n\nThen read."
    assert thinking.signature == Signature(R, "gAAAAABo-native-openai-blob==")
    assert isinstance(text, TextPart)
    assert text.text == "Let me look."
    assert isinstance(shell, ToolCallPart)
    assert shell.id == "call_A1"
    assert isinstance(read, ToolCallPart)
    assert read.name == "mcp__fs__read_file"
    results = request.messages[5].parts
    assert [p.call_id for p in results if isinstance(p, ToolResultPart)] == ["call_A1", "call_B2"]
    assert isinstance(results[0], ToolResultPart)
    assert results[0].name == "shell_command"
    assert [t.name for t in request.tools] == [
        "shell_command",
        "mcp__fs__read_file",
        "mcp__fs__list_dir",
        "web_search",
        "apply_patch",
    ]
    assert [t.kind for t in request.tools] == [
        "function",
        "function",
        "function",
        "web_search",
        "custom",
    ]
    assert request.reasoning == ReasoningConfig(effort="medium", summary="auto")
    assert request.response_format == ResponseFormat(
        "json_schema", "answer", {"type": "object", "properties": {"a": {"type": "string"}}}, True
    )
    assert request.tool_choice == ToolChoice("auto")
    assert request.parallel_tool_calls is True
    assert request.extra["store"] is False
    assert request.extra["prompt_cache_key"].startswith("0199")
    assert same_format_only(request) == [
        "input[9] (custom_tool_call)",
        "input[10] (custom_tool_call_output)",
    ]


def test_same_format_only_content_is_rejected_for_another_target() -> None:
    request = CODEC.decode_request(
        {
            "model": "m",
            "input": [{"type": "item_reference", "id": "msg_1"}, {"role": "user", "content": "hi"}],
        }
    )
    ensure_translatable(request, R)
    with pytest.raises(TranslationError, match="item_reference"):
        ensure_translatable(request, WireFormat.ANTHROPIC)
    assert CODEC.encode_request(request)["input"][0] == {"type": "item_reference", "id": "msg_1"}


def test_string_input_and_minimal_body_round_trip() -> None:
    bodies: list[dict[str, Any]] = [
        {"model": "m", "input": "hello"},
        {"model": "m", "input": [{"role": "user", "content": "hi"}], "stream": False},
        {"model": "m", "instructions": "be terse", "previous_response_id": "resp_1"},
        {"model": "m", "input": [], "reasoning": None, "temperature": 0.2, "top_p": 1},
        {"model": "m", "input": [{"type": "message", "role": "assistant", "content": "plain"}]},
        {
            "model": "m",
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [
                        {"type": "input_file", "file_id": "file-1"},
                        {"type": "input_text", "text": "see"},
                    ],
                },
                {
                    "type": "message",
                    "role": "assistant",
                    "id": "msg_9",
                    "status": "completed",
                    "content": [
                        {"type": "output_text", "text": "a", "annotations": []},
                        {"type": "refusal", "refusal": "no"},
                    ],
                },
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "b"}],
                },
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {
                    "type": "function_call",
                    "id": "fc_1",
                    "call_id": "c",
                    "name": "f",
                    "arguments": "{}",
                    "status": "completed",
                },
            ],
            "tool_choice": {
                "type": "allowed_tools",
                "mode": "auto",
                "tools": [{"type": "function", "name": "f"}],
            },
        },
    ]
    for body in bodies:
        assert CODEC.encode_request(CODEC.decode_request(copy.deepcopy(body))) == body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "model"),
        ({"model": 3}, "model"),
        ({"model": "m", "input": 5}, "input"),
        ({"model": "m", "input": [5]}, "input[0]"),
        (
            {"model": "m", "input": [{"type": "message", "role": "robot", "content": "x"}]},
            "input[0].role",
        ),
        ({"model": "m", "input": [{"type": "function_call", "name": "f"}]}, "input[0].call_id"),
        (
            {
                "model": "m",
                "input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}],
            },
            "input[0].arguments",
        ),
        (
            {"model": "m", "input": [{"role": "user", "content": [{"type": "input_text"}]}]},
            "input[0].content[0].text",
        ),
        ({"model": "m", "tools": [{"type": "function"}]}, "tools[0].name"),
        ({"model": "m", "tools": {}}, "tools"),
        ({"model": "m", "tool_choice": "sometimes"}, "tool_choice"),
        ({"model": "m", "temperature": "hot"}, "temperature"),
        ({"model": "m", "max_output_tokens": 1.5}, "max_output_tokens"),
        ({"model": "m", "text": {"format": {"type": "yaml"}}}, "text.format.type"),
        ({"model": "m", "reasoning": "high"}, "reasoning"),
        ({"model": "m", "instructions": ["x"]}, "instructions"),
    ],
)
def test_bad_input_names_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        CODEC.decode_request(body)
    assert info.value.param == field


# --------------------------------------------------------------------------- from other formats


def foreign_request() -> Request:
    anthropic_thinking = ThinkingPart(
        text="hmm", signature=Signature(WireFormat.ANTHROPIC, "sig-a")
    )
    native = ThinkingPart(text="plan", signature=Signature(R, "gAAAA-native"), id="rs_native")
    gemini_sig = Signature(WireFormat.GEMINI, "gem-sig")
    return Request(
        model="gpt-5",
        source_format=WireFormat.ANTHROPIC,
        messages=[
            Message("system", [TextPart("sys one")]),
            Message("system", [TextPart("sys two")]),
            Message("user", [TextPart("hi"), ImagePart(url="https://x/y.png")]),
            Message(
                "assistant",
                [
                    anthropic_thinking,
                    native,
                    TextPart("calling"),
                    ToolCallPart(
                        "call_1", "mcp__fs__read_file", '{"path":"a"}', signature=gemini_sig
                    ),
                ],
            ),
            Message("tool", [ToolResultPart("call_1", [TextPart("body")], is_error=True)]),
            Message("developer", [TextPart("late instruction")]),
        ],
        tools=[
            Tool(
                "mcp__fs__read_file",
                "read",
                {"type": "object", "properties": {"path": {"type": "string"}}},
            ),
            Tool("web_search", kind="web_search"),
        ],
        tool_choice=ToolChoice("tool", "mcp__fs__read_file"),
        max_tokens=100,
        temperature=0.5,
        top_k=5,
        stop=["END"],
        seed=1,
        reasoning=ReasoningConfig(budget_tokens=10000, include_thoughts=True),
        response_format=ResponseFormat("json_object"),
        stream=True,
        user="u-1",
        extra={"anthropic_only": 1},
    )


def test_encode_from_another_format(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cliproxy.formats"):
        body = CODEC.encode_request(foreign_request())
    assert body["instructions"] == "sys one\n\nsys two"
    assert body["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "hi"},
                {"type": "input_image", "image_url": "https://x/y.png", "detail": "auto"},
            ],
        },
        {
            "type": "reasoning",
            "id": "rs_native",
            "summary": [{"type": "summary_text", "text": "plan"}],
            "encrypted_content": "gAAAA-native",
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "calling"}],
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "mcp__fs__read_file",
            "arguments": '{"path":"a"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "body"},
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "late instruction"}],
        },
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "name": "mcp__fs__read_file",
            "description": "read",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
            "strict": False,
        },
        {"type": "web_search"},
    ]
    assert body["tool_choice"] == {"type": "function", "name": "mcp__fs__read_file"}
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["text"] == {"format": {"type": "json_object"}}
    assert (body["max_output_tokens"], body["temperature"], body["stream"], body["user"]) == (
        100,
        0.5,
        True,
        "u-1",
    )
    assert "anthropic_only" not in body
    assert "top_k" not in body
    logged = caplog.text
    for field in ("top_k", "stop", "seed", "reasoning", "is_error"):
        assert f"dropping {field}" in logged or field in logged
    validate_request(body)


def validate_request(body: dict[str, Any]) -> None:
    """Check a produced body against the SDK's own TypedDicts."""
    TypeAdapter(ResponseCreateParamsBase).validate_python({**body, "input": [], "tools": []})
    for item in body["input"]:
        if item.get("role") == "assistant":
            # The SDK types assistant history as ResponseOutputMessageParam, which wants the
            # id and status only the API itself assigns; the API accepts them absent (Codex).
            item = {"id": "msg_x", "status": "completed", **item}
            item["content"] = [{"annotations": [], **c} for c in item["content"]]
        TypeAdapter(ResponseInputItemParam).validate_python(item)
    for tool in body.get("tools", []):
        TypeAdapter(ToolParam).validate_python(tool)


def test_codex_fixture_validates_against_the_sdk() -> None:
    body = CODEC.encode_request(CODEC.decode_request(load("codex_request.json")))
    # Codex sends reasoning items without an id, which the SDK's param type requires.
    body["input"] = [i for i in body["input"] if i.get("type") != "reasoning"]
    validate_request(body)


def test_unknown_builtin_tool_from_another_format_is_dropped() -> None:
    request = Request(
        model="m",
        source_format=WireFormat.GEMINI,
        tools=[Tool("code_execution", kind="code_execution"), Tool("f")],
    )
    assert [t["name"] for t in CODEC.encode_request(request)["tools"]] == ["f"]


def test_namespace_is_restored_when_a_call_comes_back_same_format() -> None:
    body = load("codex_request.json")
    request = CODEC.decode_request(body)
    # A call the model made elsewhere (no marker), but to a namespaced tool the client declared.
    request.messages.append(
        Message("assistant", [ToolCallPart("call_new", "mcp__fs__list_dir", "{}")])
    )
    out = CODEC.encode_request(request)
    assert out["input"][-1] == {
        "type": "function_call",
        "call_id": "call_new",
        "name": "list_dir",
        "arguments": "{}",
        "namespace": "mcp__fs__",
    }


def test_packed_carrier_comes_back_to_its_tool_call() -> None:
    # What our encoder sent a Responses client for a Gemini-signed call, coming back as input.
    carrier = ThinkingPart(signature=Signature(WireFormat.GEMINI, "gem"), extra={"carrier": True})
    packed = reasoning.opaque_for(carrier, R)
    body = {
        "model": "m",
        "input": [
            {"type": "reasoning", "id": "rs_c", "summary": [], "encrypted_content": packed},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        ],
    }
    request = CODEC.decode_request(body)
    (message,) = request.messages
    assert message.parts == [
        ToolCallPart(
            "c1",
            "f",
            "{}",
            signature=Signature(WireFormat.GEMINI, "gem"),
            extra=message.parts[0].extra,
        )
    ]
