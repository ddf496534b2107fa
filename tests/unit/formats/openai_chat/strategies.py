"""Hypothesis strategies for canonical values that Chat Completions can express exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from daemon.model import (
    BlockStart,
    BlockStop,
    ImagePart,
    Message,
    MessageStart,
    MessageStop,
    ReasoningConfig,
    Request,
    Response,
    ResponseFormat,
    StopReason,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    Tool,
    ToolArgumentsDelta,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    Usage,
    UsageUpdate,
)

text = st.text(min_size=1, max_size=20)
ident = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12)
small = st.integers(min_value=0, max_value=10**6)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-100, 100) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ident, inner, max_size=3),
    max_leaves=6,
)
schema = st.dictionaries(ident, json_value, max_size=3)
arguments = st.text(max_size=20)  # any text: chat keeps it verbatim, valid JSON or not

images = st.one_of(
    st.builds(
        ImagePart,
        media_type=st.sampled_from(["image/png", "image/jpeg", "image/webp"]),
        data=st.text(alphabet="ABCDEFGHabcdefgh0123456789+/=", min_size=1, max_size=16),
        detail=st.none() | st.sampled_from(["low", "high", "auto"]),
    ),
    st.builds(
        ImagePart,
        url=ident.map(lambda s: f"https://example.com/{s}.png"),
        detail=st.none() | st.sampled_from(["low", "high", "auto"]),
    ),
)
texts = st.builds(TextPart, text)
calls = st.builds(
    ToolCallPart, id=ident.map(lambda s: "call_" + s), name=ident, arguments=arguments
)
names = st.none() | ident


@st.composite
def assistant_parts(draw: st.DrawFn) -> list[Any]:
    parts: list[Any] = []
    if draw(st.booleans()):
        parts.append(ThinkingPart(text=draw(text)))
    parts.extend(draw(st.lists(texts, max_size=2)))
    parts.extend(draw(st.lists(calls, max_size=3)))
    return parts


messages = st.one_of(
    st.builds(
        Message, st.sampled_from(["system", "developer"]), st.lists(texts, max_size=2), names
    ),
    st.builds(Message, st.just("user"), st.lists(texts | images, max_size=3), names),
    st.builds(Message, st.just("assistant"), assistant_parts(), names),
    st.builds(
        Message,
        st.just("tool"),
        st.builds(
            lambda call_id, content: [ToolResultPart(call_id=call_id, content=content)],
            ident,
            st.lists(texts, max_size=2),
        ),
    ),
)
tools = st.builds(
    Tool,
    name=ident,
    description=st.none() | text,
    parameters=st.none() | schema,
    strict=st.none() | st.booleans(),
)
tool_choices = st.none() | st.one_of(
    st.builds(ToolChoice, st.sampled_from(["auto", "none", "required"])),
    st.builds(ToolChoice, st.just("tool"), ident),
)
response_formats = st.none() | st.one_of(
    st.builds(ResponseFormat, st.sampled_from(["text", "json_object"])),
    st.builds(ResponseFormat, st.just("json_schema"), ident, schema, st.none() | st.booleans()),
)
floats = st.none() | st.floats(min_value=0, max_value=2, allow_nan=False)
efforts = st.sampled_from(["none", "minimal", "low", "medium", "high", "xhigh"])


@st.composite
def requests(draw: st.DrawFn) -> Request:
    stream = draw(st.booleans())
    return Request(
        model=draw(ident),
        messages=draw(st.lists(messages, max_size=6)),
        tools=draw(st.lists(tools, max_size=3)),
        tool_choice=draw(tool_choices),
        parallel_tool_calls=draw(st.none() | st.booleans()),
        max_tokens=draw(st.none() | small),
        temperature=draw(floats),
        top_p=draw(floats),
        stop=draw(st.none() | st.lists(text, max_size=3)),
        seed=draw(st.none() | small),
        response_format=draw(response_formats),
        reasoning=draw(st.none() | st.builds(ReasoningConfig, efforts)),
        stream=stream,
        include_usage=draw(st.booleans()) if stream else None,
        user=draw(st.none() | ident),
    )


usages = st.builds(
    Usage, input_tokens=small, output_tokens=small, cached_tokens=small, reasoning_tokens=small
)


@st.composite
def responses(draw: st.DrawFn) -> Response:
    parts = draw(assistant_parts())
    first_text = next((i for i, p in enumerate(parts) if isinstance(p, TextPart)), -1)
    # chat responses hold one content string: several text parts would come back joined
    parts = [p for i, p in enumerate(parts) if i == first_text or not isinstance(p, TextPart)]
    return Response(
        id=draw(ident),
        model=draw(ident),
        parts=parts,
        stop_reason=draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter"])),
        usage=draw(usages),
        created=draw(small),
    )


@st.composite
def streams(draw: st.DrawFn) -> list[StreamEvent]:
    """Well-formed canonical streams whose adjacent text/thinking blocks differ in kind."""
    events: list[StreamEvent] = [
        MessageStart(id=draw(ident), model=draw(ident), created=draw(small))
    ]
    previous = ""
    for index in range(draw(st.integers(0, 5))):
        options = [k for k in ("text", "thinking", "tool") if k != previous or k == "tool"]
        kind = draw(st.sampled_from(options))
        previous = kind
        if kind == "tool":
            events.append(BlockStart(index, draw(calls.map(lambda c: ToolCallPart(c.id, c.name)))))
            for fragment in draw(st.lists(text, max_size=3)):
                events.append(ToolArgumentsDelta(index, fragment))
        else:
            part: TextPart | ThinkingPart = TextPart("") if kind == "text" else ThinkingPart()
            events.append(BlockStart(index, part))
            for piece in draw(st.lists(text, min_size=1, max_size=3)):
                events.append(
                    TextDelta(index, piece) if kind == "text" else ThinkingDelta(index, piece)
                )
        events.append(BlockStop(index))
    usage = draw(usages)
    if draw(st.booleans()):
        events.append(UsageUpdate(usage))
    stop: StopReason = draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter"]))
    events.append(MessageStop(stop_reason=stop, usage=usage))
    return events
