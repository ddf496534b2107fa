"""daemon.dataplane.pipeline: one generation request end to end, through the real app
(build_app) in-process, against the mock upstream running in a thread."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from daemon.config import ModelEntry, ProviderKeyEntry, UpstreamTimeouts
from daemon.model import WireFormat
from tests.support.mock_upstream import DEFAULT_KEY, MockUpstream
from tests.unit.dataplane.support import (
    CLIENT_KEY,
    FAMILIES,
    UPSTREAM_PATH,
    drive,
    mock,
    model_for,
    proxy,
    settings_for,
    sse_data,
)
from tests.unit.formats.anthropic.wellformed import check_stream as check_anthropic
from tests.unit.formats.gemini.wellformed import check_array as check_gemini_array
from tests.unit.formats.gemini.wellformed import check_stream as check_gemini
from tests.unit.formats.openai_chat.wellformed import check_stream as check_chat
from tests.unit.formats.openai_responses.wellformed import check_stream as check_responses

__all__ = ["mock"]  # the module-scoped mock fixture

TOOLS_CHAT = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Each client format: its path, a body for `model` (streaming or not), and its stream checker.
def chat_body(model: str, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def responses_body(model: str, stream: bool) -> dict[str, Any]:
    return {"model": model, "input": "hi", "stream": stream}


def anthropic_body(model: str, stream: bool) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": stream,
    }


def gemini_body(model: str, stream: bool) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def gemini_path(model: str, stream: bool) -> str:
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/v1beta/models/{model}:{action}"


CLIENTS: dict[WireFormat, tuple[Callable[[str, bool], str], Callable[[str, bool], Any]]] = {
    WireFormat.OPENAI_CHAT: (lambda m, s: "/v1/chat/completions", chat_body),
    WireFormat.OPENAI_RESPONSES: (lambda m, s: "/v1/responses", responses_body),
    WireFormat.ANTHROPIC: (lambda m, s: "/v1/messages", anthropic_body),
    WireFormat.GEMINI: (gemini_path, gemini_body),
}
CHECK: dict[WireFormat, Callable[[bytes], None]] = {
    WireFormat.OPENAI_CHAT: check_chat,
    WireFormat.OPENAI_RESPONSES: check_responses,
    WireFormat.ANTHROPIC: check_anthropic,
    WireFormat.GEMINI: check_gemini,  # (CRLF as Google sends it, or LF)
}
FAMILY_FORMAT = {
    "openai-compatible": WireFormat.OPENAI_CHAT,
    "claude": WireFormat.ANTHROPIC,
    "gemini": WireFormat.GEMINI,
    "codex": WireFormat.OPENAI_RESPONSES,
}
PAIRS = [(c, f) for c in CLIENTS for f in FAMILIES]
PAIR_IDS = [f"{c}->{f}" for c, f in PAIRS]


def request_for(client: WireFormat, family: str, script: str, stream: bool) -> tuple[str, Any]:
    path_of, body_of = CLIENTS[client]
    model = model_for(family, script)
    return path_of(model, stream), body_of(model, stream)


def text_of(client: WireFormat, body: dict[str, Any]) -> str:
    if client == WireFormat.OPENAI_CHAT:
        return str(body["choices"][0]["message"]["content"])
    if client == WireFormat.OPENAI_RESPONSES:
        return "".join(
            c["text"]
            for item in body["output"]
            if item["type"] == "message"
            for c in item["content"]
        )
    if client == WireFormat.ANTHROPIC:
        return "".join(b["text"] for b in body["content"] if b["type"] == "text")
    return "".join(p.get("text", "") for p in body["candidates"][0]["content"]["parts"])


def error_of(client: WireFormat, body: dict[str, Any]) -> tuple[str, str]:
    """(type or status name, message) wherever the client's format keeps them."""
    if client == WireFormat.ANTHROPIC:
        assert body["type"] == "error"
        return body["error"]["type"], body["error"]["message"]
    if client == WireFormat.GEMINI:
        return body["error"]["status"], body["error"]["message"]
    return body["error"]["type"], body["error"]["message"]


# ------------------------------------------------------------------ the happy paths


@pytest.mark.anyio
@pytest.mark.parametrize(("client", "family"), PAIRS, ids=PAIR_IDS)
async def test_non_stream_through_every_pair(
    mock: MockUpstream, client: WireFormat, family: str
) -> None:
    path, body = request_for(client, family, "plain", stream=False)
    async with proxy(settings_for(mock.base_url)) as (app, http):
        response = await http.post(path, json=body)
        assert response.status_code == 200, response.text
        assert text_of(client, response.json()) == "echo: hi"
        assert app.state.usage.requests == 1
        assert app.state.usage.input_tokens > 0
    seen = mock.wait_for(lambda r: r.model.endswith("plain") and r.format != "" and r.finished)
    mock.clear()
    assert seen.path.startswith(UPSTREAM_PATH[family])
    assert CLIENT_KEY not in str(seen.headers)  # the client's key never goes upstream
    assert CLIENT_KEY not in seen.raw.decode()


@pytest.mark.anyio
@pytest.mark.parametrize(("client", "family"), PAIRS, ids=PAIR_IDS)
async def test_stream_through_every_pair(
    mock: MockUpstream, client: WireFormat, family: str
) -> None:
    path, body = request_for(client, family, "plain", stream=True)
    async with proxy(settings_for(mock.base_url)) as (app, http):
        response = await http.post(path, json=body)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/event-stream"
        CHECK[client](response.content)
        assert app.state.usage.requests == 1
    seen = mock.wait_for(lambda r: r.model.endswith("plain") and r.finished)
    mock.clear()
    assert seen.stream
    assert seen.path.startswith(UPSTREAM_PATH[family])
    if family == "gemini":
        assert seen.path.endswith(":streamGenerateContent") and seen.query == {"alt": "sse"}


@pytest.mark.anyio
async def test_same_format_non_stream_passes_the_upstream_bytes_through(
    mock: MockUpstream,
) -> None:
    async with proxy(settings_for(mock.base_url)) as (_, http):
        response = await http.post(
            "/v1/messages", json=anthropic_body("claude-plain", False) | {"x_unknown": 1}
        )
    seen = mock.wait_for(lambda r: r.model == "claude-plain")
    mock.clear()
    assert seen.body["x_unknown"] == 1  # unknown fields travel untouched
    assert response.json()["model"] == "claude-plain"
    assert response.headers["content-length"] == str(len(response.content))


@pytest.mark.anyio
async def test_the_upstream_model_replaces_the_alias(mock: MockUpstream) -> None:
    settings = settings_for(mock.base_url)
    entry = ProviderKeyEntry(
        api_key=DEFAULT_KEY,
        base_url=mock.base_url,
        models=(ModelEntry(name="claude-tool", alias="nice-name"),),
    )
    async with proxy(replace(settings, claude_api_key=(entry,))) as (_, http):
        response = await http.post("/v1/messages", json=anthropic_body("nice-name", False))
        assert response.status_code == 200, response.text
    seen = mock.wait_for(lambda r: r.model == "claude-tool")
    mock.clear()
    assert seen.body["model"] == "claude-tool"


@pytest.mark.anyio
async def test_a_gemini_json_array_stream_is_reframed_from_sse(mock: MockUpstream) -> None:
    async with proxy(settings_for(mock.base_url)) as (_, http):
        response = await http.post(
            "/v1beta/models/gemini-plain:streamGenerateContent", json=gemini_body("", True)
        )
    seen = mock.wait_for(lambda r: r.model == "gemini-plain")
    mock.clear()
    assert response.headers["content-type"] == "application/json"
    check_gemini_array(response.content)
    assert seen.query == {"alt": "sse"}  # the upstream is always asked for SSE


@pytest.mark.anyio
async def test_a_thinking_suffix_becomes_the_upstreams_setting(mock: MockUpstream) -> None:
    async with proxy(settings_for(mock.base_url)) as (_, http):
        response = await http.post("/v1/messages", json=anthropic_body("claude-think(8192)", False))
        assert response.status_code == 200, response.text
        response = await http.post(
            "/v1/chat/completions", json=chat_body("gemini-think(high)", False)
        )
        assert response.status_code == 200, response.text
    claude = mock.wait_for(lambda r: r.model == "claude-think")
    gemini = mock.wait_for(lambda r: r.model == "gemini-think")
    mock.clear()
    assert claude.body["thinking"]["budget_tokens"] == 8192
    assert "thinkingConfig" in gemini.body["generationConfig"]


# ------------------------------------------------------------------ refusals


@pytest.mark.anyio
@pytest.mark.parametrize("field", ["api_base", "base_url", "api_url", "endpoint"])
async def test_a_body_that_steers_the_upstream_is_refused(mock: MockUpstream, field: str) -> None:
    body = chat_body("claude-plain", False) | {field: "http://evil.example"}
    async with proxy(settings_for(mock.base_url)) as (_, http):
        response = await http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == field
    assert not [r for r in mock.requests if r.model == "claude-plain"]


@pytest.mark.anyio
@pytest.mark.parametrize("client", list(CLIENTS))
async def test_an_unknown_model_is_a_400_model_not_found_in_the_callers_shape(
    mock: MockUpstream, client: WireFormat
) -> None:
    path, body = request_for(client, "claude", "x", stream=False)
    path = path.replace("claude-x", "nobody-serves-this")
    if "model" in body:
        body["model"] = "nobody-serves-this"
    async with proxy(settings_for(mock.base_url)) as (_, http):
        response = await http.post(path, json=body)
    assert response.status_code == 400
    _, message = error_of(client, response.json())
    assert "'nobody-serves-this'" in message
    assert "GET /v1/models" in message
    if client in (WireFormat.OPENAI_CHAT, WireFormat.OPENAI_RESPONSES):
        assert response.json()["error"]["code"] == "model_not_found"


@pytest.mark.anyio
async def test_input_only_the_clients_format_expresses_is_refused_elsewhere(
    mock: MockUpstream,
) -> None:
    body = {
        "model": "claude-plain",
        "input": [
            {"type": "item_reference", "id": "msg_earlier"},
            {"role": "user", "content": "hi"},
        ],
    }
    async with proxy(settings_for(mock.base_url)) as (_, http):
        response = await http.post("/v1/responses", json=body)
        assert response.status_code == 400, response.text
        assert "item_reference" in response.json()["error"]["message"]
        # the same input to a Responses upstream passes through
        response = await http.post("/v1/responses", json=body | {"model": "gpt-plain"})
        assert response.status_code == 200, response.text
    mock.clear()


# ------------------------------------------------------------------ upstream errors


@pytest.mark.anyio
@pytest.mark.parametrize(("client", "family"), PAIRS, ids=PAIR_IDS)
async def test_an_upstream_429_comes_back_in_the_callers_shape(
    mock: MockUpstream, client: WireFormat, family: str
) -> None:
    path, body = request_for(client, family, "error-429", stream=True)
    async with proxy(settings_for(mock.base_url)) as (app, http):
        response = await http.post(path, json=body)
        assert app.state.usage.requests == 0
    mock.clear()
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    kind, message = error_of(client, response.json())
    assert kind in ("rate_limit_error", "RESOURCE_EXHAUSTED", "rate_limit_exceeded")
    assert message
    assert response.headers.get("retry-after") == "1"


@pytest.fixture
async def leaky_upstream() -> AsyncIterator[str]:
    """An upstream whose errors quote the key it was sent."""

    async def handler(request: web.Request) -> web.StreamResponse:
        key = request.headers.get("x-api-key", "")
        body = {"type": "error", "error": {"type": "invalid_request_error", "message": key}}
        return web.json_response({**body, "note": f"key {key}"}, status=400)

    app = web.Application()
    app.router.add_post("/v1/messages", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.anyio
async def test_upstream_error_messages_are_masked(leaky_upstream: str, mock: MockUpstream) -> None:
    secret = "sk-ant-a-very-secret-upstream-key-0987654321"
    settings = settings_for(mock.base_url)
    entry = ProviderKeyEntry(api_key=secret, base_url=leaky_upstream)
    async with proxy(replace(settings, claude_api_key=(entry,))) as (_, http):
        response = await http.post("/v1/messages", json=anthropic_body("claude-x", False))
    assert response.status_code == 400
    assert secret not in response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


# ------------------------------------------------------------------ timeouts and failures


def short(base_url: str, **timeouts: float) -> Any:
    values = {"connect": 2.0, "first_byte": 5.0, "non_stream": 5.0, "idle": 5.0, **timeouts}
    return settings_for(base_url, upstream_timeouts=UpstreamTimeouts(**values))


@pytest.mark.anyio
@pytest.mark.parametrize("client", list(CLIENTS))
async def test_a_stalled_first_byte_is_a_504_in_the_callers_shape(
    mock: MockUpstream, client: WireFormat
) -> None:
    path, body = request_for(client, "claude", "slow-first-byte-3000", stream=True)
    started = time.monotonic()
    async with proxy(short(mock.base_url, first_byte=0.3)) as (_, http):
        response = await http.post(path, json=body)
    assert time.monotonic() - started < 2
    assert response.status_code == 504
    kind, message = error_of(client, response.json())
    assert "did not send its first byte within 0.3s" in message
    assert kind in ("timeout_error", "DEADLINE_EXCEEDED", "api_error", "server_error")
    mock.wait_for(lambda r: r.model.endswith("slow-first-byte-3000") and r.disconnected)
    mock.clear()


@pytest.mark.anyio
async def test_a_non_stream_request_gets_the_non_stream_timeout(mock: MockUpstream) -> None:
    async with proxy(short(mock.base_url, first_byte=0.1, non_stream=0.5)) as (_, http):
        ok = await http.post(
            "/v1/messages", json=anthropic_body("claude-slow-first-byte-200", False)
        )
        late = await http.post(
            "/v1/messages", json=anthropic_body("claude-slow-first-byte-3000", False)
        )
    mock.clear()
    assert ok.status_code == 200  # longer than first-byte: non-stream waits longer
    assert late.status_code == 504
    assert "did not send a response within 0.5s" in late.json()["error"]["message"]


# Every client once translated (from Claude) and once passed through.
SOME_PAIRS = [(c, "claude") for c in CLIENTS] + [
    (WireFormat.OPENAI_CHAT, "openai-compatible"),
    (WireFormat.OPENAI_RESPONSES, "codex"),
    (WireFormat.GEMINI, "gemini"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("client", "family"), SOME_PAIRS, ids=[f"{c}->{f}" for c, f in SOME_PAIRS])
async def test_a_silent_stream_gets_keep_alives_then_a_well_formed_timeout_end(
    mock: MockUpstream, client: WireFormat, family: str
) -> None:
    path, body = request_for(client, family, "stall", stream=True)
    settings = replace(short(mock.base_url, idle=0.45), stream_keepalive_seconds=0.1)
    async with proxy(settings) as (_, http):
        response = await http.post(path, json=body)
    mock.wait_for(lambda r: r.model.endswith("stall") and r.disconnected)
    mock.clear()
    assert response.status_code == 200
    raw = response.content
    keepalive = (
        b'event: ping\ndata: {"type": "ping"}\n\n'
        if client == WireFormat.ANTHROPIC
        else (b": keep-alive\n\n")
    )
    assert raw.count(keepalive) >= 2
    CHECK[client](raw)
    assert b"went silent mid-stream" in raw


@pytest.mark.anyio
@pytest.mark.parametrize("script", ["midstream-error", "reset"])
@pytest.mark.parametrize(("client", "family"), PAIRS, ids=PAIR_IDS)
async def test_an_upstream_failing_mid_stream_ends_the_client_stream_well_formed(
    mock: MockUpstream, client: WireFormat, family: str, script: str
) -> None:
    path, body = request_for(client, family, f"{script}-events-8", stream=True)
    async with proxy(settings_for(mock.base_url)) as (_, http):
        response = await http.post(path, json=body)
    mock.clear()
    assert response.status_code == 200
    CHECK[client](response.content)


# ------------------------------------------------------------------ disconnects


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("script", "stream"),
    [("stall", True), ("slow-first-byte-3000", True), ("slow-first-byte-3000", False)],
    ids=["mid-stream", "before-first-byte", "non-stream"],
)
async def test_a_client_that_leaves_cancels_the_upstream_request(
    mock: MockUpstream, script: str, stream: bool
) -> None:
    model = f"claude-{script}-{'s' if stream else 'n'}"
    async with proxy(settings_for(mock.base_url)) as (app, _):
        left = time.monotonic()
        exchange = await drive(app, "/v1/messages", anthropic_body(model, stream), leave_after=0.3)
        seen = mock.wait_for(lambda r: r.model == model and r.disconnected, timeout=2)
    mock.clear()
    assert seen.disconnected_at is not None
    assert seen.disconnected_at - left < 1.3
    if script == "stall":
        assert exchange.status == 200
        assert not exchange.ended  # nobody to end it for


# ------------------------------------------------------------------ usage


@pytest.mark.anyio
async def test_usage_is_recorded_per_requested_model_streamed_or_not(mock: MockUpstream) -> None:
    async with proxy(settings_for(mock.base_url)) as (app, http):
        for stream in (False, True):
            for client in CLIENTS:
                path, body = request_for(client, "codex", "cached-think", stream)
                response = await http.post(path, json=body)
                assert response.status_code == 200, response.text
        usage = app.state.usage.as_dict()
    mock.clear()
    row = usage["by_model"]["gpt-cached-think"]
    assert row["requests"] == 8
    assert row["input_tokens"] > 0
    assert row["output_tokens"] > 0
    assert row["cached_tokens"] > 0
    assert row["reasoning_tokens"] > 0


@pytest.mark.anyio
async def test_usage_of_a_chat_stream_that_did_not_ask_for_it(mock: MockUpstream) -> None:
    body = chat_body("oc/mock-plain", True)
    del body["stream_options"]
    async with proxy(settings_for(mock.base_url)) as (app, http):
        response = await http.post("/v1/chat/completions", json=body)
        assert response.status_code == 200
        assert "usage" not in [k for d in sse_data(response.content) for k in d if d[k]]
        assert app.state.usage.requests == 1


@pytest.mark.anyio
async def test_a_reasoning_signature_passes_through_byte_for_byte(mock: MockUpstream) -> None:
    async with proxy(settings_for(mock.base_url)) as (_, http):
        first = await http.post(
            "/v1/messages",
            json=anthropic_body("claude-tool-think", False)
            | {"tools": [{"name": "get_weather", "input_schema": {"type": "object"}}]},
        )
        content = first.json()["content"]
        call = next(b for b in content if b["type"] == "tool_use")
        second = await http.post(
            "/v1/messages",
            json=anthropic_body("claude-tool-think", False)
            | {
                "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}],
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": [
                            {"type": "tool_result", "tool_use_id": call["id"], "content": "sunny"}
                        ],
                    },
                ],
            },
        )
    assert second.status_code == 200, second.text
    assert text_of(WireFormat.ANTHROPIC, second.json()) == "tool said: sunny"
    echo = mock.wait_for(lambda r: bool(r.signature_echoes))
    mock.clear()
    assert [e.matched for e in echo.signature_echoes] == [True]
