"""daemon.dataplane.routes: every inbound path an SDK or agent calls, through the real app
in-process, against the mock upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from daemon.app import ProxyApp
from daemon.dataplane.listing import GEMINI_METHODS
from tests.support.mock_upstream import MockUpstream
from tests.support.mock_upstream.script import count_tokens as mock_count
from tests.unit.dataplane.support import CLIENT_KEY, mock, proxy, settings_for, sse_data

__all__ = ["mock"]

CHAT = {"model": "claude-plain", "messages": [{"role": "user", "content": "hi"}]}
RESPONSES = {"model": "claude-plain", "input": "hi"}
MESSAGES = {
    "model": "claude-plain",
    "max_tokens": 32,
    "messages": [{"role": "user", "content": "hi"}],
}
CONTENTS = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
GOOGLE = {"x-goog-api-key": CLIENT_KEY}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def http(mock: MockUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with proxy(settings_for(mock.base_url)) as (_, client):
        yield client
    mock.clear()


@pytest.fixture
async def app_and_http(mock: MockUpstream) -> AsyncIterator[tuple[ProxyApp, httpx.AsyncClient]]:
    async with proxy(settings_for(mock.base_url)) as pair:
        yield pair
    mock.clear()


# ------------------------------------------------------------------ generation routes


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "body", "text"),
    [
        ("/v1/chat/completions", CHAT, lambda b: b["choices"][0]["message"]["content"]),
        ("/openai/v1/chat/completions", CHAT, lambda b: b["choices"][0]["message"]["content"]),
        ("/v1/responses", RESPONSES, lambda b: b["output"][0]["content"][0]["text"]),
        ("/openai/v1/responses", RESPONSES, lambda b: b["output"][0]["content"][0]["text"]),
        ("/backend-api/codex/responses", RESPONSES, lambda b: b["output"][0]["content"][0]["text"]),
        ("/v1/messages", MESSAGES, lambda b: b["content"][0]["text"]),
        ("/v1/messages?beta=true", MESSAGES, lambda b: b["content"][0]["text"]),
        (
            "/v1beta/models/claude-plain:generateContent",
            CONTENTS,
            lambda b: b["candidates"][0]["content"]["parts"][0]["text"],
        ),
        (
            "/v1/models/claude-plain:generateContent",  # google-genai with only a base URL
            CONTENTS,
            lambda b: b["candidates"][0]["content"]["parts"][0]["text"],
        ),
        (
            "/v1beta/models/models/claude-plain:generateContent",
            CONTENTS,
            lambda b: b["candidates"][0]["content"]["parts"][0]["text"],
        ),
    ],
)
async def test_generation_routes(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], text: Any
) -> None:
    response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    assert text(response.json()) == "echo: hi"


@pytest.mark.anyio
@pytest.mark.parametrize("prefix", ["/v1beta", "/v1"])
async def test_gemini_stream_routes_in_both_framings(http: httpx.AsyncClient, prefix: str) -> None:
    sse = await http.post(
        f"{prefix}/models/claude-plain:streamGenerateContent?alt=sse", json=CONTENTS
    )
    assert sse.headers["content-type"] == "text/event-stream"
    chunks = sse_data(sse.content)
    array = await http.post(f"{prefix}/models/claude-plain:streamGenerateContent", json=CONTENTS)
    assert array.headers["content-type"] == "application/json"
    assert [c["candidates"][0].get("finishReason") for c in array.json()] == [
        c["candidates"][0].get("finishReason") for c in chunks
    ]


@pytest.mark.anyio
async def test_an_unknown_gemini_method_is_a_gemini_404(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1beta/models/claude-plain:embedContent", json=CONTENTS)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"
    assert "embedContent" in response.json()["error"]["message"]


@pytest.mark.anyio
async def test_an_unknown_route_is_a_404_in_the_callers_shape(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/embeddings", json={"model": "x", "input": "hi"})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/v1/chat/completions", lambda b: b["error"]["type"]),
        ("DELETE", "/v1/messages", lambda b: b["error"]["type"]),
        ("POST", "/v1/models", lambda b: b["error"]["type"]),
        ("PUT", "/v1beta/models/gemini-x", lambda b: b["error"]["status"]),
    ],
)
async def test_a_wrong_method_is_a_405_in_the_callers_shape(
    http: httpx.AsyncClient, method: str, path: str, kind: Any
) -> None:
    response = await http.request(method, path, json={})
    assert response.status_code == 405
    assert kind(response.json()) in ("invalid_request_error", "INVALID_ARGUMENT")
    assert f"{method} is not allowed on {path}" in response.text


@pytest.mark.anyio
async def test_a_generation_route_requires_the_client_key(mock: MockUpstream) -> None:
    async with proxy(settings_for(mock.base_url)) as (_, http):
        response = await http.post(
            "/v1/messages", json=MESSAGES, headers={"authorization": "", "x-api-key": "wrong"}
        )
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert not mock.requests


# ------------------------------------------------------------------ legacy completions


@pytest.mark.anyio
async def test_legacy_completions_whole(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/completions", json={"model": "oc/mock-plain", "prompt": "Say hi", "max_tokens": 5}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "text_completion"
    assert body["choices"][0]["text"] == "echo: Say hi"
    assert body["usage"]["total_tokens"] > 0


@pytest.mark.anyio
async def test_legacy_completions_streamed(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/openai/v1/completions",
        json={"model": "claude-plain", "prompt": ["Say hi"], "stream": True},
    )
    assert response.status_code == 200
    chunks = sse_data(response.content)
    assert response.content.rstrip().endswith(b"data: [DONE]")
    assert all(c["object"] == "text_completion" for c in chunks)
    assert "".join(ch["text"] for c in chunks for ch in c["choices"]) == "echo: Say hi"


@pytest.mark.anyio
async def test_legacy_completions_refuse_several_prompts(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/completions", json={"model": "claude-x", "prompt": ["a", "b"]})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "prompt"


# ------------------------------------------------------------------ count tokens


@pytest.mark.anyio
async def test_anthropic_count_tokens_asks_a_claude_upstream(
    http: httpx.AsyncClient, mock: MockUpstream
) -> None:
    body = {"model": "claude-count", "messages": [{"role": "user", "content": "hello there"}]}
    response = await http.post("/v1/messages/count_tokens?beta=true", json=body)
    assert response.status_code == 200, response.text
    seen = mock.wait_for(lambda r: r.path == "/v1/messages/count_tokens")
    assert seen.body == body
    assert response.json() == {"input_tokens": mock_count(body)}


@pytest.mark.anyio
async def test_anthropic_count_tokens_estimates_for_an_openai_upstream(
    http: httpx.AsyncClient, mock: MockUpstream
) -> None:
    body = {"model": "oc/mock-count", "messages": [{"role": "user", "content": "x" * 40}]}
    response = await http.post("/v1/messages/count_tokens", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"input_tokens": 4 + 10}  # framing + 40 characters / 4
    assert not mock.requests


@pytest.mark.anyio
@pytest.mark.parametrize("wrapped", [False, True])
async def test_gemini_count_tokens_asks_a_gemini_upstream(
    http: httpx.AsyncClient, mock: MockUpstream, wrapped: bool
) -> None:
    body: dict[str, Any] = CONTENTS
    if wrapped:
        body = {"generateContentRequest": {"model": "models/gemini-count", **CONTENTS}}
    response = await http.post("/v1beta/models/gemini-count:countTokens", json=body)
    assert response.status_code == 200, response.text
    seen = mock.wait_for(lambda r: r.path.endswith(":countTokens"))
    assert seen.path == "/v1beta/models/gemini-count:countTokens"
    assert seen.body["generateContentRequest"]["contents"] == CONTENTS["contents"]
    assert response.json() == {"totalTokens": mock_count(seen.body["generateContentRequest"])}


@pytest.mark.anyio
async def test_gemini_count_tokens_for_a_claude_model_asks_claude(
    http: httpx.AsyncClient, mock: MockUpstream
) -> None:
    response = await http.post("/v1beta/models/claude-count:countTokens", json=CONTENTS)
    assert response.status_code == 200, response.text
    assert mock.wait_for(lambda r: r.path == "/v1/messages/count_tokens").body["model"] == (
        "claude-count"
    )
    assert set(response.json()) == {"totalTokens"}


@pytest.mark.anyio
async def test_count_tokens_upstream_errors_come_back_in_the_callers_shape(
    http: httpx.AsyncClient,
) -> None:
    body = {"model": "claude-error-429", "messages": [{"role": "user", "content": "hi"}]}
    response = await http.post("/v1/messages/count_tokens", json=body)
    assert response.status_code == 429
    assert response.json()["error"]["type"] == "rate_limit_error"


# ------------------------------------------------------------------ model lists


@pytest.mark.anyio
async def test_v1_models_in_openai_shape(http: httpx.AsyncClient) -> None:
    for path in ("/v1/models", "/openai/v1/models"):
        listed = (await http.get(path)).json()
        assert listed["object"] == "list"
        ids = [m["id"] for m in listed["data"]]
        assert "claude-sonnet-4-6" in ids
        assert "gemini-2.5-pro" in ids
        assert "gpt-5" in ids
        assert len(ids) == len(set(ids))


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [{"anthropic-version": "2023-06-01"}, {"user-agent": "claude-cli/2.0.0 (external, cli)"}],
)
async def test_v1_models_in_anthropic_shape(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    listed = (await http.get("/v1/models", headers=headers)).json()
    assert listed["has_more"] is False
    assert listed["data"][0]["type"] == "model"
    assert listed["first_id"] == listed["data"][0]["id"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1beta/models", {}),
        ("/v1/models", GOOGLE),
        ("/v1/models", {"x-goog-api-client": "google-genai-sdk/1.0 gl-python/3.12"}),
    ],
)
async def test_models_in_gemini_shape(
    http: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    listed = (await http.get(path, headers=headers)).json()
    names = [m["name"] for m in listed["models"]]
    assert "models/gemini-2.5-pro" in names
    assert listed["models"][0]["supportedGenerationMethods"] == GEMINI_METHODS


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "headers", "key", "value"),
    [
        ("/v1/models/gpt-5", {}, "id", "gpt-5"),
        ("/openai/v1/models/gpt-5", {}, "object", "model"),
        ("/v1/models/gpt-5", {"anthropic-version": "2023-06-01"}, "type", "model"),
        ("/v1beta/models/gemini-2.5-pro", {}, "name", "models/gemini-2.5-pro"),
        ("/v1beta/models/models/gemini-2.5-pro", {}, "name", "models/gemini-2.5-pro"),
        ("/v1/models/models/gemini-2.5-pro", GOOGLE, "name", "models/gemini-2.5-pro"),
    ],
)
async def test_retrieve_a_model(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], key: str, value: str
) -> None:
    response = await http.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()[key] == value


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "headers", "kind"),
    [
        ("/v1/models/nope", {}, lambda b: b["error"]["type"]),
        ("/v1/models/nope", {"anthropic-version": "2023-06-01"}, lambda b: b["error"]["type"]),
        ("/v1beta/models/nope", {}, lambda b: b["error"]["status"]),
    ],
)
async def test_retrieving_an_unknown_model_is_a_404(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], kind: Any
) -> None:
    response = await http.get(path, headers=headers)
    assert response.status_code == 404
    assert kind(response.json()) in ("not_found_error", "NOT_FOUND")


# ------------------------------------------------------------------ body limits


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path", ["/v1/chat/completions", "/v1/messages", "/v1beta/models/x:generateContent"]
)
async def test_a_body_over_the_limit_is_a_413(mock: MockUpstream, path: str) -> None:
    async with proxy(settings_for(mock.base_url, max_body_size_mb=1)) as (_, http):
        response = await http.post(
            path,
            content=b'{"model": "claude-x", "pad": "' + b"x" * (1024 * 1024) + b'"}',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert "1 MiB" in response.text
    assert not mock.requests


@pytest.mark.anyio
async def test_a_body_that_is_not_json_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/messages", content=b"{oops")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
