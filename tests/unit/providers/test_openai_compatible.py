"""daemon.providers.openai_compatible: chat-completions requests and base-URL presets."""

from __future__ import annotations

import orjson

from daemon.model import WireFormat
from daemon.providers.base import Credential
from daemon.providers.openai_compatible import (
    PRESETS,
    OpenAICompatibleProvider,
    preset_base_url,
)

PROVIDER = OpenAICompatibleProvider()


def _credential(**changes: object) -> Credential:
    fields: dict[str, object] = {
        "id": "openai-compatibility[openrouter][0]",
        "family": "openai-compatible",
        "api_key": "sk-or-secret",
        "base_url": "https://openrouter.ai/api/v1",
        "headers": {"HTTP-Referer": "https://example.org"},
    }
    fields.update(changes)
    return Credential(**fields)  # type: ignore[arg-type]


def test_identity() -> None:
    assert PROVIDER.family == "openai-compatible"
    assert PROVIDER.wire_format is WireFormat.OPENAI_CHAT


def test_streaming_request() -> None:
    body = {"model": "kimi", "messages": [{"role": "user", "content": "hi"}]}
    request = PROVIDER.build_request(
        _credential(), "moonshotai/kimi-k2", body, stream=True, client_headers={}
    )
    assert request.method == "POST"
    assert request.url == "https://openrouter.ai/api/v1/chat/completions"
    assert request.stream is True
    assert request.headers["authorization"] == "Bearer sk-or-secret"
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["http-referer"] == "https://example.org"
    sent = orjson.loads(request.body)
    assert sent["model"] == "moonshotai/kimi-k2"
    assert sent["stream"] is True
    assert sent["messages"] == body["messages"]
    assert body["model"] == "kimi"  # the caller's body is left alone


def test_non_streaming_request_accepts_json() -> None:
    request = PROVIDER.build_request(
        _credential(), "m", {"messages": []}, stream=False, client_headers={}
    )
    assert request.headers["accept"] == "application/json"
    assert request.stream is False
    assert "stream" not in orjson.loads(request.body)


def test_keyless_credential_sends_no_authorization() -> None:
    request = PROVIDER.build_request(
        _credential(api_key=""), "llama3", {}, stream=False, client_headers={}
    )
    assert "authorization" not in request.headers


def test_no_count_tokens_endpoint() -> None:
    assert PROVIDER.build_count_tokens(_credential(), "m", {}, client_headers={}) is None


def test_presets_cover_the_known_services() -> None:
    expected = {
        "openrouter": "https://openrouter.ai/api/v1",
        "deepseek": "https://api.deepseek.com",
        "groq": "https://api.groq.com/openai/v1",
        "mistral": "https://api.mistral.ai/v1",
        "together": "https://api.together.xyz/v1",
        "fireworks": "https://api.fireworks.ai/inference/v1",
        "novita": "https://api.novita.ai/v3/openai",
        "siliconflow": "https://api.siliconflow.com/v1",
    }
    for name, url in expected.items():
        assert PRESETS[name] == url
        assert not url.endswith("/")
        assert url.startswith("https://")


def test_preset_lookup_ignores_case_and_spacing() -> None:
    assert preset_base_url("OpenRouter") == "https://openrouter.ai/api/v1"
    assert preset_base_url(" Groq ") == "https://api.groq.com/openai/v1"
    assert preset_base_url("SiliconFlow_CN") == "https://api.siliconflow.cn/v1"
    assert preset_base_url("my-own-llm") is None
