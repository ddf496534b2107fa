"""The OpenAI Chat Completions codec (`POST /v1/chat/completions`).

What chat cannot carry, decided here (see policy.py for the logging):
- signatures of any kind (thinking, Gemini-signed text / tool calls) and redacted thinking:
  dropped — chat has no opaque field, so signed reasoning does not survive a chat client;
- `top_k` from another format, built-in tools (kind other than "function"), tool-result
  `is_error`, images in tool results / system / assistant messages, reasoning `summary` and
  `include_thoughts`: dropped with a debug log.
Unsigned thinking travels as the non-standard `reasoning_content` (Qwen, Kimi, DeepSeek).
"""

from __future__ import annotations

from typing import Any

from daemon.formats.openai_chat.errors import decode_error, encode_error
from daemon.formats.openai_chat.request import decode_request, encode_request
from daemon.formats.openai_chat.response import decode_response, encode_response
from daemon.formats.openai_chat.stream_decode import ChatStreamDecoder
from daemon.formats.openai_chat.stream_encode import ChatStreamEncoder
from daemon.model import ApiError, Request, Response, WireFormat


class OpenAIChatCodec:
    format = WireFormat.OPENAI_CHAT

    def decode_request(self, body: dict[str, Any]) -> Request:
        return decode_request(body)

    def encode_request(self, request: Request) -> dict[str, Any]:
        return encode_request(request)

    def decode_response(self, body: dict[str, Any]) -> Response:
        return decode_response(body)

    def encode_response(self, response: Response) -> dict[str, Any]:
        return encode_response(response)

    def stream_decoder(self) -> ChatStreamDecoder:
        return ChatStreamDecoder()

    def stream_encoder(self, request: Request) -> ChatStreamEncoder:
        return ChatStreamEncoder(request)

    def decode_error(self, status: int, body: bytes) -> ApiError:
        return decode_error(status, body)

    def encode_error(self, error: ApiError) -> dict[str, Any]:
        return encode_error(error)


CODEC = OpenAIChatCodec()

__all__ = ["CODEC", "OpenAIChatCodec"]
