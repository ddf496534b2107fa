"""Hypothesis: canonical requests and responses that Anthropic can express survive
encode → decode in this format (private `_anthropic_*` markers aside)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any, Literal

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.formats.anthropic import CODEC
from daemon.model import (
    ImagePart,
    Message,
    Part,
    ReasoningConfig,
    Request,
    Response,
    ResponseFormat,
    Signature,
    StopReason,
    TextPart,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    Usage,
    WireFormat,
)
from tests.unit.formats.anthropic.test_anthropic_request import validate_sdk

A = WireFormat.ANTHROPIC
words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
visible = st.builds(lambda w, s: s + w, words, st.sampled_from(["a", "Z", "é", "✓", "7"]))
names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
json_args = st.dictionaries(
    names, st.integers(-(2**63), 2**63 - 1) | words | st.booleans(), max_size=3
).map(lambda d: orjson.dumps(d).decode())
signatures = st.builds(
    Signature, st.just(A), st.from_regex(r"[A-Za-z0-9+/]{4,20}={0,2}", fullmatch=True)
)
images = st.one_of(
    st.builds(ImagePart, media_type=st.sampled_from(["image/png", "image/jpeg"]),
              data=st.from_regex(r"[A-Za-z0-9+/]{4,16}", fullmatch=True)),
    st.builds(ImagePart, url=st.from_regex(r"https://x\.test/[a-z]{1,8}\.png", fullmatch=True)),
)  # fmt: skip
texts = st.builds(TextPart, visible)


def strip_private(value: Any) -> Any:
    """Drop private markers and empty extras so canonical values compare on substance."""
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: strip_private(getattr(value, f.name)) for f in fields(value)}
        return replace(value, **changes)
    if isinstance(value, dict):
        return {
            k: strip_private(v) for k, v in value.items() if not str(k).startswith("_") and v != {}
        }
    if isinstance(value, list):
        return [strip_private(v) for v in value]
    return value


@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(Message("system", draw(st.lists(texts, min_size=1, max_size=2))))
    user_parts: list[Part] = draw(st.lists(texts | images, min_size=1, max_size=3))
    messages.append(Message("user", user_parts))
    for turn in range(draw(st.integers(0, 3))):
        parts: list[Part] = []
        if draw(st.booleans()):
            parts.append(ThinkingPart(text=draw(words), signature=draw(signatures)))
        if draw(st.booleans()):
            parts.append(ThinkingPart(signature=draw(signatures), redacted=True))
        if draw(st.booleans()):
            parts.append(draw(texts))
        calls = [
            ToolCallPart(id=f"toolu_{turn}_{i}", name=draw(names), arguments=draw(json_args))
            for i in range(draw(st.integers(0 if parts else 1, 2)))
        ]
        messages.append(Message("assistant", [*parts, *calls]))
        if calls:
            results: list[Part] = [
                ToolResultPart(
                    call_id=call.id,
                    name=call.name,
                    content=draw(st.lists(texts | images, max_size=2)),
                    is_error=draw(st.booleans()),
                )
                for call in calls
            ]
            messages.append(Message("tool", results))
        if not calls or draw(st.booleans()):
            messages.append(Message("user", draw(st.lists(texts, min_size=1, max_size=2))))
    return messages


@st.composite
def requests(draw: st.DrawFn) -> Request:
    tools: list[Tool] = [
        Tool(name=n, description=draw(st.none() | words),
             parameters={"type": "object", "properties": {"a": {"type": "string"}}})
        for n in draw(st.lists(names, unique=True, max_size=3))
    ]  # fmt: skip
    choice: ToolChoice | None = None
    parallel: bool | None = None
    with_choice: bool = draw(st.booleans())
    if tools and with_choice:
        modes: list[Literal["auto", "none", "required", "tool"]] = ["auto", "none", "required"]
        modes.append("tool")
        mode = draw(st.sampled_from(modes))
        choice = ToolChoice(mode=mode, name=tools[0].name if mode == "tool" else None)
        if mode != "none":
            parallel = draw(st.none() | st.booleans())
    reasoning = draw(
        st.none()
        | st.builds(ReasoningConfig, budget_tokens=st.sampled_from([0, -1, 1024, 5000]))
        | st.builds(ReasoningConfig, effort=st.sampled_from(["low", "high", "max"]))
    )
    return Request(
        model=draw(names),
        messages=draw(conversations()),
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=parallel,
        max_tokens=draw(st.integers(1, 64000)),
        temperature=draw(st.none() | st.floats(0, 1)),
        top_p=draw(st.none() | st.floats(0, 1)),
        top_k=draw(st.none() | st.integers(1, 500)),
        stop=draw(st.none() | st.lists(visible, max_size=2)),
        response_format=draw(
            st.none() | st.just(ResponseFormat(type="json_schema", schema={"type": "object"}))
        ),
        reasoning=reasoning,
        stream=draw(st.booleans()),
        user=draw(st.none() | names),
        source_format=A,
    )


@settings(max_examples=120, deadline=None)
@given(requests())
def test_requests_survive_encode_decode(request: Request) -> None:
    body = CODEC.encode_request(request)
    validate_sdk(orjson.loads(orjson.dumps(body)))
    assert strip_private(CODEC.decode_request(body)) == strip_private(request)


@settings(max_examples=60, deadline=None)
@given(requests())
def test_requests_from_another_format_keep_their_conversation(request: Request) -> None:
    request.source_format = WireFormat.OPENAI_RESPONSES
    request.reasoning = None
    back = CODEC.decode_request(CODEC.encode_request(request))
    assert strip_private(back.messages) == strip_private(request.messages)


_STOPS: list[StopReason] = ["stop", "length", "tool_calls", "refusal"]


@st.composite
def responses(draw: st.DrawFn) -> Response:
    foreign = st.builds(
        Signature, st.sampled_from([WireFormat.GEMINI, WireFormat.OPENAI_RESPONSES]), words
    )
    part = st.one_of(
        texts,
        st.builds(TextPart, visible, signature=foreign.filter(lambda s: s.format == "gemini")),
        st.builds(ThinkingPart, text=words, signature=signatures | foreign),
        st.builds(ThinkingPart, signature=signatures, redacted=st.just(True)),
        st.builds(ToolCallPart, id=names, name=names, arguments=json_args,
                  signature=st.none() | foreign.filter(lambda s: s.format == "gemini")),
    )  # fmt: skip
    stop = draw(st.sampled_from(_STOPS))
    cached, created, fresh = (draw(st.integers(0, 10_000)) for _ in range(3))
    return Response(
        id=draw(names),
        model=draw(names),
        parts=draw(st.lists(part, max_size=5)),
        stop_reason=stop,
        stop_sequence=draw(st.none() | visible) if stop == "stop" else None,
        usage=Usage(
            input_tokens=cached + created + fresh,
            output_tokens=draw(st.integers(0, 10_000)),
            cached_tokens=cached,
            cache_creation_tokens=created,
            reasoning_tokens=draw(st.integers(0, 100)),
        ),
        source_format=WireFormat.ANTHROPIC,
    )


@settings(max_examples=120, deadline=None)
@given(responses())
def test_responses_survive_encode_decode(response: Response) -> None:
    back = CODEC.decode_response(orjson.loads(orjson.dumps(CODEC.encode_response(response))))
    assert strip_private(back) == strip_private(response)
