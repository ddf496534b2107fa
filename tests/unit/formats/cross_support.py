"""The translation pipeline as the data plane runs it, for cross-format tests and fixtures.

client body ─client codec─▶ Request ─upstream codec─▶ upstream body
upstream body ─upstream codec─▶ Response ─client codec─▶ client body
upstream bytes ─SSEParser─▶ upstream decoder ─▶ events ─▶ client encoder ─▶ client bytes
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from daemon.formats.base import codec_for
from daemon.formats.gemini import CODEC as GEMINI_CODEC
from daemon.formats.policy import check_translatable
from daemon.formats.sse import SSEParser
from daemon.model import Request, StreamEvent, WireFormat

from .anthropic.wellformed import check_stream as check_anthropic
from .gemini.wellformed import check_stream as check_gemini
from .openai_chat.wellformed import check_stream as check_chat
from .openai_responses.wellformed import check_stream as check_responses

FORMATS: tuple[WireFormat, ...] = (
    WireFormat.OPENAI_CHAT,
    WireFormat.OPENAI_RESPONSES,
    WireFormat.ANTHROPIC,
    WireFormat.GEMINI,
)
PAIRS: list[tuple[WireFormat, WireFormat]] = [(c, u) for c in FORMATS for u in FORMATS]

CHECK_STREAM: dict[WireFormat, Callable[[bytes], None]] = {
    WireFormat.OPENAI_CHAT: check_chat,
    WireFormat.OPENAI_RESPONSES: check_responses,
    WireFormat.ANTHROPIC: check_anthropic,
    WireFormat.GEMINI: check_gemini,
}

# The model a Gemini client names in its URL, and the model routing sends to each upstream.
CLIENT_MODEL = "weather-bot"
UPSTREAM_MODEL: dict[WireFormat, str] = {
    WireFormat.OPENAI_CHAT: "kimi-k2-thinking",
    WireFormat.OPENAI_RESPONSES: "gpt-5-codex",
    WireFormat.ANTHROPIC: "claude-sonnet-4-5",
    WireFormat.GEMINI: "gemini-2.5-pro",
}


def pair_name(client: WireFormat, upstream: WireFormat) -> str:
    return f"{client}__{upstream}"


def decode_client_request(client: WireFormat, body: dict[str, Any]) -> Request:
    """What the data plane does with a client body: Gemini takes model and streaming from
    the URL (`:streamGenerateContent`); the fixtures' requests all stream."""
    if client == WireFormat.GEMINI:
        request = GEMINI_CODEC.decode_request_for(body, CLIENT_MODEL)
        request.stream = True
        return request
    return codec_for(client).decode_request(body)


def translate_request(
    client: WireFormat, upstream: WireFormat, body: dict[str, Any]
) -> dict[str, Any]:
    request = decode_client_request(client, body)
    check_translatable(request, upstream)
    request.model = UPSTREAM_MODEL[upstream]  # routing picks the upstream's model
    return codec_for(upstream).encode_request(request)


def translate_response(
    client: WireFormat, upstream: WireFormat, body: dict[str, Any]
) -> dict[str, Any]:
    return codec_for(client).encode_response(codec_for(upstream).decode_response(body))


def split(raw: bytes, cuts: Iterable[int] = ()) -> list[bytes]:
    points = sorted({0, *(c for c in cuts if 0 < c < len(raw)), len(raw)})
    return [raw[a:b] for a, b in itertools.pairwise(points)]


def decode_stream(upstream: WireFormat, chunks: Iterable[bytes]) -> list[StreamEvent]:
    """Upstream bytes (in chunks as they arrived) → canonical events, close() included."""
    parser = SSEParser()
    decoder = codec_for(upstream).stream_decoder()
    events: list[StreamEvent] = []
    for chunk in chunks:
        for sse in parser.feed(chunk):
            events.extend(decoder.feed(sse))
    for sse in parser.close():
        events.extend(decoder.feed(sse))
    events.extend(decoder.close())
    return events


def encode_stream(client: WireFormat, request: Request, events: Iterable[StreamEvent]) -> bytes:
    encoder = codec_for(client).stream_encoder(request)
    out = bytearray()
    for event in events:
        out += encoder.feed(event)
    out += encoder.close()
    return bytes(out)


def translate_stream(
    client: WireFormat,
    upstream: WireFormat,
    request: Request,
    raw: bytes,
    cuts: Iterable[int] = (),
) -> bytes:
    """Upstream stream bytes → client stream bytes, event by event as the data plane does."""
    parser = SSEParser()
    decoder = codec_for(upstream).stream_decoder()
    encoder = codec_for(client).stream_encoder(request)
    out = bytearray()
    for chunk in split(raw, cuts):
        for sse in parser.feed(chunk):
            for event in decoder.feed(sse):
                out += encoder.feed(event)
    for sse in parser.close():
        for event in decoder.feed(sse):
            out += encoder.feed(event)
    for event in decoder.close():
        out += encoder.feed(event)
    out += encoder.close()
    return bytes(out)
