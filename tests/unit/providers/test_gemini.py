"""daemon.providers.gemini: AI Studio generateContent, SSE streams, countTokens."""

from __future__ import annotations

import orjson

from daemon.model import WireFormat
from daemon.providers.base import Credential
from daemon.providers.gemini import GeminiProvider

PROVIDER = GeminiProvider()
CREDENTIAL = Credential(
    id="gemini-api-key[0]",
    family="gemini",
    api_key="AIza-secret",
    base_url="https://generativelanguage.googleapis.com",
)
BODY = {
    "model": "should-go",
    "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
    "systemInstruction": {"parts": [{"text": "be brief"}]},
    "tools": [{"functionDeclarations": [{"name": "f"}]}],
    "generationConfig": {"temperature": 0.2},
    "labels": {"a": "b"},
}
BASE = "https://generativelanguage.googleapis.com/v1beta/models"


def test_identity() -> None:
    assert PROVIDER.family == "gemini"
    assert PROVIDER.wire_format is WireFormat.GEMINI


def test_generate_content_puts_the_model_in_the_url_only() -> None:
    request = PROVIDER.build_request(
        CREDENTIAL, "gemini-2.5-pro", BODY, stream=False, client_headers={}
    )
    assert request.url == f"{BASE}/gemini-2.5-pro:generateContent"
    assert request.stream is False
    assert request.headers["x-goog-api-key"] == "AIza-secret"
    assert "authorization" not in request.headers
    sent = orjson.loads(request.body)
    assert "model" not in sent
    assert sent["contents"] == BODY["contents"]
    assert BODY["model"] == "should-go"


def test_stream_asks_for_sse() -> None:
    request = PROVIDER.build_request(
        CREDENTIAL, "gemini-2.5-flash", BODY, stream=True, client_headers={}
    )
    assert request.url == f"{BASE}/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert request.stream is True
    assert request.headers["accept"] == "text/event-stream"


def test_count_tokens_wraps_a_generate_content_request() -> None:
    request = PROVIDER.build_count_tokens(CREDENTIAL, "gemini-2.5-pro", BODY, client_headers={})
    assert request is not None
    assert request.url == f"{BASE}/gemini-2.5-pro:countTokens"
    assert request.stream is False
    assert request.headers["x-goog-api-key"] == "AIza-secret"
    sent = orjson.loads(request.body)
    assert sent == {
        "generateContentRequest": {
            "model": "models/gemini-2.5-pro",
            "contents": BODY["contents"],
            "systemInstruction": BODY["systemInstruction"],
            "tools": BODY["tools"],
            "generationConfig": BODY["generationConfig"],
        }
    }


def test_count_tokens_unwraps_a_client_generate_content_request() -> None:
    body = {"generateContentRequest": {"model": "models/x", "contents": [{"parts": []}]}}
    request = PROVIDER.build_count_tokens(CREDENTIAL, "gemini-3-pro", body, client_headers={})
    assert request is not None
    assert orjson.loads(request.body) == {
        "generateContentRequest": {"model": "models/gemini-3-pro", "contents": [{"parts": []}]}
    }


def test_entry_headers_and_custom_base() -> None:
    credential = Credential(
        id="gemini-api-key[1]",
        family="gemini",
        api_key="k",
        base_url="https://proxy.example",
        headers={"X-Trace": "$traceparent"},
    )
    request = PROVIDER.build_request(
        credential, "gemini-2.5-pro", {}, stream=False, client_headers={"TraceParent": "00-1"}
    )
    assert request.url == "https://proxy.example/v1beta/models/gemini-2.5-pro:generateContent"
    assert request.headers["x-trace"] == "00-1"
