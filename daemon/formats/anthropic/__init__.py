"""The Anthropic Messages codec (`POST /v1/messages`)."""

from __future__ import annotations

from daemon.formats.anthropic.errors import decode_error, encode_error
from daemon.formats.anthropic.request import decode_request, encode_request
from daemon.formats.anthropic.response import decode_response, encode_response
from daemon.formats.anthropic.stream_decode import AnthropicStreamDecoder
from daemon.formats.anthropic.stream_encode import AnthropicStreamEncoder
from daemon.formats.base import FunctionCodec
from daemon.model import WireFormat

CODEC = FunctionCodec(
    format=WireFormat.ANTHROPIC,
    decode_request=decode_request,
    encode_request=encode_request,
    decode_response=decode_response,
    encode_response=encode_response,
    stream_decoder=AnthropicStreamDecoder,
    stream_encoder=AnthropicStreamEncoder,
    decode_error=decode_error,
    encode_error=encode_error,
)

__all__ = ["CODEC"]
