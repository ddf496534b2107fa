"""Client keys on the proxy listener, seen through the official SDKs and raw HTTP."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from tests.support.daemon import CLIENT_KEY, Sandbox, base_config

pytestmark = pytest.mark.integration


@pytest.fixture
def listen(sandbox: Sandbox) -> str:
    sandbox.write_config(base_config())
    result = sandbox.cli("start")
    assert result.returncode == 0, result.stderr
    return str(sandbox.status()["listen"])


def test_health_needs_no_key(listen: str) -> None:
    for path in ("/healthz", "/health/liveness", "/health/readiness"):
        response = httpx.get(listen + path)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"


def test_openai_sdk_sees_an_openai_401(listen: str) -> None:
    client = openai.OpenAI(
        base_url=listen + "/v1", api_key="sk-wrong-key-000000000000", max_retries=0
    )
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    body: Any = caught.value.body
    assert caught.value.status_code == 401
    assert body["type"] == "authentication_error"
    assert "invalid client API key" in body["message"]


def test_anthropic_sdk_sees_an_anthropic_401(listen: str) -> None:
    client = anthropic.Anthropic(
        base_url=listen, api_key="sk-wrong-key-000000000000", max_retries=0
    )
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.status_code == 401
    body: Any = caught.value.body
    assert body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid client API key"},
    }


def test_genai_sdk_sees_a_gemini_401(listen: str) -> None:
    client = genai.Client(
        api_key="wrong-key-000000000000",
        http_options=genai_types.HttpOptions(base_url=listen, retry_options=None),
    )
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(model="gemini-x", contents="hi")
    assert caught.value.code == 401
    assert caught.value.status == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("path", "headers", "shape"),
    [
        ("/v1/chat/completions", {}, "openai"),
        ("/v1/responses", {}, "openai"),
        ("/v1/messages?beta=true", {}, "anthropic"),
        ("/v1beta/models/gemini-x:generateContent", {}, "gemini"),
        ("/v1/models", {"anthropic-version": "2023-06-01"}, "anthropic"),
    ],
)
def test_missing_key_is_a_401_in_the_callers_shape(
    listen: str, path: str, headers: dict[str, str], shape: str
) -> None:
    response = httpx.post(listen + path, json={}, headers=headers)
    assert response.status_code == 401
    body = response.json()
    if shape == "openai":
        assert body["error"]["type"] == "authentication_error"
        assert "missing client API key" in body["error"]["message"]
    elif shape == "anthropic":
        assert body["type"] == "error"
        assert body["error"]["type"] == "authentication_error"
    else:
        assert body["error"]["status"] == "UNAUTHENTICATED"
        assert body["error"]["code"] == 401


@pytest.mark.parametrize(
    "headers_or_query",
    [
        {"Authorization": f"Bearer {CLIENT_KEY}"},
        {"x-api-key": CLIENT_KEY},
        {"x-goog-api-key": CLIENT_KEY},
        "?key=" + CLIENT_KEY,
    ],
)
def test_every_key_location_is_accepted(
    listen: str, headers_or_query: dict[str, str] | str
) -> None:
    if isinstance(headers_or_query, str):
        response = httpx.get(listen + "/v1/models" + headers_or_query)
    else:
        response = httpx.get(listen + "/v1/models", headers=headers_or_query)
    assert response.status_code == 200  # past the key check
    listed = response.json()
    # A Gemini client (x-goog-api-key) gets Gemini's list shape; the others OpenAI's.
    assert ("models" in listed) == (headers_or_query == {"x-goog-api-key": CLIENT_KEY})


def test_example_keys_are_refused_on_every_route(sandbox: Sandbox) -> None:
    from daemon.config import EXAMPLE_API_KEYS

    example = sorted(EXAMPLE_API_KEYS)[0]
    sandbox.write_config(base_config(keys=(example,)))
    assert sandbox.cli("start").returncode == 0
    listen = sandbox.status()["listen"]
    response = httpx.post(listen + "/v1/messages", json={}, headers={"x-api-key": example})
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"
    assert "api-keys[0]" in response.json()["error"]["message"]
    assert httpx.get(listen + "/healthz").status_code == 200
