"""Stream and request translation as the proxy does it, and checks that nothing was lost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.codecs.inputs import MODEL, StreamInput, Transcript
from daemon.formats.base import Codec, codec_for
from daemon.formats.sse import SSEParser
from daemon.model import (
    BlockStart,
    MessageStop,
    Request,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgumentsDelta,
    ToolCallPart,
    ToolResultPart,
    WireFormat,
)

# --------------------------------------------------------------------------- stream translation


def translate_stream(
    stream: StreamInput, upstream: Codec, client: Codec, request: Request
) -> bytes:
    """Parse, decode and re-encode a whole upstream stream, chunk by chunk, as the proxy does."""
    parser = SSEParser()
    decoder = upstream.stream_decoder()
    encoder = client.stream_encoder(request)
    out: list[bytes] = []
    append = out.append
    for chunk in stream.chunks:
        for sse in parser.feed(chunk):
            for event in decoder.feed(sse):
                append(encoder.feed(event))
    for sse in parser.close():
        for event in decoder.feed(sse):
            append(encoder.feed(event))
    for event in decoder.close():
        append(encoder.feed(event))
    append(encoder.close())
    return b"".join(out)


def transcript_of(fmt: WireFormat, data: bytes) -> Transcript:
    """Decode a stream in `fmt` and say what it contains."""
    decoder = codec_for(fmt).stream_decoder()
    parser = SSEParser()
    events = [e for sse in [*parser.feed(data), *parser.close()] for e in decoder.feed(sse)]
    events.extend(decoder.close())
    text: list[str] = []
    thinking: list[str] = []
    calls: dict[int, tuple[str, list[str]]] = {}
    result = Transcript()
    for event in events:
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ThinkingDelta):
            thinking.append(event.text)
        elif isinstance(event, BlockStart):
            part = event.part
            if isinstance(part, ToolCallPart):
                calls[event.index] = (part.name, [part.arguments])
            elif part.text:
                (thinking if isinstance(part, ThinkingPart) else text).append(part.text)
        elif isinstance(event, ToolArgumentsDelta) and event.index in calls:
            calls[event.index][1].append(event.fragment)
        elif isinstance(event, MessageStop):
            result.stop = event.stop_reason
    result.text = "".join(text)
    result.thinking = "".join(thinking)
    for _, (name, pieces) in sorted(calls.items()):
        joined = "".join(pieces)
        result.calls.append((name, orjson.loads(joined) if joined else None))
    return result


def stream_mismatch(expected: Transcript, got: Transcript) -> str | None:
    """What the translated stream lost or changed; None when it says everything the input said."""
    if got.text != expected.text:
        return f"text differs ({len(got.text)} vs {len(expected.text)} chars)"
    if got.thinking != expected.thinking:
        return f"thinking differs ({len(got.thinking)} vs {len(expected.thinking)} chars)"
    if got.calls != expected.calls:
        return f"tool calls differ: {[c[0] for c in got.calls]}"
    if got.stop != expected.stop:
        return f"stop reason {got.stop!r}, expected {expected.stop!r}"
    return None


# --------------------------------------------------------------------------- request translation


def translate_request(body: bytes, client: Codec, upstream: Codec) -> bytes:
    request = client.decode_request(orjson.loads(body))
    if not request.model:  # Gemini bodies carry no model: it comes from the URL
        request.model = MODEL
    return orjson.dumps(upstream.encode_request(request))


@dataclass(slots=True)
class RequestTranscript:
    """What a request says that every format can carry (thinking is not: chat has no signature,
    so its reasoning cannot be replayed to a signing upstream)."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (role, text); developer = system
    calls: list[tuple[str, str, Any]] = field(default_factory=list)  # (id, name, parsed args)
    results: list[tuple[str, list[str]]] = field(default_factory=list)  # (call id, texts)
    tools: list[str] = field(default_factory=list)


def request_transcript(fmt: WireFormat, body: bytes) -> RequestTranscript:
    """Decode a request body in `fmt` and say what it contains."""
    request = codec_for(fmt).decode_request(orjson.loads(body))
    result = RequestTranscript(tools=[tool.name for tool in request.tools])
    for message in request.messages:
        role = "system" if message.role == "developer" else message.role
        for part in message.parts:
            if isinstance(part, TextPart):
                result.texts.append((role, part.text))
            elif isinstance(part, ToolCallPart):
                result.calls.append((part.id, part.name, orjson.loads(part.arguments)))
            elif isinstance(part, ToolResultPart):
                texts = [c.text for c in part.content if isinstance(c, TextPart)]
                result.results.append((part.call_id, texts))
    return result


def request_mismatch(expected: RequestTranscript, got: RequestTranscript) -> str | None:
    """What the translated request lost or changed; None when nothing."""
    for name in ("texts", "calls", "results", "tools"):
        if getattr(got, name) != getattr(expected, name):
            return f"request {name} differ"
    return None
