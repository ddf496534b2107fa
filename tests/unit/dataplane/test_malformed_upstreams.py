"""An upstream that answers 200 with anything at all: the client gets the answer (passed
through, or translated) or a 502 in its own shape, and its stream always ends (daemon.dataplane
through the real app in-process, against a loopback upstream that sends what the test draws).

Found this way: a malformed non-stream answer reached the client as a 400 "response: must be
an object" blaming the client; a pass-through stream ending on a Responses or Anthropic event
whose data was not an object crashed while writing the stream's tail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.app import ProxyApp, build_app
from daemon.model import WireFormat
from tests.unit.dataplane.support import drive, running, settings_for
from tests.unit.dataplane.test_pipeline import FAMILY_FORMAT, PAIRS, request_for

KEYS = [
    "id", "object", "choices", "message", "delta", "content", "role", "type", "text",
    "tool_calls", "function", "name", "arguments", "index", "finish_reason", "usage",
    "candidates", "parts", "functionCall", "args", "finishReason", "usageMetadata", "output",
    "status", "response", "item", "output_index", "content_index", "input_tokens",
    "output_tokens", "stop_reason", "model", "error", "content_block", "partial_json",
    "thinking", "signature", "input", "sequence_number", "item_id", "call_id", "part",
]  # fmt: skip
EVENTS = [
    "message_start", "content_block_start", "content_block_delta", "content_block_stop",
    "message_delta", "message_stop", "error", "ping", "response.created",
    "response.in_progress", "response.output_item.added", "response.output_text.delta",
    "response.content_part.added", "response.function_call_arguments.delta",
    "response.output_item.done", "response.completed", "response.failed",
]  # fmt: skip
WORDS = [*EVENTS, "message", "assistant", "model", "text", "tool_use", "function_call",
         "reasoning", "output_text", "STOP", "stop", "tool_calls", "end_turn", ""]  # fmt: skip

json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(-5, 5), st.floats(-2, 2), st.sampled_from(WORDS)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)
    ),
    max_leaves=30,
)
event_data = st.one_of(
    json_values.map(lambda value: orjson.dumps(value).decode()),
    st.sampled_from(["[DONE]", "{", "not json"]),
)
events = st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(EVENTS)), event_data), max_size=6)


@dataclass
class Answer:
    """What the upstream sends next: a whole JSON body, or these SSE events."""

    body: bytes = b"{}"
    events: list[tuple[str | None, str]] | None = None


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[asyncio.AbstractEventLoop, ProxyApp, Answer]]:
    loop = asyncio.new_event_loop()
    answer = Answer()

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        if answer.events is None:
            return web.Response(body=answer.body, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for name, data in answer.events:
            head = f"event: {name}\n" if name else ""
            await response.write(f"{head}data: {data}\n\n".encode())
        await response.write_eof()
        return response

    async def start() -> tuple[web.AppRunner, ProxyApp, Any]:
        upstream = web.Application()
        upstream.router.add_route("POST", "/{tail:.*}", handler)
        runner = web.AppRunner(upstream)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        context = running(build_app(settings_for(f"http://127.0.0.1:{port}")))
        return runner, await context.__aenter__(), context

    runner, app, context = loop.run_until_complete(start())
    try:
        yield loop, app, answer
    finally:
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.run_until_complete(runner.cleanup())
        loop.close()


def _error_in_shape(client: WireFormat, body: bytes) -> str:
    parsed = orjson.loads(body)
    if client == WireFormat.ANTHROPIC:
        assert parsed["type"] == "error"
        return str(parsed["error"]["type"])
    if client == WireFormat.GEMINI:
        return str(parsed["error"]["status"])
    return str(parsed["error"]["type"])


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pair=st.sampled_from(PAIRS),
    body=json_values.map(orjson.dumps),
    stream_events=st.one_of(st.none(), events),
)
def test_whatever_the_upstream_answers_the_client_gets_an_answer_or_a_502(
    setup: tuple[asyncio.AbstractEventLoop, ProxyApp, Answer],
    pair: tuple[WireFormat, str],
    body: bytes,
    stream_events: list[tuple[str | None, str]] | None,
) -> None:
    loop, app, answer = setup
    client, family = pair
    answer.body, answer.events = body, stream_events
    path, request = request_for(client, family, "plain", stream=stream_events is not None)
    exchange = loop.run_until_complete(drive(app, path, request, limit=10))
    assert exchange.ended
    assert exchange.status in (200, 502), exchange.body[:300]
    if exchange.status == 502:
        kind = _error_in_shape(client, exchange.body)
        assert kind in ("api_error", "server_error", "UNAVAILABLE", "bad_gateway"), kind
    elif stream_events is None and FAMILY_FORMAT[family] == client:
        assert exchange.body == body  # same format: passed on as sent (no model to rename)
