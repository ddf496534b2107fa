"""Generated canonical requests and responses survive encode → decode in the Responses format.

Generation is restricted to what the format expresses; the comparison ignores `extra` (markers)
and merges consecutive assistant / tool turns, which the decoder joins by design.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.formats.openai_responses import CODEC
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

R = WireFormat.OPENAI_RESPONSES
text = st.text(max_size=20)
ident = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
json_args = st.dictionaries(ident, st.integers() | text, max_size=3).map(
    lambda d: "{" + ",".join(f'"{k}":{v!r}'.replace("'", '"') for k, v in d.items()) + "}"
)
image = st.one_of(
    st.builds(
        ImagePart,
        url=st.just("https://example.com/a.png"),
        detail=st.sampled_from(["auto", "low", "high"]),
    ),
    st.builds(
        ImagePart,
        media_type=st.sampled_from(["image/png", "image/jpeg"]),
        data=st.from_regex(r"[A-Za-z0-9+/]{4,12}", fullmatch=True),
        detail=st.sampled_from(["auto", "low"]),
    ),
)
user_msg = st.builds(
    Message,
    role=st.sampled_from(["user", "developer", "system"]),
    parts=st.lists(st.builds(TextPart, text) | image, min_size=1, max_size=3),
)
native_thinking = st.builds(
    ThinkingPart,
    text=text,
    signature=st.builds(Signature, st.just(R), st.from_regex(r"gAAAA[a-z]{1,8}", fullmatch=True)),
    id=st.none() | st.from_regex(r"rs_[0-9a-f]{6}", fullmatch=True),
)
call = st.builds(
    ToolCallPart,
    id=st.from_regex(r"call_[a-z0-9]{4}", fullmatch=True),
    name=ident,
    arguments=json_args,
)
assistant_msg = st.builds(
    Message,
    role=st.just("assistant"),
    parts=st.lists(st.builds(TextPart, text) | native_thinking | call, min_size=1, max_size=4),
)
tool_msg = st.builds(
    Message,
    role=st.just("tool"),
    parts=st.lists(
        st.builds(
            ToolResultPart,
            call_id=st.from_regex(r"call_[a-z0-9]{4}", fullmatch=True),
            content=st.lists(st.builds(TextPart, text), min_size=1, max_size=1),
        ),
        min_size=1,
        max_size=2,
    ),
)
tool = st.builds(
    Tool,
    name=ident,
    description=st.none() | text,
    parameters=st.just({"type": "object", "properties": {"x": {"type": "string"}}}),
    strict=st.booleans(),
)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(Message("system", [TextPart(draw(text))]))
    messages.append(
        draw(
            st.builds(
                Message,
                role=st.just("user"),
                parts=st.lists(st.builds(TextPart, text) | image, min_size=1, max_size=3),
            )
        )
    )
    messages += draw(st.lists(user_msg | assistant_msg | tool_msg, max_size=6))
    fmt = draw(
        st.none()
        | st.just(ResponseFormat("json_object"))
        | st.just(ResponseFormat("text"))
        | st.builds(
            ResponseFormat,
            st.just("json_schema"),
            ident,
            st.just({"type": "object"}),
            st.booleans(),
        )
    )
    return Request(
        model=draw(ident),
        messages=messages,
        tools=draw(st.lists(tool, max_size=3)),
        tool_choice=draw(
            st.none()
            | st.builds(ToolChoice, st.sampled_from(["auto", "none", "required"]))
            | st.builds(ToolChoice, st.just("tool"), ident)
        ),
        parallel_tool_calls=draw(st.none() | st.booleans()),
        max_tokens=draw(st.none() | st.integers(1, 10**6)),
        temperature=draw(st.none() | st.floats(0, 2)),
        top_p=draw(st.none() | st.floats(0, 1)),
        response_format=fmt,
        reasoning=draw(
            st.none()
            | st.builds(
                ReasoningConfig,
                effort=st.sampled_from(["low", "medium", "high"]),
                summary=st.none() | st.just("auto"),
            )
        ),
        stream=draw(st.booleans()),
        user=draw(st.none() | ident),
        source_format=WireFormat.ANTHROPIC,
    )


def plain(part: Part) -> Part:
    if isinstance(part, ToolResultPart):
        return replace(part, extra={}, name=None, content=[plain(c) for c in part.content])  # type: ignore[misc]
    return replace(part, extra={})


def normalize(messages: list[Message]) -> list[tuple[str, list[Part]]]:
    out: list[tuple[str, list[Part]]] = []
    for message in messages:
        parts = [plain(p) for p in message.parts]
        if out and message.role in ("assistant", "tool") and out[-1][0] == message.role:
            out[-1][1].extend(parts)
        else:
            out.append((message.role, parts))
    return out


@settings(max_examples=60, deadline=None)
@given(requests())
def test_requests_survive_encode_decode(request: Request) -> None:
    back = CODEC.decode_request(CODEC.encode_request(request))
    assert normalize(back.messages) == normalize(request.messages)
    assert [(t.name, t.description, t.parameters, t.strict) for t in back.tools] == [
        (t.name, t.description, t.parameters, t.strict) for t in request.tools
    ]
    for field in (
        "model",
        "tool_choice",
        "parallel_tool_calls",
        "max_tokens",
        "temperature",
        "top_p",
        "reasoning",
        "stream",
        "user",
        "response_format",
    ):
        assert getattr(back, field) == getattr(request, field), field
    # And the same-format round trip of what we produced is exact.
    body = CODEC.encode_request(request)
    assert CODEC.encode_request(CODEC.decode_request(body)) == body


any_signature = st.builds(
    Signature,
    st.sampled_from(list(WireFormat)),
    st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True),
)
gemini_sig = st.builds(
    Signature, st.just(WireFormat.GEMINI), st.from_regex(r"[a-z]{1,8}", fullmatch=True)
)
response_part = st.one_of(
    st.builds(TextPart, text, signature=st.none() | gemini_sig),
    st.builds(
        ToolCallPart,
        id=st.from_regex(r"call_[a-z0-9]{4}", fullmatch=True),
        name=ident,
        arguments=json_args,
        signature=st.none() | gemini_sig,
    ),
    st.builds(
        ThinkingPart,
        text=text,
        signature=any_signature,
        id=st.none() | st.from_regex(r"rs_[a-f0-9]{6}", fullmatch=True),
    ),
    st.builds(
        ThinkingPart,
        text=st.text(min_size=1, max_size=10),
        signature=st.builds(Signature, st.just(WireFormat.ANTHROPIC), st.just("red")),
        redacted=st.just(True),
    ),
)


@st.composite
def responses(draw: st.DrawFn) -> Response:
    parts: list[Part] = list(draw(st.lists(response_part, max_size=6)))
    reasons: list[StopReason] = ["stop", "length", "content_filter", "error"]
    stop = draw(st.sampled_from(reasons))
    if stop == "stop" and any(isinstance(p, ToolCallPart) for p in parts):
        stop = "tool_calls"
    usage = draw(st.builds(Usage, *(st.integers(0, 10**6) for _ in range(5))))
    return Response(
        id=draw(st.from_regex(r"resp_[a-z0-9]{6}", fullmatch=True)),
        model=draw(ident),
        parts=parts,
        stop_reason=stop,
        usage=usage,
        created=draw(st.none() | st.integers(1, 2**31)),
    )


def comparable(part: Part, original: Part) -> Any:
    if isinstance(part, ThinkingPart) and isinstance(original, ThinkingPart):
        # The item id is the part's id; an id the encoder had to make up is not compared.
        return (
            "thinking",
            part.text,
            part.signature,
            part.redacted,
            part.id if original.id else None,
        )
    return plain(part)


@settings(max_examples=60, deadline=None)
@given(responses())
def test_responses_survive_encode_decode(response: Response) -> None:
    back = CODEC.decode_response(CODEC.encode_response(response))
    assert len(back.parts) == len(response.parts)
    pairs = zip(back.parts, response.parts, strict=True)
    assert [comparable(b, o) for b, o in pairs] == [comparable(o, o) for o in response.parts]
    assert back.stop_reason == response.stop_reason
    assert back.usage == response.usage
    assert (back.id, back.model, back.created or None) == (
        response.id,
        response.model,
        response.created,
    )
