"""The data plane's behaviour through the real daemon with the official SDKs and raw HTTP:
reasoning signatures across formats, upstream errors, mid-stream failures, timeouts, client
disconnects, token counting, legacy completions, model lists, refusals and usage counters."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from tests.integration.dataplane_support import Daemon, mock, providers_config, start_daemon
from tests.support.mock_upstream import MockUpstream
from tests.support.mock_upstream.script import count_tokens as mock_count
from tests.unit.formats.anthropic.wellformed import check_stream as check_anthropic
from tests.unit.formats.gemini.wellformed import check_stream as check_gemini
from tests.unit.formats.openai_chat.wellformed import check_stream as check_chat
from tests.unit.formats.openai_responses.wellformed import check_stream as check_responses

pytestmark = pytest.mark.integration
__all__ = ["mock"]

FIRST_BYTE_TIMEOUT = 0.5
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, mock: MockUpstream) -> Iterator[Daemon]:
    # No model lists: the families serve claude-*, gemini-*, gpt-* as asked (the mock reads
    # its script from the name); the openai-compatible entry serves `oc/<anything>`.
    config = f"""max-body-size-mb = 1

[upstream-timeouts]
first-byte = {FIRST_BYTE_TIMEOUT}
idle = 10
{providers_config(mock.base_url, {})}"""
    yield from start_daemon(tmp_path_factory, config)


@pytest.fixture(autouse=True)
def fresh_mock(mock: MockUpstream) -> None:
    mock.clear()


# ------------------------------------------------------------------ raw requests per client API
# path, body and stream checker of each client API, for a model and streaming or not.


def _chat(model: str, stream: bool) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return "/v1/chat/completions", body


def _responses(model: str, stream: bool) -> tuple[str, dict[str, Any]]:
    return "/v1/responses", {"model": model, "input": "hi", "stream": stream}


def _messages(model: str, stream: bool) -> tuple[str, dict[str, Any]]:
    body = {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    return "/v1/messages", body | {"stream": stream}


def _gemini(model: str, stream: bool) -> tuple[str, dict[str, Any]]:
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/v1beta/models/{model}:{action}", {"contents": [{"parts": [{"text": "hi"}]}]}


RAW: dict[str, Callable[[str, bool], tuple[str, dict[str, Any]]]] = {
    "openai-chat": _chat,
    "openai-responses": _responses,
    "anthropic": _messages,
    "gemini": _gemini,
}
CHECK: dict[str, Callable[[bytes], None]] = {
    "openai-chat": check_chat,
    "openai-responses": check_responses,
    "anthropic": check_anthropic,
    "gemini": check_gemini,
}
# A model of the client's own format's family (pass-through) and of another (translated).
SAME = {
    "openai-chat": "oc/mock-{}",
    "openai-responses": "gpt-{}",
    "anthropic": "claude-{}",
    "gemini": "gemini-{}",
}
OTHER = {
    "openai-chat": "gemini-{}",
    "openai-responses": "claude-{}",
    "anthropic": "gpt-{}",
    "gemini": "oc/mock-{}",
}
ROUTES = [
    pytest.param(client, route, id=f"{client}-{name}")
    for client in RAW
    for name, route in (("same", SAME), ("translated", OTHER))
]


def error_shape(client: str, body: dict[str, Any]) -> tuple[str, str]:
    """(error type or status name, message) of an error body in the client's shape."""
    if client == "anthropic":
        assert body["type"] == "error" and set(body["error"]) == {"type", "message"}
        return body["error"]["type"], body["error"]["message"]
    if client == "gemini":
        assert isinstance(body["error"]["code"], int)
        return body["error"]["status"], body["error"]["message"]
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]["type"], body["error"]["message"]


# ------------------------------------------------------------------ reasoning signatures


def test_claude_code_turn_keeps_its_signature_byte_for_byte(
    daemon: Daemon, mock: MockUpstream
) -> None:
    """What Claude Code sends: POST /v1/messages?beta=true, streaming, a long anthropic-beta
    list, thinking with budget_tokens, cache_control on system, metadata.user_id,
    context_management; on the tool turn it sends the thinking block back with its signature."""
    betas = [
        "claude-code-20250219",
        "interleaved-thinking-2025-05-14",
        "context-management-2025-06-27",
    ]
    client = daemon.anthropic().with_options(
        default_headers={"user-agent": "claude-cli/2.0.31 (external, cli)"}
    )
    request: dict[str, Any] = {
        "model": "claude-tool-think",
        "max_tokens": 32000,
        "betas": betas,
        "thinking": {"type": "enabled", "budget_tokens": 4096},
        "system": [
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}
        ],
        "tools": [
            {"name": "Bash", "description": "Run a command", "input_schema": {"type": "object"}},
            {"name": "get_weather", "description": "Weather", "input_schema": SCHEMA},
        ],
        "metadata": {"user_id": "user_0123_account__session_4567"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    }
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    with client.beta.messages.stream(messages=messages, **request) as stream:
        first = stream.get_final_message()
    kinds = [block.type for block in first.content]
    assert kinds[0] == "thinking" and "tool_use" in kinds
    use = next(block for block in first.content if block.type == "tool_use")
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}],
        },
    ]
    with client.beta.messages.stream(messages=messages, **request) as stream:
        second = stream.get_final_message()
    assert "".join(b.text for b in second.content if b.type == "text") == "tool said: sunny"
    first_seen, second_seen = [r for r in mock.requests if r.path == "/v1/messages"]
    for seen in (first_seen, second_seen):
        assert seen.stream
        assert seen.headers["anthropic-beta"] == ",".join(betas)
        assert seen.body["thinking"] == {"type": "enabled", "budget_tokens": 4096}
        assert seen.body["system"][0]["cache_control"] == {"type": "ephemeral"}
        assert seen.body["metadata"] == request["metadata"]
        assert seen.body["context_management"] == request["context_management"]
    assert [e.matched for e in second_seen.signature_echoes] == [True]


def test_anthropic_client_keeps_a_gemini_signature(daemon: Daemon, mock: MockUpstream) -> None:
    client = daemon.anthropic()
    request: dict[str, Any] = {
        "model": "gemini-tool-think",
        "max_tokens": 4096,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [{"name": "get_weather", "input_schema": SCHEMA}],
    }
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    first = client.messages.create(messages=messages, **request)
    use = next(block for block in first.content if block.type == "tool_use")
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}],
        },
    ]
    with client.messages.stream(messages=messages, **request) as stream:
        second = stream.get_final_message()
    assert "".join(b.text for b in second.content if b.type == "text") == "tool said: sunny"
    seen = mock.wait_for(lambda r: bool(r.signature_echoes))
    assert seen.format == "gemini"
    assert seen.signature_echoes and all(e.matched for e in seen.signature_echoes)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_responses_client_keeps_an_anthropic_signature(
    daemon: Daemon, mock: MockUpstream, stream: bool
) -> None:
    """Codex-style: store false, encrypted reasoning asked for and sent back on the tool turn."""
    client = daemon.openai()
    request: dict[str, Any] = {
        "model": "claude-tool-think",
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "reasoning": {"effort": "medium", "summary": "auto"},
        "tools": [{"type": "function", "name": "get_weather", "parameters": SCHEMA}],
    }

    def ask(items: Any) -> Any:
        if not stream:
            return client.responses.create(input=items, **request)
        done = [
            e.response
            for e in client.responses.create(input=items, stream=True, **request)
            if e.type == "response.completed"
        ]
        return done[0]

    items: list[Any] = [{"role": "developer", "content": "Be brief."}]
    items.append({"role": "user", "content": "weather in Paris?"})
    first = ask(items)
    kinds = [item.type for item in first.output]
    assert kinds[0] == "reasoning" and "function_call" in kinds
    assert first.output[0].encrypted_content
    call = next(item for item in first.output if item.type == "function_call")
    items += [item.model_dump(exclude_none=True) for item in first.output]
    items.append({"type": "function_call_output", "call_id": call.call_id, "output": "sunny"})
    second = ask(items)
    assert second.output_text == "tool said: sunny"
    seen = mock.wait_for(lambda r: bool(r.signature_echoes))
    assert seen.format == "anthropic"
    assert [e.matched for e in seen.signature_echoes] == [True]


# ------------------------------------------------------------------ upstream errors


@pytest.mark.parametrize("status", [429, 401, 500])
@pytest.mark.parametrize("client", list(RAW))
def test_upstream_errors_come_back_in_the_callers_shape(
    daemon: Daemon, client: str, status: int
) -> None:
    model = OTHER[client].format(f"error-{status}")
    if client == "openai-chat":
        with pytest.raises(openai.APIStatusError) as caught:
            daemon.openai().chat.completions.create(
                model=model, messages=[{"role": "user", "content": "hi"}]
            )
        assert caught.value.status_code == status
        assert isinstance(caught.value.body, dict) and caught.value.body["message"]
    elif client == "openai-responses":
        with pytest.raises(openai.APIStatusError) as caught_r:
            daemon.openai().responses.create(model=model, input="hi")
        assert caught_r.value.status_code == status
    elif client == "anthropic":
        with pytest.raises(anthropic.APIStatusError) as caught_a:
            daemon.anthropic().messages.create(
                model=model, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
        assert caught_a.value.status_code == status
        body: Any = caught_a.value.body
        assert body["type"] == "error"
    else:
        gemini_client = daemon.genai()  # (the client closes itself when collected)
        with pytest.raises(genai_errors.APIError) as caught_g:
            gemini_client.models.generate_content(model=model, contents="hi")
        assert caught_g.value.code == status
        expected = {429: "RESOURCE_EXHAUSTED", 401: "UNAUTHENTICATED", 500: "INTERNAL"}
        assert caught_g.value.status == expected[status]
    if status == 429:  # the upstream's reset hint comes along
        path, raw_body = RAW[client](model, False)
        with daemon.http() as http:
            response = http.post(path, json=raw_body)
        assert response.status_code == 429
        assert response.headers.get("retry-after") == "1"
        error_shape(client, response.json())


# ------------------------------------------------------------------ failures mid-stream


@pytest.mark.parametrize(("client", "route"), ROUTES)
def test_a_midstream_error_ends_the_client_stream_well_formed(
    daemon: Daemon, client: str, route: dict[str, str]
) -> None:
    path, body = RAW[client](route[client].format("midstream-error-events-6"), True)
    with daemon.http() as http:
        response = http.post(path, json=body)
    assert response.status_code == 200
    CHECK[client](response.content)


@pytest.mark.parametrize("client", list(RAW))
def test_a_stalled_first_byte_is_a_timeout_in_the_callers_shape(
    daemon: Daemon, mock: MockUpstream, client: str
) -> None:
    model = OTHER[client].format("slow-first-byte-5000")
    path, body = RAW[client](model, True)
    started = time.monotonic()
    with daemon.http() as http:
        response = http.post(path, json=body)
    assert time.monotonic() - started < FIRST_BYTE_TIMEOUT + 1.5
    assert response.status_code == 504
    kind, message = error_shape(client, response.json())
    assert kind in ("timeout_error", "DEADLINE_EXCEEDED", "api_error", "server_error")
    assert f"first byte within {FIRST_BYTE_TIMEOUT:g}s" in message
    # and the upstream request was let go, not left running
    mock.wait_for(lambda r: r.model.endswith("slow-first-byte-5000") and r.disconnected, 1.5)


@pytest.mark.parametrize(("client", "route"), ROUTES)
def test_a_client_that_drops_mid_stream_closes_the_upstream_connection(
    daemon: Daemon, mock: MockUpstream, client: str, route: dict[str, str]
) -> None:
    model = route[client].format("stall")
    path, body = RAW[client](model, True)
    with daemon.http() as http, http.stream("POST", path, json=body) as response:
        assert response.status_code == 200  # the stream is live, its first event sent
        mock.wait_for(lambda r: r.events_sent >= 1)
        time.sleep(0.1)
        assert not mock.requests[0].disconnected
        dropped = time.monotonic()  # leaving the block drops the connection
    seen = mock.wait_for(lambda r: r.disconnected, timeout=1.0)
    assert seen.disconnected_at is not None and seen.disconnected_at - dropped < 1.0


# ------------------------------------------------------------------ token counting


def test_anthropic_count_tokens_asks_a_claude_upstream(daemon: Daemon, mock: MockUpstream) -> None:
    counted = daemon.anthropic().messages.count_tokens(
        model="claude-count",
        messages=[{"role": "user", "content": "hello there, how are you?"}],
        system="Be brief.",
    )
    seen = mock.wait_for(lambda r: r.path == "/v1/messages/count_tokens")
    assert seen.body["model"] == "claude-count"
    assert counted.input_tokens == mock_count(seen.body)


def test_anthropic_count_tokens_estimates_for_an_openai_compatible_upstream(
    daemon: Daemon, mock: MockUpstream
) -> None:
    counted = daemon.anthropic().messages.count_tokens(
        model="oc/mock-count", messages=[{"role": "user", "content": "x" * 400}]
    )
    assert counted.input_tokens == 4 + 100  # framing + 400 characters / 4
    assert not mock.requests


def test_gemini_count_tokens_asks_a_gemini_upstream(daemon: Daemon, mock: MockUpstream) -> None:
    client = daemon.genai()
    counted = client.models.count_tokens(model="gemini-count", contents="hello there")
    seen = mock.wait_for(lambda r: r.path.endswith(":countTokens"))
    assert seen.path == "/v1beta/models/gemini-count:countTokens"
    assert counted.total_tokens == mock_count(seen.body["generateContentRequest"])


# ------------------------------------------------------------------ legacy completions


def test_legacy_completions_whole_and_streamed(daemon: Daemon) -> None:
    client = daemon.openai()
    whole = client.completions.create(model="claude-legacy", prompt="Say hi", max_tokens=20)
    assert whole.object == "text_completion"
    assert whole.choices[0].text == "echo: Say hi"
    assert whole.usage is not None and whole.usage.total_tokens > 0
    text = "".join(
        chunk.choices[0].text
        for chunk in client.completions.create(model="oc/mock-legacy", prompt="Say hi", stream=True)
        if chunk.choices
    )
    assert text == "echo: Say hi"


# ------------------------------------------------------------------ model lists


def test_models_in_openai_shape(daemon: Daemon) -> None:
    ids = [m.id for m in daemon.openai().models.list()]
    assert {"claude-sonnet-4-6", "gemini-2.5-pro", "gpt-5"} <= set(ids)
    assert daemon.openai().models.retrieve("gpt-5").owned_by == "codex"


def test_models_in_anthropic_shape(daemon: Daemon) -> None:
    page = daemon.anthropic().models.list()
    assert "claude-sonnet-4-6" in [m.id for m in page.data]
    assert all(m.type == "model" for m in page.data)


def test_models_in_gemini_shape(daemon: Daemon) -> None:
    client = daemon.genai()
    names = [m.name for m in client.models.list()]
    assert "models/gemini-2.5-pro" in names
    model = client.models.get(model="gemini-2.5-pro")
    assert model.name == "models/gemini-2.5-pro"


# ------------------------------------------------------------------ refusals


def test_an_unknown_model_is_a_400_model_not_found_in_each_shape(daemon: Daemon) -> None:
    with pytest.raises(openai.BadRequestError) as chat:
        daemon.openai().chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "hi"}]
        )
    assert chat.value.code == "model_not_found"
    assert "'no-such-model'" in chat.value.message
    with pytest.raises(openai.BadRequestError) as responses:
        daemon.openai().responses.create(model="no-such-model", input="hi")
    assert responses.value.code == "model_not_found"
    with pytest.raises(anthropic.BadRequestError) as messages:
        daemon.anthropic().messages.create(
            model="no-such-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    body: Any = messages.value.body
    assert body["error"]["type"] == "invalid_request_error"
    assert "'no-such-model'" in body["error"]["message"]
    client = daemon.genai()
    with pytest.raises(genai_errors.ClientError) as gemini:
        client.models.generate_content(model="no-such-model", contents="hi")
    assert gemini.value.code == 400
    assert gemini.value.status == "INVALID_ARGUMENT"
    assert "'no-such-model'" in (gemini.value.message or "")


@pytest.mark.parametrize("field", ["api_base", "base_url"])
def test_a_body_that_steers_the_upstream_is_refused(
    daemon: Daemon, mock: MockUpstream, field: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        daemon.openai().chat.completions.create(
            model="claude-steer",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={field: "http://attacker.example/v1"},
        )
    assert caught.value.param == field
    assert not mock.requests


@pytest.mark.parametrize("client", list(RAW))
def test_a_body_over_max_body_size_is_a_413_in_the_callers_shape(
    daemon: Daemon, mock: MockUpstream, client: str
) -> None:
    path, body = RAW[client](SAME[client].format("big"), False)
    body["padding"] = "x" * (1024 * 1024 + 10)
    with daemon.http() as http:
        response = http.post(path, json=body)
    assert response.status_code == 413
    _, message = error_shape(client, response.json())
    assert "1 MiB" in message
    assert not mock.requests


# ------------------------------------------------------------------ usage


def test_usage_of_every_request_shows_in_the_control_status(daemon: Daemon) -> None:
    model = "gpt-usage-cached-think"  # (Anthropic reports no reasoning tokens)
    before = daemon.status()["usage"]["by_model"].get(model, {}).get("requests", 0)
    client_genai = daemon.genai()
    chat = daemon.openai().chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}]
    )
    assert chat.usage is not None
    events = list(daemon.openai().responses.create(model=model, input="hi", stream=True))
    assert events[-1].type == "response.completed"
    with daemon.anthropic().messages.stream(
        model=model, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        stream.get_final_message()
    list(client_genai.models.generate_content_stream(model=model, contents="hi"))
    config = genai_types.GenerateContentConfig(max_output_tokens=64)
    client_genai.models.generate_content(model=model, contents="hi", config=config)
    usage = daemon.status()["usage"]
    row = usage["by_model"][model]
    assert row["requests"] - before == 5
    assert row["input_tokens"] > 0 and row["output_tokens"] > 0
    assert row["cached_tokens"] > 0
    assert row["reasoning_tokens"] > 0
    assert usage["requests"] >= row["requests"]
    assert daemon.status()["requests"]["by_status"].get("2xx", 0) >= 5
    shown = daemon.box.cli("status")
    assert shown.returncode == 0, shown.stderr
    tokens = next(line for line in shown.stdout.splitlines() if line.startswith("tokens"))
    counted = re.match(r"tokens\s+([\d,]+) in \(([\d,]+) cached\), ([\d,]+) out", tokens)
    assert counted is not None, tokens
    assert all(int(n.replace(",", "")) > 0 for n in counted.groups())
