"""Gemini request decode / encode."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from daemon.errors import InvalidRequest, TranslationError
from daemon.formats.base import codec_for
from daemon.formats.gemini import CODEC
from daemon.formats.gemini._wire import SKIP_SIGNATURE, is_invented
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

from ._support import load_json

G = WireFormat.GEMINI


def _cross(request: Request) -> dict[str, Any]:
    """Encode as if the request came from a client of another format."""
    request.source_format = WireFormat.OPENAI_CHAT
    return CODEC.encode_request(request)


def test_fixture_round_trips_losslessly() -> None:
    body = load_json("request_tools.json")
    assert CODEC.encode_request(CODEC.decode_request(body)) == body


def test_decode_fixture_content() -> None:
    request = CODEC.decode_request_for(load_json("request_tools.json"), "gemini-2.5-pro")
    assert request.model == "gemini-2.5-pro"
    assert request.source_format is G
    roles = [m.role for m in request.messages]
    assert roles == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
        "tool",
        "user",
    ]
    system = request.messages[0]
    assert [p.text for p in system.parts if isinstance(p, TextPart)] == [
        "You are terse.",
        "Use metric units.",
    ]
    user = request.messages[1]
    assert isinstance(user.parts[1], ImagePart)
    assert user.parts[1].media_type == "image/png"
    assert user.extra["_gemini_opaque"][0][0] == 2  # the PDF rides along for Gemini only
    assert request.same_format_only == ["contents[0].parts (fileData)"]
    model = request.messages[2]
    thinking, call1, call2 = model.parts
    assert isinstance(thinking, ThinkingPart)
    assert thinking.signature is None
    assert isinstance(call1, ToolCallPart)
    assert call1.signature == Signature(G, "c2lnbmF0dXJlLW9uZQ==")
    assert call1.arguments == '{"city":"Paris"}'
    assert isinstance(call2, ToolCallPart)
    assert is_invented(call1.id)
    assert call1.id != call2.id
    result1, result2 = request.messages[3].parts
    assert isinstance(result1, ToolResultPart)
    assert isinstance(result2, ToolResultPart)
    assert (result1.call_id, result2.call_id) == (call1.id, call2.id)
    assert result2.is_error
    assert result2.content == [TextPart("station offline")]
    assert result1.content == [TextPart('{"temp_c":21,"sky":"clear"}')]
    signed = request.messages[4].parts[0]
    assert isinstance(signed, TextPart)
    assert signed.signature == Signature(G, "dGV4dC1zaWc=")
    last_result = request.messages[7].parts[0]
    assert isinstance(last_result, ToolResultPart)
    assert last_result.call_id == "call-7"
    assert last_result.content == [TextPart("plain text result")]
    assert request.tool_choice == ToolChoice("required")
    assert [t.kind for t in request.tools] == [
        "function",
        "function",
        "web_search",
        "code_execution",
    ]
    assert request.tools[1].parameters == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"q": {"type": "string"}},
    }
    assert (request.temperature, request.top_p, request.top_k) == (0.4, 0.9, 40)
    assert (request.max_tokens, request.stop, request.seed) == (2048, ["END"], 7)
    assert request.response_format == ResponseFormat(
        "json_schema", schema={"type": "object", "properties": {"answer": {"type": "string"}}}
    )
    assert request.reasoning == ReasoningConfig(budget_tokens=1024, include_thoughts=True)
    assert request.extra["safetySettings"][0]["threshold"] == "BLOCK_NONE"
    assert request.extra["generationConfig"] == {"candidateCount": 1, "presencePenalty": 0.1}


def test_invented_ids_are_stable() -> None:
    body = load_json("request_tools.json")
    first = CODEC.decode_request(body)
    second = CODEC.decode_request(orjson.loads(orjson.dumps(body)))
    ids = [p.id for m in first.messages for p in m.parts if isinstance(p, ToolCallPart)]
    again = [p.id for m in second.messages for p in m.parts if isinstance(p, ToolCallPart)]
    assert ids == again


def test_snake_case_keys_are_accepted() -> None:
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [{"inline_data": {"mime_type": "image/jpeg", "data": "AA=="}}],
            },
            {
                "role": "model",
                "parts": [
                    {"function_call": {"name": "f", "args": {"a": 1}}, "thought_signature": "c2ln"}
                ],
            },
            {
                "role": "user",
                "parts": [{"function_response": {"name": "f", "response": {"ok": 1}}}],
            },
        ],
        "system_instruction": {"parts": [{"text": "sys"}]},
        "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {}}]}],
        "tool_config": {"function_calling_config": {"mode": "NONE"}},
        "generation_config": {
            "max_output_tokens": 5,
            "top_p": 0.5,
            "thinking_config": {"thinking_level": "HIGH", "include_thoughts": False},
        },
    }
    request = CODEC.decode_request(body)
    assert request.messages[0].parts == [TextPart("sys")]
    assert request.messages[1].parts == [ImagePart(media_type="image/jpeg", data="AA==")]
    call = request.messages[2].parts[0]
    assert isinstance(call, ToolCallPart)
    assert call.signature == Signature(G, "c2ln")
    result = request.messages[3].parts[0]
    assert isinstance(result, ToolResultPart)
    assert result.call_id == call.id
    assert request.tools[0].name == "f"
    assert request.tools[0].parameters == {}
    assert request.tool_choice == ToolChoice("none")
    assert (request.max_tokens, request.top_p) == (5, 0.5)
    assert request.reasoning == ReasoningConfig(effort="high", include_thoughts=False)
    encoded = CODEC.encode_request(request)
    assert encoded["generationConfig"]["thinkingConfig"] == {
        "thinkingLevel": "HIGH",
        "includeThoughts": False,
    }
    assert "functionCall" in encoded["contents"][1]["parts"][0]
    assert encoded["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"] == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contents": "hi"}, "contents"),
        ({"contents": [{"role": "robot", "parts": []}]}, "contents[0].role"),
        ({"contents": [{"role": "user", "parts": [{"text": 3}]}]}, "contents[0].parts[0].text"),
        ({"contents": [{"parts": [{"functionCall": {"args": {}}}]}]}, "functionCall.name"),
        ({"contents": [{"parts": [{"functionCall": {"name": "f", "args": []}}]}]}, "args"),
        ({"contents": [], "generationConfig": {"temperature": "hot"}}, "temperature"),
        ({"contents": [], "tools": [{"functionDeclarations": [{}]}]}, "name"),
        ({"contents": [], "toolConfig": []}, "toolConfig"),
    ],
)
def test_bad_input_raises_invalid_request(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest, match=field.replace("[", r"\[").replace("]", r"\]")):
        CODEC.decode_request(body)


def test_results_pair_by_name_then_order() -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "go"}]},
            {
                "role": "model",
                "parts": [
                    {"functionCall": {"name": "a", "args": {}}},
                    {"functionCall": {"name": "b", "args": {}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "b", "response": {"r": 1}}},
                    {"functionResponse": {"name": "a", "response": {"r": 2}}},
                ],
            },
        ]
    }
    request = CODEC.decode_request(body)
    calls = {p.name: p.id for p in request.messages[1].parts if isinstance(p, ToolCallPart)}
    results = [p for p in request.messages[2].parts if isinstance(p, ToolResultPart)]
    assert [(r.name, r.call_id) for r in results] == [("b", calls["b"]), ("a", calls["a"])]
    # invented ids stay out of what goes back to Gemini: the body round-trips unchanged
    assert CODEC.encode_request(request) == body


def _conversation() -> Request:
    return Request(
        model="gemini-2.5-flash",
        messages=[
            Message("system", [TextPart("be brief")]),
            Message("user", [TextPart("hi"), ImagePart(url="data:image/png;base64,QUJD")]),
            Message(
                "assistant",
                [
                    ThinkingPart("hmm", signature=Signature(WireFormat.ANTHROPIC, "anth-sig")),
                    TextPart("calling"),
                    ToolCallPart("toolu_1", "get", '{"k": 1}'),
                    ToolCallPart("toolu_2", "get", '{"k": 2}'),
                ],
            ),
            Message(
                "tool",
                [
                    ToolResultPart("toolu_1", [TextPart("plain")]),
                    ToolResultPart("toolu_2", [TextPart('{"v": 2}')], is_error=True),
                ],
            ),
            Message("developer", [TextPart("late instruction")]),
            Message("user", [TextPart("and?")]),
            Message("user", [ImagePart(url="https://x.test/cat.webp?size=2", detail="high")]),
        ],
        tools=[
            Tool(
                "get", "get a thing", {"type": "object", "properties": {"k": {"type": "integer"}}}
            ),
            Tool("web_search", kind="web_search"),
        ],
        tool_choice=ToolChoice("tool", "get"),
        max_tokens=100,
        reasoning=ReasoningConfig(effort="low"),
        response_format=ResponseFormat(
            "json_schema", name="out", schema={"type": "object", "additionalProperties": False}
        ),
    )


def test_cross_format_encode() -> None:
    body = _cross(_conversation())
    assert body["systemInstruction"] == {
        "parts": [{"text": "be brief"}, {"text": "late instruction"}]
    }
    contents = body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[0]["parts"] == [
        {"text": "hi"},
        {"inlineData": {"mimeType": "image/png", "data": "QUJD"}},
    ]
    # Anthropic's signed thinking cannot be replayed to Gemini: dropped; first call gets the
    # documented skip value, the second stays unsigned.
    assert contents[1]["parts"] == [
        {"text": "calling"},
        {
            "functionCall": {"name": "get", "args": {"k": 1}, "id": "toolu_1"},
            "thoughtSignature": SKIP_SIGNATURE,
        },
        {"functionCall": {"name": "get", "args": {"k": 2}, "id": "toolu_2"}},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get", "response": {"result": "plain"}, "id": "toolu_1"}},
        {"functionResponse": {"name": "get", "response": {"error": '{"v": 2}'}, "id": "toolu_2"}},
        {"text": "and?"},
        {"fileData": {"mimeType": "image/webp", "fileUri": "https://x.test/cat.webp?size=2"}},
    ]
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get",
                    "description": "get a thing",
                    "parameters": {"type": "object", "properties": {"k": {"type": "integer"}}},
                }
            ]
        },
        {"googleSearch": {}},
    ]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get"]}
    }
    assert body["generationConfig"] == {
        "maxOutputTokens": 100,
        "responseMimeType": "application/json",
        "responseSchema": {"type": "object"},
        "thinkingConfig": {"thinkingBudget": 1024},
    }


def test_effort_becomes_thinking_level_for_gemini_3() -> None:
    request = Request(model="gemini-3-pro-preview", messages=[Message("user", [TextPart("x")])])
    for effort, level in [("minimal", "low"), ("medium", "high"), ("xhigh", "high")]:
        request.reasoning = ReasoningConfig(effort=effort)
        assert _cross(request)["generationConfig"]["thinkingConfig"] == {"thinkingLevel": level}
    request.reasoning = ReasoningConfig(effort="high", budget_tokens=4000, include_thoughts=True)
    assert _cross(request)["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 4000,
        "includeThoughts": True,
    }


def test_tool_choice_modes() -> None:
    request = Request(model="m", messages=[Message("user", [TextPart("x")])], tools=[Tool("f")])
    for choice, expected in [
        (ToolChoice("auto"), {"mode": "AUTO"}),
        (ToolChoice("none"), {"mode": "NONE"}),
        (ToolChoice("required"), {"mode": "ANY"}),
    ]:
        request.tool_choice = choice
        body = _cross(request)
        assert body["toolConfig"] == {"functionCallingConfig": expected}
        assert CODEC.decode_request(body).tool_choice == choice


def test_result_name_is_found_from_earlier_call_or_rejected() -> None:
    request = Request(
        model="m",
        messages=[
            Message("user", [TextPart("x")]),
            Message("assistant", [ToolCallPart("c1", "lookup", "{}")]),
            Message("tool", [ToolResultPart("c1", [TextPart("r")])]),
        ],
    )
    parts = _cross(request)["contents"][2]["parts"]
    assert parts[0]["functionResponse"]["name"] == "lookup"
    request.messages[2].parts = [ToolResultPart("nope", [TextPart("r")])]
    with pytest.raises(TranslationError, match="name"):
        _cross(request)


def test_invalid_arguments_and_unknown_builtin_are_dropped() -> None:
    request = Request(
        model="m",
        messages=[
            Message("user", [TextPart("x")]),
            Message("assistant", [ToolCallPart("c1", "f", "not json")]),
        ],
    )
    call = _cross(request)["contents"][1]["parts"][0]["functionCall"]
    assert call == {"name": "f", "args": {}, "id": "c1"}  # as Anthropic does (policy.py)
    request.messages.pop()
    request.tools = [Tool("bash", kind="bash"), Tool("f", parameters={"type": "object"})]
    assert [list(t) for t in _cross(request)["tools"]] == [["functionDeclarations"]]


def test_empty_messages_are_dropped_and_no_turns_rejected() -> None:
    request = Request(model="m", messages=[Message("user", []), Message("user", [TextPart("x")])])
    assert _cross(request)["contents"] == [{"role": "user", "parts": [{"text": "x"}]}]
    with pytest.raises(TranslationError, match="turn"):
        _cross(Request(model="m", messages=[Message("system", [TextPart("s")])]))


def test_gemini_signed_thinking_round_trips_and_packed_foreign_is_restored() -> None:
    foreign = ThinkingPart("deep", signature=Signature(WireFormat.ANTHROPIC, "EqR=="))
    packed = base64.b64encode(pack(foreign).encode()).decode()
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "q"}]},
            {
                "role": "model",
                "parts": [
                    {"text": "deep", "thought": True},  # what the stream showed earlier
                    {"text": "", "thought": True, "thoughtSignature": packed},
                    {"text": "native", "thought": True, "thoughtSignature": "bmF0aXZl"},
                    {"text": "answer"},
                ],
            },
        ]
    }
    parts = CODEC.decode_request(body).messages[1].parts
    assert parts == [
        ThinkingPart("deep", signature=Signature(WireFormat.ANTHROPIC, "EqR==")),
        ThinkingPart("native", signature=Signature(G, "bmF0aXZl")),
        TextPart("answer"),
    ]


def test_no_model_in_encoded_body_and_model_key_is_read() -> None:
    request = CODEC.decode_request({"model": "gemini-x", "contents": []})
    assert request.model == "gemini-x"
    assert "model" not in CODEC.encode_request(request)


def _model_turn(*parts: dict[str, Any]) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": "q"}]},
            {"role": "model", "parts": list(parts)},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "f", "response": {"ok": 1}, "id": "c1"}}],
            },
        ]
    }


def _wrapped(*parts: ThinkingPart) -> str:
    return base64.b64encode(",".join(pack(p) for p in parts).encode()).decode()


ANTH = ThinkingPart("plan it", signature=Signature(WireFormat.ANTHROPIC, "EqR=="))
CALL = {"functionCall": {"name": "f", "args": {"a": 1}, "id": "c1"}}


def test_skip_signature_is_never_a_signature() -> None:
    # what Gemini CLI sends for a call it holds no signature for (see e2e captures)
    body = _model_turn(
        {"text": "seen", "thought": True, "thoughtSignature": SKIP_SIGNATURE},
        {**CALL, "thoughtSignature": SKIP_SIGNATURE},
    )
    request = CODEC.decode_request(body)
    thinking, call = request.messages[1].parts
    assert thinking == ThinkingPart("seen", extra={"thoughtSignature": SKIP_SIGNATURE})
    assert isinstance(call, ToolCallPart)
    assert call.signature is None
    assert call.extra == {"thoughtSignature": SKIP_SIGNATURE}
    # a Gemini upstream gets it back as it was; other formats never see it
    assert CODEC.encode_request(request) == body
    anthropic = codec_for(WireFormat.ANTHROPIC).encode_request(request)
    assert SKIP_SIGNATURE not in orjson.dumps(anthropic).decode()


@pytest.mark.parametrize(
    "shown",
    [
        [],
        [{"text": "plan it", "thought": True}],
        [{"text": "plan ", "thought": True}, {"text": "it", "thought": True}],
    ],
    ids=["thoughts-dropped", "one-thought", "streamed-thought"],
)
def test_foreign_thinking_riding_on_a_call_is_put_back_at_the_start(
    shown: list[dict[str, Any]],
) -> None:
    carried = {**CALL, "thoughtSignature": _wrapped(ANTH)}
    body = _model_turn(*shown, {"text": "Let me check."}, carried)
    parts = CODEC.decode_request(body).messages[1].parts
    # ahead of the text, as the upstream had it (and Anthropic wants a tool turn to start with
    # its thinking), its text once
    assert parts == [
        ANTH,
        TextPart("Let me check."),
        ToolCallPart("c1", "f", '{"a":1}', extra={"thoughtSignature": SKIP_SIGNATURE}),
    ]


def test_several_riders_and_text_carriers() -> None:
    redacted = ThinkingPart(signature=Signature(WireFormat.ANTHROPIC, "opaque"), redacted=True)
    encrypted = ThinkingPart(
        "sum", signature=Signature(WireFormat.OPENAI_RESPONSES, "gAAA=="), id="rs_1"
    )
    body = _model_turn(
        {"text": "plan it", "thought": True},
        {**CALL, "thoughtSignature": _wrapped(ANTH, redacted)},
    )
    assert CODEC.decode_request(body).messages[1].parts[:2] == [ANTH, redacted]
    # on text (a turn without calls): put back before the plain text leading to it
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "q"}]},
            {
                "role": "model",
                "parts": [{"text": "a"}, {"text": "b", "thoughtSignature": _wrapped(encrypted)}],
            },
            {"role": "user", "parts": [{"text": "next"}]},
        ]
    }
    parts = CODEC.decode_request(body).messages[1].parts
    assert parts == [encrypted, TextPart("a"), TextPart("b")]


def test_riders_go_to_a_gemini_upstream_as_the_skip_value() -> None:
    request = CODEC.decode_request(_model_turn({**CALL, "thoughtSignature": _wrapped(ANTH)}))
    request.model = "gemini-3-pro"
    body = CODEC.encode_request(request)  # same format: the client's Gemini, routed to Gemini
    assert body["contents"][1]["parts"] == [{**CALL, "thoughtSignature": SKIP_SIGNATURE}]
    # and the Anthropic upstream gets its thinking back, first in the turn
    anthropic = codec_for(WireFormat.ANTHROPIC).encode_request(request)
    assistant = anthropic["messages"][1]["content"]
    assert assistant[0] == {"type": "thinking", "thinking": "plan it", "signature": "EqR=="}
    assert assistant[1]["type"] == "tool_use"
