"""What the codec produces validates against the google-genai SDK's own types (which forbid
unknown fields and accept the camelCase REST spelling as aliases)."""

from __future__ import annotations

from typing import Any

import orjson
from google.genai import types
from hypothesis import given, settings

from daemon.formats.gemini import CODEC
from daemon.model import Request, WireFormat

from ._support import load_json
from .test_gemini_properties import events_of, requests, responses
from .test_gemini_request import _conversation

_VALIDATORS: dict[str, Any] = {
    "systemInstruction": types.Content.model_validate,
    "toolConfig": types.ToolConfig.model_validate,
    "generationConfig": types.GenerationConfig.model_validate,
    "cachedContent": lambda v: isinstance(v, str) or (_ for _ in ()).throw(AssertionError(v)),
    "labels": lambda v: {str(k): str(x) for k, x in v.items()},
}


def validate_request_body(body: dict[str, Any]) -> None:
    assert "contents" in body
    assert not set(body) - {"contents", "tools", "safetySettings", *_VALIDATORS}, sorted(body)
    for content in body["contents"]:
        types.Content.model_validate(content)
    for tool in body.get("tools", []):
        types.Tool.model_validate(tool)
    for setting in body.get("safetySettings", []):
        types.SafetySetting.model_validate(setting)
    for key, validate in _VALIDATORS.items():
        if key in body:
            validate(body[key])


def test_fixture_request_validates() -> None:
    # (same-format, the fixture's deliberately unknown fields would come back, as they should)
    request = CODEC.decode_request(load_json("request_tools.json"))
    request.source_format = WireFormat.ANTHROPIC
    validate_request_body(CODEC.encode_request(request))


def test_cross_format_request_validates() -> None:
    request = _conversation()
    request.source_format = WireFormat.OPENAI_RESPONSES
    validate_request_body(CODEC.encode_request(request))


@settings(max_examples=60, deadline=None)
@given(requests())
def test_generated_requests_validate(request: Request) -> None:
    validate_request_body(CODEC.encode_request(request))
    request.source_format = WireFormat.OPENAI_CHAT
    validate_request_body(CODEC.encode_request(request))


def test_fixture_response_validates() -> None:
    response = CODEC.decode_response(load_json("response_tools.json"))
    types.GenerateContentResponse.model_validate(CODEC.encode_response(response))


@settings(max_examples=60, deadline=None)
@given(responses())
def test_generated_responses_and_stream_chunks_validate(response: Any) -> None:
    types.GenerateContentResponse.model_validate(CODEC.encode_response(response))
    encoder = CODEC.stream_encoder(Request(model="m"), sse=False)
    raw = b"".join(encoder.feed(e) for e in events_of(response)) + encoder.close()
    for chunk in orjson.loads(raw):
        types.GenerateContentResponse.model_validate(chunk)
