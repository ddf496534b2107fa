"""daemon.dataplane.headers and `passthrough-headers`: the upstream's response headers reach the
client only when asked, never the hop-by-hop ones, the proxy's own or cookies (the real app
in-process, against a loopback upstream that sends headers worth passing on)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import orjson
import pytest
from aiohttp import web

from daemon.dataplane.headers import passed_through
from tests.unit.dataplane.support import drive, proxy, settings_for
from tests.unit.dataplane.test_pipeline import anthropic_body, chat_body

RATE = {"x-ratelimit-remaining-requests": "59", "x-request-id": "req_up_1"}
CHAT = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "mock-plain",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
CHUNKS = [
    {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "mock-plain",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"},
                  "finish_reason": None}]},
    {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "mock-plain",
     "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
]  # fmt: skip


def test_only_what_describes_the_answer_is_passed_on() -> None:
    upstream = [
        ("X-RateLimit-Remaining-Requests", "59"),
        ("openai-processing-ms", "120"),
        ("Content-Type", "application/json"),
        ("Content-Length", "99"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "keep-alive"),
        ("Set-Cookie", "__cf_bm=abc"),
        ("Date", "Sun, 22 Nov 2026 06:00:00 GMT"),
        ("Server", "cloudflare"),
        ("Cache-Control", "no-cache"),
    ]
    assert passed_through(upstream) == {
        "x-ratelimit-remaining-requests": "59",
        "openai-processing-ms": "120",
    }


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def upstream() -> AsyncIterator[str]:
    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        extra = {**RATE, "Set-Cookie": "session=upstream-only", "Connection": "keep-alive"}
        if not body.get("stream"):
            return web.json_response(CHAT, headers=extra)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", **extra})
        await response.prepare(request)
        for chunk in CHUNKS:
            await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("client", ["chat", "anthropic"], ids=["same-format", "translated"])
@pytest.mark.parametrize("on", [False, True], ids=["off", "on"])
async def test_passthrough_headers_on_and_off(
    upstream: str, stream: bool, client: str, on: bool
) -> None:
    settings = replace(settings_for(upstream), passthrough_headers=on)
    if client == "chat":
        path, body = "/v1/chat/completions", chat_body("oc/mock-plain", stream)
    else:
        path, body = "/v1/messages", anthropic_body("oc/mock-plain", stream)
    async with proxy(settings) as (app, _):
        exchange = await drive(app, path, body)
    assert exchange.status == 200 and exchange.ended
    headers = [(k.decode(), v.decode()) for k, v in exchange.messages[0]["headers"]]
    names = [k for k, _ in headers]
    for name, value in RATE.items():
        assert ((name, value) in headers) is on
    assert "set-cookie" not in names and "connection" not in names
    assert names.count("content-type") == 1 and names.count("x-cliproxy-model") == 1
