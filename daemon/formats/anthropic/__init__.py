"""The Anthropic Messages codec (`POST /v1/messages`)."""

from __future__ import annotations

from typing import Any

from daemon.formats.anthropic.errors import decode_error, encode_error
from daemon.formats.anthropic.request import decode_request, encode_request
from daemon.formats.anthropic.response import decode_response, encode_response
from daemon.formats.anthropic.stream_decode import AnthropicStreamDecoder
from daemon.formats.anthropic.stream_encode import AnthropicStreamEncoder
from daemon.model import ApiError, Request, Response, WireFormat


class AnthropicCodec:
    format = WireFormat.ANTHROPIC

    def decode_request(self, body: dict[str, Any]) -> Request:
        return decode_request(body)

    def encode_request(self, request: Request) -> dict[str, Any]:
        return encode_request(request)

    def decode_response(self, body: dict[str, Any]) -> Response:
        return decode_response(body)

    def encode_response(self, response: Response) -> dict[str, Any]:
        return encode_response(response)

    def stream_decoder(self) -> AnthropicStreamDecoder:
        return AnthropicStreamDecoder()

    def stream_encoder(self, request: Request) -> AnthropicStreamEncoder:
        return AnthropicStreamEncoder(request)

    def decode_error(self, status: int, body: bytes) -> ApiError:
        return decode_error(status, body)

    def encode_error(self, error: ApiError) -> dict[str, Any]:
        return encode_error(error)


CODEC = AnthropicCodec()

__all__ = ["CODEC", "AnthropicCodec"]
