"""The openai_responses codec: OpenAI Responses API (`POST /v1/responses`) and the Codex backend.

See request.py, response.py, stream_decode.py and stream_encode.py; items_decode.py and
items_encode.py hold the item ⇄ part translation both requests and responses use.
"""

from __future__ import annotations

from typing import Any

from daemon.formats.openai_responses.common import FMT
from daemon.formats.openai_responses.errors import decode_error, encode_error
from daemon.formats.openai_responses.request import (
    decode_request,
    encode_request,
    ensure_translatable,
    same_format_only,
)
from daemon.formats.openai_responses.response import decode_response, encode_response
from daemon.formats.openai_responses.stream_decode import ResponsesStreamDecoder
from daemon.formats.openai_responses.stream_encode import ResponsesStreamEncoder
from daemon.model import ApiError, Request, Response, WireFormat


class ResponsesCodec:
    format: WireFormat = FMT

    def decode_request(self, body: dict[str, Any]) -> Request:
        return decode_request(body)

    def encode_request(self, request: Request) -> dict[str, Any]:
        return encode_request(request)

    def decode_response(self, body: dict[str, Any]) -> Response:
        return decode_response(body)

    def encode_response(self, response: Response) -> dict[str, Any]:
        return encode_response(response)

    def stream_decoder(self) -> ResponsesStreamDecoder:
        return ResponsesStreamDecoder()

    def stream_encoder(self, request: Request) -> ResponsesStreamEncoder:
        return ResponsesStreamEncoder(request)

    def decode_error(self, status: int, body: bytes) -> ApiError:
        return decode_error(status, body)

    def encode_error(self, error: ApiError) -> dict[str, Any]:
        return encode_error(error)


CODEC = ResponsesCodec()

__all__ = ["CODEC", "ResponsesCodec", "ensure_translatable", "same_format_only"]
