"""Property tests: generated canonical requests / responses survive Gemini encode → decode, and
every stream the encoder writes for them is well formed."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.formats.gemini import CODEC
from daemon.model import (
    BlockStart,
    BlockStop,
    ImagePart,
    Message,
    MessageStart,
    MessageStop,
    Part,
    ReasoningConfig,
    Request,
    Response,
    ResponseFormat,
    Signature,
    SignatureDelta,
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
    WireFormat,
)

from ._support import decode_stream
from .wellformed import check_array, check_stream

G = WireFormat.GEMINI
text = st.text(min_size=1, max_size=12)
plain = text.filter(lambda s: not s.lstrip().startswith("{"))
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
b64 = st.binary(min_size=1, max_size=9).map(lambda b: base64.b64encode(b).decode())
signatures = st.none() | b64.map(lambda v: Signature(G, v))  # Gemini's are base64
json_values = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5)
args = st.dictionaries(st.text(max_size=5), json_values, max_size=3)
user_part = st.one_of(
    st.builds(TextPart, text),
    st.builds(ImagePart, media_type=st.sampled_from(["image/png", "image/jpeg"]), data=b64),
    st.builds(
        ImagePart,
        media_type=st.just("image/webp"),
        url=names.map(lambda n: f"https://files.test/{n}.webp"),
    ),
)


@st.composite
def assistant_parts(draw: st.DrawFn, counter: list[int]) -> list[Part]:
    parts: list[Part] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "thinking", "call"]))
        if kind == "text":
            parts.append(TextPart(draw(text), signature=draw(signatures)))
        elif kind == "thinking":
            parts.append(ThinkingPart(draw(text), signature=draw(signatures)))
        else:
            counter[0] += 1
            arguments = orjson.dumps(draw(args)).decode()
            parts.append(
                ToolCallPart(f"call_{counter[0]}", draw(names), arguments, draw(signatures))
            )
    return parts


@st.composite
def requests(draw: st.DrawFn) -> Request:
    messages: list[Message] = []
    if draw(st.booleans()):
        messages.append(Message("system", draw(st.lists(st.builds(TextPart, text), min_size=1))))
    counter = [0]
    pending: list[ToolCallPart] = []
    for _ in range(draw(st.integers(1, 3))):
        if pending:
            results: list[Part] = [
                ToolResultPart(
                    c.id, [TextPart(draw(plain))], is_error=draw(st.booleans()), name=c.name
                )
                for c in pending
            ]
            messages.append(Message("tool", results))
            if draw(st.booleans()):
                messages.append(Message("user", draw(st.lists(user_part, min_size=1, max_size=3))))
        else:
            messages.append(Message("user", draw(st.lists(user_part, min_size=1, max_size=3))))
        parts = draw(assistant_parts(counter))
        messages.append(Message("assistant", parts))
        pending = [p for p in parts if isinstance(p, ToolCallPart)]
    tools = [
        Tool(name, draw(st.none() | text), draw(st.none() | st.just({"type": "object"})))
        for name in draw(st.lists(names, max_size=3, unique=True))
    ]
    if draw(st.booleans()):
        tools.append(
            Tool(
                "web_search",
                kind="web_search",
                extra={"_gemini_key": "googleSearch", "_gemini_config": {}},
            )
        )
    choice = draw(
        st.none()
        | st.builds(ToolChoice, st.sampled_from(["auto", "none", "required"]))
        | names.map(lambda n: ToolChoice("tool", n))
    )
    response_format = draw(
        st.none()
        | st.just(ResponseFormat("text"))
        | st.just(ResponseFormat("json_object"))
        | st.just(ResponseFormat("json_schema", schema={"type": "object"}))
    )
    reasoning = draw(
        st.none()
        | st.builds(
            ReasoningConfig,
            effort=st.none() | st.sampled_from(["low", "high"]),
            budget_tokens=st.none() | st.integers(-1, 32768),
            include_thoughts=st.none() | st.booleans(),
        )
    )
    floats = st.none() | st.floats(0, 2, allow_nan=False)
    return Request(
        model="",
        messages=messages,
        tools=tools,
        tool_choice=choice,
        max_tokens=draw(st.none() | st.integers(1, 65536)),
        temperature=draw(floats),
        top_p=draw(floats),
        top_k=draw(st.none() | st.integers(1, 100)),
        stop=draw(st.none() | st.lists(text, max_size=3)),
        seed=draw(st.none() | st.integers(0, 2**31)),
        response_format=response_format,
        reasoning=reasoning,
        source_format=G,
    )


@settings(max_examples=150, deadline=None)
@given(requests())
def test_requests_survive_encode_decode(request: Request) -> None:
    body = orjson.loads(orjson.dumps(CODEC.encode_request(request)))  # really JSON
    assert CODEC.decode_request(body) == request


@st.composite
def responses(draw: st.DrawFn) -> Response:
    parts = draw(assistant_parts([0]))
    has_calls = any(isinstance(p, ToolCallPart) for p in parts)
    with_calls: list[StopReason] = ["tool_calls", "length", "error"]
    without: list[StopReason] = ["stop", "length", "content_filter"]
    stop = draw(st.sampled_from(with_calls if has_calls else without))
    reasoning = draw(st.integers(0, 500))
    prompt = draw(st.integers(0, 10_000))
    usage = Usage(
        input_tokens=prompt,
        output_tokens=reasoning + draw(st.integers(0, 500)),
        cached_tokens=draw(st.integers(0, prompt)),
        reasoning_tokens=reasoning,
    )
    return Response(
        id=draw(names),
        model=draw(names),
        parts=parts,
        stop_reason=stop,
        usage=usage,
        source_format=WireFormat.GEMINI,
    )


@settings(max_examples=150, deadline=None)
@given(responses())
def test_responses_survive_encode_decode(response: Response) -> None:
    body = orjson.loads(orjson.dumps(CODEC.encode_response(response)))
    assert CODEC.decode_response(body) == response


def events_of(response: Response) -> list[StreamEvent]:
    events: list[StreamEvent] = [MessageStart(response.id, response.model)]
    for i, part in enumerate(response.parts):
        if isinstance(part, ToolCallPart):
            events.append(BlockStart(i, ToolCallPart(part.id, part.name)))
            half = len(part.arguments) // 2
            events += [ToolArgumentsDelta(i, part.arguments[:half])]
            events += [ToolArgumentsDelta(i, part.arguments[half:])]
        elif isinstance(part, ThinkingPart):
            events += [BlockStart(i, ThinkingPart()), ThinkingDelta(i, part.text)]
        elif isinstance(part, TextPart):
            events += [BlockStart(i, TextPart("")), TextDelta(i, part.text)]
        signature = getattr(part, "signature", None)
        if signature is not None:
            events.append(SignatureDelta(i, signature))
        events.append(BlockStop(i))
    events.append(MessageStop(response.stop_reason, response.usage))
    return events


def _summary(events: list[StreamEvent]) -> dict[str, Any]:
    texts: list[str] = []
    headers: dict[int, ToolCallPart] = {}
    pieces: dict[int, list[str]] = {}
    for event in events:
        if isinstance(event, TextDelta | ThinkingDelta):
            texts.append(event.text)
        elif isinstance(event, BlockStart) and isinstance(event.part, ToolCallPart):
            headers[event.index] = event.part
            pieces[event.index] = []
        elif isinstance(event, ToolArgumentsDelta):
            pieces[event.index].append(event.fragment)
    last = events[-1]
    assert isinstance(last, MessageStop)
    return {
        "text": "".join(texts),
        "calls": [(headers[i].id, orjson.loads("".join(p) or "{}")) for i, p in pieces.items()],
        "stop": last.stop_reason,
        "usage": last.usage,
    }


@settings(max_examples=100, deadline=None)
@given(responses())
def test_encoded_streams_are_well_formed_and_decode_back(response: Response) -> None:
    events = events_of(response)
    sse = CODEC.stream_encoder(Request(model="m"))
    raw = b"".join(sse.feed(e) for e in events) + sse.close()
    check_stream(raw)
    array = CODEC.stream_encoder(Request(model="m"), sse=False)
    check_array(b"".join(array.feed(e) for e in events) + array.close())
    expected = _summary(events)
    calls = [
        (c.id, orjson.loads(c.arguments)) for c in response.parts if isinstance(c, ToolCallPart)
    ]
    expected["calls"] = calls
    assert _summary(decode_stream(raw)) == expected
