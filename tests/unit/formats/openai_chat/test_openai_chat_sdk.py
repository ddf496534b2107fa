"""What the codec produces validates against the official `openai` SDK's own types."""

from __future__ import annotations

from typing import Any

import orjson
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionToolUnionParam,
    CompletionCreateParams,
)
from pydantic import TypeAdapter

from daemon.formats.openai_chat import CODEC
from daemon.formats.sse import SSEParser
from daemon.model import Request
from tests.unit.formats.openai_chat.support import load_json
from tests.unit.formats.openai_chat.test_openai_chat_request import _foreign, foreign_tool_request
from tests.unit.formats.openai_chat.test_openai_chat_stream_encode import TOOL_STREAM

_PARAMS: TypeAdapter[Any] = TypeAdapter(CompletionCreateParams)
_MESSAGE: TypeAdapter[Any] = TypeAdapter(ChatCompletionMessageParam)
_TOOL: TypeAdapter[Any] = TypeAdapter(ChatCompletionToolUnionParam)


def validate_request(body: dict[str, Any]) -> None:
    """Validate a request body, forcing pydantic through its lazily checked iterables."""
    _PARAMS.validate_python(body)
    for message in body["messages"]:
        _MESSAGE.validate_python(message)
        content = message.get("content")
        if isinstance(content, list):
            assert all(isinstance(p, dict) and "type" in p for p in content)
    for tool in body.get("tools", ()):
        _TOOL.validate_python(tool)


def test_fixture_requests_validate() -> None:
    for name in ("request_tools.json", "request_plain.json"):
        validate_request(CODEC.encode_request(CODEC.decode_request(load_json(name))))


def test_foreign_requests_validate() -> None:
    validate_request(CODEC.encode_request(foreign_tool_request()))
    validate_request(CODEC.encode_request(_foreign(stream=True)))


def test_fixture_responses_validate() -> None:
    for name in ("response_tool.json", "response_multi.json"):
        ChatCompletion.model_validate(CODEC.encode_response(CODEC.decode_response(load_json(name))))


def test_stream_chunks_validate() -> None:
    encoder = CODEC.stream_encoder(Request(model="m", include_usage=True))
    raw = b"".join(encoder.feed(e) for e in TOOL_STREAM) + encoder.close()
    parser = SSEParser()
    chunks = [e.data for e in parser.feed(raw) if e.data != "[DONE]"]
    assert len(chunks) == 10
    for data in chunks:
        ChatCompletionChunk.model_validate(orjson.loads(data))
