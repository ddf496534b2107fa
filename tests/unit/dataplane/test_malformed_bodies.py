"""Any JSON body on any generation route gets an answer in the caller's shape, never a 5xx
(daemon.dataplane through the real app in-process, against the mock upstream).

Bodies are drawn from the four APIs' own vocabulary (roles, part types, tool fields) put
together at random, so most are wrong in the ways a buggy client is: a role that is a list,
a tool call without a name, contents that are a string. The proxy must refuse them with a 4xx
naming the field, or serve them, and must not crash in a codec. (Found this way: a chat
message whose role was a list raised TypeError in the codec.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.app import ProxyApp, build_app
from tests.support.mock_upstream import MockUpstream
from tests.unit.dataplane.support import drive, mock, running, settings_for

__all__ = ["mock"]

ROUTES = {
    "/v1/chat/completions": "openai",
    "/v1/responses": "openai",
    "/v1/completions": "openai",
    "/v1/messages": "anthropic",
    "/v1/messages/count_tokens": "anthropic",
    "/v1beta/models/gemini-plain:generateContent": "gemini",
    "/v1beta/models/gemini-plain:streamGenerateContent?alt=sse": "gemini",
    "/v1beta/models/gemini-plain:countTokens": "gemini",
}
# Every family behind every client format: same-format and translated paths both.
MODELS = ["oc/mock-plain", "oc/mock-tool", "claude-think", "gemini-plain", "gpt-tool"]
KEYS = [
    "role", "content", "type", "text", "messages", "input", "contents", "parts", "tools",
    "tool_calls", "function", "name", "arguments", "id", "tool_call_id", "tool_use_id",
    "functionCall", "functionResponse", "args", "response", "image_url", "url", "source",
    "data", "media_type", "thinking", "signature", "max_tokens", "stream", "system",
    "instructions", "tool_choice", "parameters", "input_schema", "call_id", "output",
    "temperature", "stop", "n", "generationConfig", "thinkingConfig", "systemInstruction",
    "reasoning", "effort", "budget_tokens", "response_format", "json_schema", "schema",
    "prompt", "metadata", "inlineData", "mimeType", "fileData", "cache_control", "items",
    "properties", "enum", "anyOf", "required", "format", "summary", "encrypted_content",
]  # fmt: skip
WORDS = [
    "user", "assistant", "system", "developer", "tool", "model", "function", "text",
    "image", "image_url", "input_text", "output_text", "message", "function_call",
    "function_call_output", "tool_use", "tool_result", "thinking", "reasoning", "auto",
    "none", "required", "any", "object", "string", "data:image/png;base64,AAAA", "",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(WORDS),
    st.text(max_size=8),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=25,
)


values = st.one_of(st.sampled_from(WORDS), json_values)
# A message, item, content or part: the fields such things have, each present or not, each
# the right kind of value or any other.
# The fields that say what a thing is ("role", "type") are where codecs branch: often a
# known word, as often something that is not a string at all.
kinds = st.one_of(
    st.sampled_from(WORDS),
    st.lists(scalars, max_size=2),
    st.dictionaries(st.sampled_from(KEYS), scalars, max_size=2),
)
items = st.fixed_dictionaries(
    {}, optional={key: kinds if key in ("role", "type") else values for key in KEYS[:27]}
)
item_lists = st.lists(st.one_of(items, json_values), max_size=3)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"model": st.sampled_from(MODELS)},
        optional={
            "messages": item_lists,
            "input": st.one_of(item_lists, values),
            "contents": item_lists,
            "system": st.one_of(item_lists, values),
            "tools": st.lists(
                st.one_of(items, st.fixed_dictionaries({"function": items})), max_size=2
            ),
            "tool_choice": st.one_of(items, values),
            "max_tokens": values,
            "prompt": values,
            "generationConfig": st.one_of(items, values),
        },
    ),
)


@pytest.fixture(scope="module")
def app(mock: MockUpstream) -> Iterator[tuple[asyncio.AbstractEventLoop, ProxyApp]]:
    loop = asyncio.new_event_loop()
    context = running(build_app(settings_for(mock.base_url)))
    served = loop.run_until_complete(context.__aenter__())
    try:
        yield loop, served
    finally:
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.close()
        mock.clear()


def _error_in_shape(api: str, body: bytes) -> bool:
    parsed = orjson.loads(body)
    if api == "anthropic":
        return parsed["type"] == "error" and bool(parsed["error"]["message"])
    if api == "gemini":
        return bool(parsed["error"]["status"]) and bool(parsed["error"]["message"])
    return bool(parsed["error"]["message"])


@pytest.mark.parametrize("path", sorted(ROUTES))
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, stream=st.booleans())
def test_any_body_gets_a_4xx_in_the_callers_shape_or_an_answer(
    app: tuple[asyncio.AbstractEventLoop, ProxyApp], path: str, body: Any, stream: bool
) -> None:
    loop, served = app
    if stream and isinstance(body, dict):
        body["stream"] = True
    exchange = loop.run_until_complete(drive(served, path, body, limit=10))
    assert exchange.ended
    assert exchange.status < 500, exchange.body[:500]
    if exchange.status >= 400:
        assert _error_in_shape(ROUTES[path], exchange.body), exchange.body[:500]
