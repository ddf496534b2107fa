"""daemon.providers.openai_compatible: chat-completions requests and base-URL presets."""

from __future__ import annotations

import orjson
import pytest

from daemon.model import WireFormat
from daemon.providers.base import Credential
from daemon.providers.openai_compatible import (
    PRESETS,
    OpenAICompatibleProvider,
    default_max_tokens_field,
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
        "openai": "https://api.openai.com/v1",
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


@pytest.mark.parametrize(
    ("field", "body", "sent"),
    [
        ("max_completion_tokens", {"max_tokens": 64}, {"max_completion_tokens": 64}),
        ("max_tokens", {"max_completion_tokens": 64}, {"max_tokens": 64}),
        ("max_completion_tokens", {"max_completion_tokens": 8}, {"max_completion_tokens": 8}),
        # Both present: the client chose; nothing moves.
        ("max_completion_tokens", {"max_tokens": 1, "max_completion_tokens": 2}, None),
        (None, {"max_tokens": 64}, {"max_tokens": 64}),
        ("max_completion_tokens", {}, {}),
    ],
)
def test_the_token_limit_travels_in_the_configured_field(
    field: str | None, body: dict[str, int], sent: dict[str, int] | None
) -> None:
    request = PROVIDER.build_request(
        _credential(max_tokens_field=field),
        "m",
        {"messages": [], **body},
        stream=False,
        client_headers={},
    )
    out = orjson.loads(request.body)
    limits = {k: v for k, v in out.items() if k in ("max_tokens", "max_completion_tokens")}
    assert limits == (body if sent is None else sent)


def test_openais_own_api_gets_max_completion_tokens_by_default() -> None:
    assert default_max_tokens_field("https://api.openai.com/v1") == "max_completion_tokens"
    assert default_max_tokens_field(PRESETS["openai"]) == "max_completion_tokens"
    assert default_max_tokens_field("https://openrouter.ai/api/v1") is None
    assert default_max_tokens_field("http://127.0.0.1:8000/v1") is None
