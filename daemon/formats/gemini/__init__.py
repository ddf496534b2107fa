"""The Gemini generateContent codec (`WireFormat.GEMINI`).

Request bodies carry no model (it is in the URL): `decode_request` leaves `Request.model`
empty unless the body has a `model` key; call `decode_request_for(body, model)` (also on
`CODEC`) or set `Request.model` afterwards. `encode_request` writes no model.
`stream_encoder(request, sse=False)` produces the JSON-array stream Gemini sends without alt=sse.
"""

from __future__ import annotations

from typing import Any

from daemon.formats.gemini.errors import decode_error, encode_error
from daemon.formats.gemini.request import decode_request, decode_request_for, encode_request
from daemon.formats.gemini.response import decode_response, encode_response
from daemon.formats.gemini.stream_decode import GeminiStreamDecoder
from daemon.formats.gemini.stream_encode import GeminiStreamEncoder
from daemon.model import ApiError, Request, Response, WireFormat


class GeminiCodec:
    format = WireFormat.GEMINI

    def decode_request(self, body: dict[str, Any]) -> Request:
        return decode_request(body)

    def decode_request_for(self, body: dict[str, Any], model: str) -> Request:
        return decode_request_for(body, model)

    def encode_request(self, request: Request) -> dict[str, Any]:
        return encode_request(request)

    def decode_response(self, body: dict[str, Any]) -> Response:
        return decode_response(body)

    def encode_response(self, response: Response) -> dict[str, Any]:
        return encode_response(response)

    def stream_decoder(self) -> GeminiStreamDecoder:
        return GeminiStreamDecoder()

    def stream_encoder(self, request: Request, sse: bool = True) -> GeminiStreamEncoder:
        return GeminiStreamEncoder(request, sse=sse)

    def decode_error(self, status: int, body: bytes) -> ApiError:
        return decode_error(status, body)

    def encode_error(self, error: ApiError) -> dict[str, Any]:
        return encode_error(error)


CODEC = GeminiCodec()

__all__ = ["CODEC", "GeminiCodec"]
