"""daemon.providers.vertex: Vertex AI express mode (API key) requests."""

from __future__ import annotations

import orjson

from daemon.model import WireFormat
from daemon.providers.base import Credential
from daemon.providers.vertex import DEFAULT_BASE_URL, VertexProvider

PROVIDER = VertexProvider()
CREDENTIAL = Credential(
    id="vertex-api-key[0]", family="vertex", api_key="vk-secret", base_url=DEFAULT_BASE_URL
)
BASE = "https://aiplatform.googleapis.com/v1/publishers/google/models"
BODY = {
    "model": "x",
    "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
    "system_instruction": {"parts": [{"text": "s"}]},
    "tools": [],
    "safetySettings": [{"category": "c"}],
    "toolConfig": {},
}


def test_identity() -> None:
    assert PROVIDER.family == "vertex"
    assert PROVIDER.wire_format is WireFormat.GEMINI
    assert DEFAULT_BASE_URL == "https://aiplatform.googleapis.com"


def test_express_mode_urls() -> None:
    plain = PROVIDER.build_request(
        CREDENTIAL, "gemini-2.5-pro", BODY, stream=False, client_headers={}
    )
    assert plain.url == f"{BASE}/gemini-2.5-pro:generateContent"
    streamed = PROVIDER.build_request(
        CREDENTIAL, "gemini-2.5-pro", BODY, stream=True, client_headers={}
    )
    assert streamed.url == f"{BASE}/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert streamed.stream is True
    for request in (plain, streamed):
        assert request.headers["x-goog-api-key"] == "vk-secret"
        sent = orjson.loads(request.body)
        assert "model" not in sent
        assert sent["safetySettings"] == [{"category": "c"}]


def test_count_tokens_sends_the_fields_count_tokens_accepts() -> None:
    request = PROVIDER.build_count_tokens(CREDENTIAL, "gemini-2.5-flash", BODY, client_headers={})
    assert request is not None
    assert request.url == f"{BASE}/gemini-2.5-flash:countTokens"
    assert orjson.loads(request.body) == {
        "contents": BODY["contents"],
        "system_instruction": BODY["system_instruction"],
        "tools": [],
    }


def test_gateway_base_url() -> None:
    credential = Credential(
        id="vertex-api-key[1]", family="vertex", api_key="k", base_url="https://zenmux.ai/api"
    )
    request = PROVIDER.build_request(credential, "m", {}, stream=False, client_headers={})
    assert request.url == "https://zenmux.ai/api/v1/publishers/google/models/m:generateContent"
