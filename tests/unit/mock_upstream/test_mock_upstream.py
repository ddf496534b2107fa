"""The mock upstreams speak the real wire formats: the official SDKs parse everything they send."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from tests.support.mock_upstream import DEFAULT_KEY, MockUpstream, parse_script, run_mock

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"location": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["days", "location"],
}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockUpstream]:
    with run_mock() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(mock: MockUpstream) -> None:
    mock.clear()


@pytest.fixture
def oai(mock: MockUpstream) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=mock.base_url + "/v1", api_key=DEFAULT_KEY, max_retries=0) as c:
        yield c


@pytest.fixture
def claude(mock: MockUpstream) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=mock.base_url, api_key=DEFAULT_KEY, max_retries=0) as c:
        yield c


def gemini_client(mock: MockUpstream, key: str = DEFAULT_KEY) -> genai.Client:
    options = types.HttpOptions(
        base_url=mock.base_url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    return genai.Client(api_key=key, http_options=options)


@pytest.fixture
def gem(mock: MockUpstream) -> Iterator[genai.Client]:
    client = gemini_client(mock)
    yield client
    client.close()


def test_model_names_script_the_behaviour() -> None:
    script = parse_script("x-Tool-think-cached-slow-first-byte-250-events-20-error-429")
    assert (script.tool, script.think, script.cached) == (True, True, True)
    assert (script.slow_first_byte_ms, script.events, script.error_status) == (250, 20, 429)
    plain = parse_script("gpt-midstream-error")
    assert plain.midstream_error and plain.error_status == 0


# ---- OpenAI Chat Completions --------------------------------------------------------------


def test_chat_non_stream_echoes_with_cached_usage(mock: MockUpstream, oai: openai.OpenAI) -> None:
    reply = oai.chat.completions.create(
        model="gpt-cached", messages=[{"role": "user", "content": "hello there"}]
    )
    assert reply.choices[0].message.content == "echo: hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage and reply.usage.prompt_tokens > 0
    assert reply.usage.prompt_tokens_details and reply.usage.prompt_tokens_details.cached_tokens
    record = mock.requests[-1]
    assert record.headers["authorization"] == f"Bearer {DEFAULT_KEY}"
    assert record.body["model"] == "gpt-cached" and record.finished and not record.disconnected


def test_chat_stream_events_and_final_usage(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="gpt-events-20",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    deltas = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(deltas) == 20 and "".join(deltas).startswith("echo: hi")
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage and chunks[-1].usage.completion_tokens


def test_chat_tool_round_trip_with_fragmented_arguments(oai: openai.OpenAI) -> None:
    tools: Any = [
        {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}}
    ]
    messages: Any = [{"role": "user", "content": "weather?"}]
    stream = oai.chat.completions.create(
        model="gpt-tool-think", messages=messages, tools=tools, stream=True
    )
    calls: dict[int, dict[str, str]] = {}
    fragments, reasoning, finish = 0, "", None
    for chunk in stream:
        delta = chunk.choices[0].delta
        reasoning += getattr(delta, "reasoning_content", None) or ""
        finish = chunk.choices[0].finish_reason or finish
        for piece in delta.tool_calls or []:
            entry = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] = piece.id or entry["id"]
            if piece.function:
                entry["name"] = piece.function.name or entry["name"]
                entry["arguments"] += piece.function.arguments or ""
                fragments += bool(piece.function.arguments)
    assert finish == "tool_calls" and reasoning.startswith("Considering: weather?")
    assert fragments >= 2 and list(calls) == [0]
    call = calls[0]
    assert call["name"] == "get_weather" and call["arguments"] == '{"location":"Paris"}'
    messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
    ]
    reply = oai.chat.completions.create(model="gpt-tool", messages=messages, tools=tools)
    assert reply.choices[0].message.content == "tool said: sunny"


def test_chat_errors(mock: MockUpstream, oai: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as limited:
        oai.chat.completions.create(
            model="gpt-error-429", messages=[{"role": "user", "content": "x"}]
        )
    headers = limited.value.response.headers
    assert headers["retry-after"] == "1" and headers["x-ratelimit-reset-requests"] == "1s"
    assert limited.value.code == "rate_limit_exceeded"
    with (
        openai.OpenAI(
            base_url=mock.base_url + "/v1", api_key="sk-wrong-key-123", max_retries=0
        ) as bad,
        pytest.raises(openai.AuthenticationError) as denied,
    ):
        bad.models.list()
    assert denied.value.code == "invalid_api_key"
    with pytest.raises(openai.APIError, match="server had an error"):
        list(
            oai.chat.completions.create(
                model="gpt-midstream-error",
                messages=[{"role": "user", "content": "x"}],
                stream=True,
            )
        )
    assert "gpt-mock" in [m.id for m in oai.models.list()]


def test_a_reasoning_model_refuses_max_tokens_as_openai_does(oai: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "x"}]
    with pytest.raises(openai.BadRequestError) as refused:
        oai.chat.completions.create(model="o-no-max-tokens", messages=messages, max_tokens=9)
    assert refused.value.code == "unsupported_parameter"
    assert "max_completion_tokens" in refused.value.message
    answer = oai.chat.completions.create(
        model="o-no-max-tokens", messages=messages, max_completion_tokens=9
    )
    assert answer.choices[0].message.content == "echo: x"


# ---- OpenAI Responses -----------------------------------------------------------------------


def test_responses_non_stream_and_stream(oai: openai.OpenAI) -> None:
    reply = oai.responses.create(model="gpt-cached", input="hello")
    assert reply.output_text == "echo: hello" and reply.status == "completed"
    assert reply.usage and reply.usage.input_tokens_details.cached_tokens > 0
    events = list(oai.responses.create(model="gpt-mock", input="hello", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-1] == "response.completed" and "response.content_part.added" in kinds
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "echo: hello"


def test_responses_tool_round_trip_records_reasoning_echo(
    mock: MockUpstream, oai: openai.OpenAI
) -> None:
    tools: Any = [{"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA}]
    with oai.responses.stream(
        model="gpt-tool-think",
        input="weather?",
        tools=tools,
        include=["reasoning.encrypted_content"],
    ) as stream:
        kinds = [event.type for event in stream]
        first = stream.get_final_response()
    assert "response.function_call_arguments.delta" in kinds
    assert "response.reasoning_summary_text.delta" in kinds
    reasoning, call = first.output
    assert reasoning.type == "reasoning" and reasoning.encrypted_content
    assert reasoning.encrypted_content.startswith("enc-")
    assert call.type == "function_call" and call.arguments == '{"location":"Paris"}'
    history: Any = [
        {"role": "user", "content": "weather?"},
        reasoning.model_dump(exclude_none=True),
        call.model_dump(exclude_none=True),
        {"type": "function_call_output", "call_id": call.call_id, "output": "rainy"},
    ]
    second = oai.responses.create(model="gpt-tool", input=history, tools=tools)
    assert second.output_text == "tool said: rainy"
    assert [(e.signature, e.matched) for e in mock.signature_echoes] == [
        (reasoning.encrypted_content, True)
    ]
    history[1]["encrypted_content"] += "x"
    oai.responses.create(model="gpt-tool", input=history, tools=tools)
    assert mock.requests[-1].signature_echoes[0].matched is False


def test_responses_midstream_failure(oai: openai.OpenAI) -> None:
    events = list(oai.responses.create(model="gpt-midstream-error", input="x", stream=True))
    assert events[-1].type == "response.failed"
    assert events[-1].response.error and events[-1].response.error.code == "server_error"


# ---- Anthropic Messages ---------------------------------------------------------------------


def test_anthropic_non_stream_and_count_tokens(claude: anthropic.Anthropic) -> None:
    messages: Any = [{"role": "user", "content": "hello"}]
    reply = claude.messages.create(model="claude-mock", max_tokens=64, messages=messages)
    assert reply.content[0].type == "text" and reply.content[0].text == "echo: hello"
    assert reply.stop_reason == "end_turn"
    counted = claude.messages.count_tokens(model="claude-mock", messages=messages)
    assert counted.input_tokens == reply.usage.input_tokens
    cached = claude.messages.create(model="claude-cached", max_tokens=64, messages=messages)
    assert cached.usage.cache_read_input_tokens


def test_anthropic_stream_thinking_tool_round_trip(
    mock: MockUpstream, claude: anthropic.Anthropic
) -> None:
    tools: Any = [{"name": "get_weather", "description": "w", "input_schema": WEATHER_SCHEMA}]
    messages: Any = [{"role": "user", "content": "weather?"}]
    with claude.messages.stream(
        model="claude-tool-think",
        max_tokens=256,
        messages=messages,
        tools=tools,
        thinking={"type": "enabled", "budget_tokens": 1024},
    ) as stream:
        kinds = [event.type for event in stream]
        first = stream.get_final_message()
    assert {"message_start", "content_block_delta", "message_delta", "message_stop"} <= set(kinds)
    assert {"signature", "input_json"} <= set(kinds)  # the SDK's own view of the deltas
    thinking, tool_use = first.content
    assert thinking.type == "thinking" and thinking.signature.startswith("sig-")
    assert tool_use.type == "tool_use" and tool_use.input == {"location": "Paris"}
    assert first.stop_reason == "tool_use"
    messages += [
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "windy"}],
        },
    ]
    second = claude.messages.create(
        model="claude-tool", max_tokens=64, messages=messages, tools=tools
    )
    assert second.content[0].type == "text" and second.content[0].text == "tool said: windy"
    assert [(e.signature, e.matched) for e in mock.signature_echoes] == [(thinking.signature, True)]
    messages[1]["content"][0]["thinking"] += " (edited)"
    claude.messages.create(model="claude-tool", max_tokens=64, messages=messages, tools=tools)
    assert mock.requests[-1].signature_echoes[0].matched is False


def test_anthropic_errors(mock: MockUpstream, claude: anthropic.Anthropic) -> None:
    messages: Any = [{"role": "user", "content": "x"}]
    with pytest.raises(anthropic.RateLimitError) as limited:
        claude.messages.create(model="claude-error-429", max_tokens=8, messages=messages)
    assert limited.value.response.headers["anthropic-ratelimit-requests-reset"].endswith("Z")
    assert limited.value.response.headers["retry-after"] == "1"
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        claude.messages.create(model="claude-error-529", max_tokens=8, messages=messages)
    assert overloaded.value.status_code == 529
    bad = anthropic.Anthropic(base_url=mock.base_url, api_key="wrong", max_retries=0)
    with bad, pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="claude-mock", max_tokens=8, messages=messages)
    with (
        pytest.raises(anthropic.APIStatusError, match="Overloaded"),
        claude.messages.stream(
            model="claude-midstream-error", max_tokens=8, messages=messages
        ) as s,
    ):
        list(s)
    raw = httpx.post(mock.base_url + "/v1/messages", headers={"x-api-key": DEFAULT_KEY}, json={})
    assert raw.status_code == 400 and "anthropic-version" in raw.json()["error"]["message"]


# ---- Gemini -----------------------------------------------------------------------------------


def test_gemini_non_stream_stream_and_count(gem: genai.Client) -> None:
    reply = gem.models.generate_content(model="gemini-cached", contents="hello")
    assert reply.text == "echo: hello"
    assert reply.usage_metadata and reply.usage_metadata.cached_content_token_count
    chunks = list(gem.models.generate_content_stream(model="gemini-events-20", contents="hi"))
    assert len(chunks) == 20 and "".join(c.text or "" for c in chunks).startswith("echo: hi")
    assert (
        chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    )
    counted = gem.models.count_tokens(model="gemini-mock", contents="hello")
    assert counted.total_tokens and counted.total_tokens > 0
    assert "models/gemini-mock" in [m.name for m in gem.models.list()]


def test_gemini_tool_round_trip_with_thought_signature(
    mock: MockUpstream, gem: genai.Client
) -> None:
    declaration = types.FunctionDeclaration(
        name="get_weather", parameters_json_schema=WEATHER_SCHEMA
    )
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[declaration])],
        thinking_config=types.ThinkingConfig(include_thoughts=True),
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    user = types.Content(role="user", parts=[types.Part(text="weather?")])
    chunks = list(
        gem.models.generate_content_stream(
            model="gemini-tool-think", contents=[user], config=config
        )
    )
    parts = [
        p
        for c in chunks
        if c.candidates and c.candidates[0].content
        for p in c.candidates[0].content.parts or []
    ]
    thoughts = [p for p in parts if p.thought]
    calls = [p for p in parts if p.function_call]
    assert thoughts and len(calls) == 1
    call = calls[0]
    assert (
        call.function_call
        and call.function_call.id
        and call.function_call.args == {"location": "Paris"}
    )
    assert call.thought_signature and call.thought_signature.startswith(b"tsig-")
    answer = types.Part.from_function_response(name="get_weather", response={"result": "foggy"})
    contents = [
        user,
        types.Content(role="model", parts=[call]),
        types.Content(role="user", parts=[answer]),
    ]
    reply = gem.models.generate_content(model="gemini-tool", contents=contents, config=config)
    assert reply.text == "tool said: foggy"
    echoed = base64.b64encode(call.thought_signature).decode()
    assert [(e.signature, e.matched) for e in mock.signature_echoes] == [(echoed, True)]


def test_gemini_errors(mock: MockUpstream, gem: genai.Client) -> None:
    with pytest.raises(genai_errors.ClientError) as limited:
        gem.models.generate_content(model="gemini-error-429", contents="x")
    assert limited.value.code == 429
    details = limited.value.details["error"]["details"]
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"} in details
    bad = gemini_client(mock, key="wrong")
    try:
        with pytest.raises(genai_errors.ClientError) as denied:
            bad.models.generate_content(model="gemini-mock", contents="x")
    finally:
        bad.close()
    assert denied.value.code == 401 and denied.value.status == "UNAUTHENTICATED"
    with pytest.raises(genai_errors.ServerError, match="INTERNAL"):
        list(gem.models.generate_content_stream(model="gemini-midstream-error", contents="x"))


def test_gemini_json_array_stream_and_midstream_error(mock: MockUpstream) -> None:
    url = mock.base_url + "/v1beta/models/gemini-midstream-error:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    raw = httpx.post(url, params={"key": DEFAULT_KEY}, json=body)
    items = raw.json()
    assert isinstance(items, list) and items[-1]["error"]["status"] == "INTERNAL"
    assert items[0]["candidates"][0]["content"]["parts"][0]["text"]
    sse = httpx.post(url, params={"key": DEFAULT_KEY, "alt": "sse"}, json=body)
    assert sse.headers["content-type"].startswith("text/event-stream")
    assert sse.text.rstrip().splitlines()[-1].startswith('data: {"error"')


# ---- transport behaviour -------------------------------------------------------------------


def test_stall_records_the_client_disconnect(mock: MockUpstream) -> None:
    headers = {"x-api-key": DEFAULT_KEY, "anthropic-version": "2023-06-01"}
    body = {
        "model": "claude-stall",
        "max_tokens": 8,
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
    url = mock.base_url + "/v1/messages"
    with (
        httpx.Client(timeout=httpx.Timeout(5, read=0.3)) as client,
        client.stream("POST", url, headers=headers, json=body) as response,
    ):
        lines = response.iter_lines()
        assert next(lines) == "event: message_start"
        with pytest.raises(httpx.ReadTimeout):
            list(lines)
    record = mock.wait_for(lambda r: r.disconnected, timeout=5)
    assert record.model == "claude-stall" and record.events_sent == 1 and not record.finished


def test_reset_and_slow_first_byte(mock: MockUpstream, oai: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "x"}]
    with pytest.raises(openai.APIConnectionError):
        list(oai.chat.completions.create(model="gpt-reset", messages=messages, stream=True))
    started = time.monotonic()
    oai.chat.completions.create(model="gpt-slow-first-byte-300", messages=messages)
    assert time.monotonic() - started >= 0.3


def test_command_line_serves_until_terminated() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.mock_upstream", "--port", "0", "--api-key", "k1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        reply = httpx.post(
            url + "/v1/chat/completions",
            headers={"Authorization": "Bearer k1"},
            json={"model": "m", "messages": [{"role": "user", "content": "ok"}]},
        )
        assert reply.json()["choices"][0]["message"]["content"] == "echo: ok"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        if proc.stdout is not None:
            proc.stdout.close()
