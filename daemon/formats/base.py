"""What every codec provides, and the one table that maps a `WireFormat` to its codec.

A codec is a module-level object with pure functions: no I/O, no clocks, no globals that change.
Stream translation runs through two small state machines per stream:

    upstream bytes ─SSEParser─▶ SSEEvent ─StreamDecoder─▶ StreamEvent ─StreamEncoder─▶ client bytes
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from daemon.formats.sse import SSEEvent
from daemon.model import ApiError, Request, Response, StreamEvent, WireFormat


class StreamDecoder(Protocol):
    """Turns one upstream stream, event by event, into canonical stream events."""

    def feed(self, event: SSEEvent) -> list[StreamEvent]: ...

    def close(self) -> list[StreamEvent]:
        """The upstream stream ended: flush, and close open blocks and the message if needed."""
        ...


class StreamEncoder(Protocol):
    """Turns canonical stream events into the client's wire bytes, event by event."""

    def feed(self, event: StreamEvent) -> bytes: ...

    def close(self) -> bytes:
        """No more events: emit whatever the format needs to end well-formed."""
        ...


class Codec(Protocol):
    @property
    def format(self) -> WireFormat: ...

    def decode_request(self, body: dict[str, Any]) -> Request: ...

    def encode_request(self, request: Request) -> dict[str, Any]: ...

    def decode_response(self, body: dict[str, Any]) -> Response: ...

    def encode_response(self, response: Response) -> dict[str, Any]: ...

    def stream_decoder(self) -> StreamDecoder: ...

    def stream_encoder(self, request: Request) -> StreamEncoder: ...

    def decode_error(self, status: int, body: bytes) -> ApiError: ...

    def encode_error(self, error: ApiError) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class FunctionCodec:
    """A codec assembled from a format package's module-level functions and stream classes."""

    format: WireFormat
    decode_request: Callable[[dict[str, Any]], Request]
    encode_request: Callable[[Request], dict[str, Any]]
    decode_response: Callable[[dict[str, Any]], Response]
    encode_response: Callable[[Response], dict[str, Any]]
    stream_decoder: Callable[[], StreamDecoder]
    stream_encoder: Callable[[Request], StreamEncoder]
    decode_error: Callable[[int, bytes], ApiError]
    encode_error: Callable[[ApiError], dict[str, Any]]


_CODEC_MODULES: dict[WireFormat, str] = {
    WireFormat.OPENAI_CHAT: "daemon.formats.openai_chat",
    WireFormat.OPENAI_RESPONSES: "daemon.formats.openai_responses",
    WireFormat.ANTHROPIC: "daemon.formats.anthropic",
    WireFormat.GEMINI: "daemon.formats.gemini",
}


def codec_for(wire_format: WireFormat) -> Codec:
    """The codec of a format; imported on first use so the CLI never pays for the data plane."""
    module = importlib.import_module(_CODEC_MODULES[wire_format])
    codec: Codec = module.CODEC
    return codec
