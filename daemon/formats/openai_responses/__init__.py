"""The openai_responses codec: OpenAI Responses API (`POST /v1/responses`) and the Codex backend.

See request.py, response.py, stream_decode.py and stream_encode.py; items_decode.py and
items_encode.py hold the item ⇄ part translation both requests and responses use.
"""

from __future__ import annotations

from daemon.formats.base import FunctionCodec
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
from daemon.model import WireFormat

CODEC = FunctionCodec(
    format=WireFormat.OPENAI_RESPONSES,
    decode_request=decode_request,
    encode_request=encode_request,
    decode_response=decode_response,
    encode_response=encode_response,
    stream_decoder=ResponsesStreamDecoder,
    stream_encoder=ResponsesStreamEncoder,
    decode_error=decode_error,
    encode_error=encode_error,
)

__all__ = ["CODEC", "ensure_translatable", "same_format_only"]
