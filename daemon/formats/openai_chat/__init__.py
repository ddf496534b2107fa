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

from daemon.formats.base import FunctionCodec
from daemon.formats.openai_chat.errors import decode_error, encode_error
from daemon.formats.openai_chat.request import decode_request, encode_request
from daemon.formats.openai_chat.response import decode_response, encode_response
from daemon.formats.openai_chat.stream_decode import ChatStreamDecoder
from daemon.formats.openai_chat.stream_encode import ChatStreamEncoder
from daemon.model import WireFormat

CODEC = FunctionCodec(
    format=WireFormat.OPENAI_CHAT,
    decode_request=decode_request,
    encode_request=encode_request,
    decode_response=decode_response,
    encode_response=encode_response,
    stream_decoder=ChatStreamDecoder,
    stream_encoder=ChatStreamEncoder,
    decode_error=decode_error,
    encode_error=encode_error,
)

__all__ = ["CODEC"]
