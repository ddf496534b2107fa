from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from daemon.errors import InvalidRequest, TranslationError
from daemon.formats.base import codec_for
from daemon.formats.openai_chat import CODEC
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
from tests.unit.formats.openai_chat.support import load_json

FIXTURES = ["request_tools.json", "request_plain.json"]


def test_codec_is_registered() -> None:
    assert codec_for(WireFormat.OPENAI_CHAT) is CODEC
    assert CODEC.format == WireFormat.OPENAI_CHAT


@pytest.mark.parametrize("name", FIXTURES)
def test_same_format_round_trip_is_lossless(name: str) -> None:
    body = load_json(name)
    original = copy.deepcopy(body)
    request = CODEC.decode_request(body)
    assert body == original, "decoding must not mutate the body"
    assert CODEC.encode_request(request) == original


def test_decode_realistic_request() -> None:
    req = CODEC.decode_request(load_json("request_tools.json"))
    assert req.model == "gpt-4.1"
    assert req.source_format == WireFormat.OPENAI_CHAT
    assert [m.role for m in req.messages] == [
        "developer",
        "system",
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "user",
    ]
    assert req.messages[1].name == "policy"
    user = req.messages[2]
    assert user.parts[0] == TextPart("What is in this picture, and what's the weather in Paris?")
    image = user.parts[1]
    assert isinstance(image, ImagePart)
    assert (image.media_type, image.data, image.url, image.detail) == (
        "image/png",
        "iVBORw0KGgo=",
        None,
        "high",
    )
    url_image = user.parts[2]
    assert isinstance(url_image, ImagePart)
    assert url_image.url == "https://example.com/cat.jpg"
    assert url_image.data is None
    assert len(user.parts) == 3  # the audio part is kept for same-format only
    assistant = req.messages[3]
    assert assistant.parts == [
        ThinkingPart(text="I should call the weather tool."),
        ToolCallPart(id="call_abc", name="get_weather", arguments='{"city": "Paris"}'),
        ToolCallPart(id="call_def", name="get_time", arguments='{"tz":'),
    ]
    assert req.messages[4].parts == [
        ToolResultPart(call_id="call_abc", content=[TextPart('{"temp_c": 18}')])
    ]
    result = req.messages[5].parts[0]
    assert isinstance(result, ToolResultPart)
    assert result.call_id == "call_def"
    assert result.content == [TextPart("14:02")]
    assert req.messages[7].extra["x_client_tag"] == 7
    assert req.tools[0] == Tool(
        name="get_weather",
        description="Current weather",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        strict=True,
    )
    assert req.tool_choice == ToolChoice(mode="tool", name="get_weather")
    assert req.parallel_tool_calls is False
    assert req.max_tokens == 1024
    assert (req.temperature, req.top_p, req.seed) == (0.2, 1, 42)
    assert req.stop == ["END"]
    assert req.response_format == ResponseFormat(
        type="json_schema",
        name="answer",
        schema={"type": "object", "properties": {"text": {"type": "string"}}},
        strict=True,
    )
    assert req.reasoning == ReasoningConfig(effort="low")
    assert req.stream is True
    assert req.include_usage is True
    assert req.user == "user-1234"
    for key in ("n", "logprobs", "frequency_penalty", "metadata", "store", "service_tier"):
        assert key in req.extra


def test_decode_plain_request_details() -> None:
    req = CODEC.decode_request(load_json("request_plain.json"))
    assert req.messages[0].parts == []  # "" system content: no empty text part
    call = req.messages[2].parts[0]
    assert isinstance(call, ToolCallPart)
    assert (call.id, call.name, call.arguments) == ("call_1", "ls", "")
    assert req.messages[3].parts == [ToolResultPart(call_id="call_1")]
    assert [p.text for p in req.messages[4].parts if isinstance(p, TextPart)] == [
        "Done.",
        "No more.",
    ]
    assert req.tools[1].kind == "custom"
    assert req.tools[1].name == "grammar_tool"
    assert req.tool_choice == ToolChoice(mode="auto")
    assert req.max_tokens == 300  # max_completion_tokens wins
    assert req.stop == ["a", "b"]
    assert req.temperature is None
    assert req.top_k == 20
    assert req.stream is False
    assert req.extra["enable_thinking"] is True


def _foreign(**kwargs: Any) -> Request:
    kwargs.setdefault("model", "m")
    kwargs.setdefault("source_format", WireFormat.ANTHROPIC)
    return Request(**kwargs)


def test_encode_foreign_request_never_writes_extras_or_invents_fields() -> None:
    req = _foreign(
        messages=[
            Message("system", [TextPart("sys")], extra={"cache_control": {"type": "ephemeral"}}),
            Message("user", [TextPart("hi", extra={"cache_control": {"type": "ephemeral"}})]),
        ],
        max_tokens=100,
        extra={"metadata": {"user_id": "u"}},
    )
    assert CODEC.encode_request(req) == {
        "model": "m",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "max_tokens": 100,
    }


def foreign_tool_request() -> Request:
    return _foreign(
        messages=[
            Message("user", [TextPart("go"), ImagePart(media_type="image/jpeg", data="AAAA")]),
            Message(
                "assistant",
                [
                    ThinkingPart(text="think", signature=Signature(WireFormat.ANTHROPIC, "sig")),
                    ThinkingPart(signature=Signature(WireFormat.ANTHROPIC, "x"), redacted=True),
                    TextPart("calling"),
                    ToolCallPart(id="t1", name="a", arguments="{}"),
                    ToolCallPart(id="t2", name="b", arguments='{"x":1}'),
                ],
            ),
            Message(
                "tool",
                [
                    ToolResultPart(call_id="t1", content=[TextPart("one")]),
                    ToolResultPart(call_id="t2", content=[TextPart("e")], is_error=True),
                ],
            ),
        ],
        tools=[
            Tool(name="a", parameters={"type": "object"}),
            Tool(name="web_search", kind="web_search"),
        ],
        tool_choice=ToolChoice(mode="required"),
        stop=["x"],
        top_k=5,
        reasoning=ReasoningConfig(budget_tokens=20000, include_thoughts=True),
        response_format=ResponseFormat(type="json_schema", schema={"type": "object"}),
        stream=True,
    )


def test_encode_foreign_tool_turns() -> None:
    out = CODEC.encode_request(foreign_tool_request())
    assert out["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "go"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}},
            ],
        },
        {
            "role": "assistant",
            "content": "calling",
            "reasoning_content": "think",
            "tool_calls": [
                {"id": "t1", "type": "function", "function": {"name": "a", "arguments": "{}"}},
                {
                    "id": "t2",
                    "type": "function",
                    "function": {"name": "b", "arguments": '{"x":1}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "one"},
        {"role": "tool", "tool_call_id": "t2", "content": "e"},
    ]
    assert out["tools"] == [
        {"type": "function", "function": {"name": "a", "parameters": {"type": "object"}}}
    ]
    assert out["tool_choice"] == "required"
    assert out["stop"] == ["x"]
    assert "top_k" not in out
    assert out["reasoning_effort"] == "high"  # 20000 tokens is nearest "high"
    assert out["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": {"type": "object"}},
    }
    assert out["stream"] is True
    assert out["stream_options"] == {"include_usage": True}


def test_encode_drops_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    req = _foreign(
        messages=[
            Message(
                "assistant",
                [ThinkingPart(text="t", signature=Signature(WireFormat.GEMINI, "s"))],
            )
        ],
        top_k=3,
    )
    with caplog.at_level(logging.DEBUG, logger="cliproxy.formats"):
        CODEC.encode_request(req)
    text = caplog.text
    assert "thinking signature" in text
    assert "top_k" in text


def test_tool_choice_named_and_mixed_message_split() -> None:
    req = _foreign(
        messages=[
            Message(
                "user",
                [ToolResultPart(call_id="c", content=[TextPart("r")]), TextPart("and more")],
            )
        ],
        tool_choice=ToolChoice(mode="tool", name="f"),
    )
    out = CODEC.encode_request(req)
    assert out["messages"] == [
        {"role": "tool", "tool_call_id": "c", "content": "r"},
        {"role": "user", "content": "and more"},
    ]
    assert out["tool_choice"] == {"type": "function", "function": {"name": "f"}}


def test_effort_passes_through_and_budget_zero_is_none() -> None:
    assert CODEC.encode_request(_foreign(reasoning=ReasoningConfig(effort="minimal")))[
        "reasoning_effort"
    ] == ("minimal")
    assert (
        CODEC.encode_request(_foreign(reasoning=ReasoningConfig(budget_tokens=0)))[
            "reasoning_effort"
        ]
        == "none"
    )
    assert (
        CODEC.encode_request(_foreign(reasoning=ReasoningConfig(budget_tokens=-1)))[
            "reasoning_effort"
        ]
        == "medium"
    )


def test_image_without_data_or_url_is_rejected() -> None:
    req = _foreign(messages=[Message("user", [ImagePart()])])
    with pytest.raises(TranslationError):
        CODEC.encode_request(req)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "model"),
        ({"model": "m"}, "messages"),
        ({"model": "m", "messages": "hi"}, "messages"),
        ({"model": "m", "messages": ["hi"]}, "messages[0]"),
        ({"model": "m", "messages": [{"role": "bot", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        (
            {"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]},
            "messages[0].content[0].text",
        ),
        (
            {"model": "m", "messages": [{"role": "tool", "content": "x"}]},
            "messages[0].tool_call_id",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": 1}}]}
                ],
            },
            "messages[0].tool_calls[0].function.name",
        ),
        ({"model": "m", "messages": [], "max_tokens": "5"}, "max_tokens"),
        ({"model": "m", "messages": [], "temperature": True}, "temperature"),
        ({"model": "m", "messages": [], "stop": [1]}, "stop[0]"),
        ({"model": "m", "messages": [], "tools": [{"type": "function"}]}, "tools[0].function"),
        ({"model": "m", "messages": [], "tool_choice": "always"}, "tool_choice"),
        ({"model": "m", "messages": [], "stream": "yes"}, "stream"),
        ({"model": "m", "messages": [], "response_format": "json"}, "response_format"),
        ({"model": "m", "messages": [{"role": ["user"]}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"role": {"x": 1}}]}, "messages[0].role"),
    ],
)
def test_bad_input_raises_invalid_request_naming_the_field(
    body: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequest) as info:
        CODEC.decode_request(body)
    assert info.value.param == param
    assert param in info.value.message


def test_non_dict_body_is_invalid() -> None:
    with pytest.raises(InvalidRequest):
        CODEC.decode_request([])  # type: ignore[arg-type]


def test_same_format_with_edited_canonical_falls_back_cleanly() -> None:
    req = CODEC.decode_request(load_json("request_tools.json"))
    # The router replaced the content of a string message with two parts: must become a list.
    req.messages[0].parts = [TextPart("a"), TextPart("b")]
    req.model = "other"
    out = CODEC.encode_request(req)
    assert out["model"] == "other"
    assert out["messages"][0]["content"] == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"},
    ]
