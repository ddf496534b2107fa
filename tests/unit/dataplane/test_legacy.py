"""daemon.dataplane.legacy: `/v1/completions` served through chat completions."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from daemon.asgi import Message
from daemon.dataplane.legacy import LegacySend, chat_body_from_legacy, completion_from_chat
from daemon.errors import InvalidRequest
from daemon.formats.sse import SSEParser, encode_event


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])


# ---------------------------------------------------------------- chat_body_from_legacy


def test_the_prompt_becomes_one_user_message_and_legacy_fields_go() -> None:
    body = {
        "model": "m",
        "prompt": "Say hi",
        "max_tokens": 7,
        "temperature": 0.5,
        "stream": True,
        "echo": False,
        "suffix": "x",
        "best_of": 1,
        "logprobs": 2,
    }
    assert chat_body_from_legacy(body) == {
        "model": "m",
        "max_tokens": 7,
        "temperature": 0.5,
        "stream": True,
        "messages": [{"role": "user", "content": "Say hi"}],
    }
    assert body["prompt"] == "Say hi"  # the caller's dict is untouched


def test_a_one_string_list_prompt_is_accepted() -> None:
    chat = chat_body_from_legacy({"model": "m", "prompt": ["only one"]})
    assert chat["messages"] == [{"role": "user", "content": "only one"}]


@pytest.mark.parametrize("prompt", [None, 5, ["a", "b"], [], [1], [[1, 2, 3]], {"text": "x"}])
def test_other_prompts_are_refused(prompt: Any) -> None:
    body: dict[str, Any] = {"model": "m"}
    if prompt is not None:
        body["prompt"] = prompt
    with pytest.raises(InvalidRequest) as caught:
        chat_body_from_legacy(body)
    assert caught.value.param == "prompt"


# ---------------------------------------------------------------- completion_from_chat

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 123,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


def test_a_whole_chat_completion_becomes_a_text_completion() -> None:
    assert completion_from_chat(CHAT, chunk=False) == {
        "id": "chatcmpl-1",
        "object": "text_completion",
        "created": 123,
        "model": "m",
        "choices": [{"text": "Hello", "index": 0, "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


def test_a_tool_call_only_message_gives_empty_text() -> None:
    chat = {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": []},
                "finish_reason": "tool_calls",
            }
        ]
    }
    out = completion_from_chat(chat, chunk=False)
    assert out["choices"][0]["text"] == ""
    assert out["usage"] is None  # a whole completion always has the key


def test_chunks_use_the_delta_and_carry_usage_only_when_present() -> None:
    chunk = {
        "id": "c",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "He"}, "finish_reason": None}],
    }
    out = completion_from_chat(chunk, chunk=True)
    assert out["choices"] == [{"text": "He", "index": 0, "logprobs": None, "finish_reason": None}]
    assert "usage" not in out
    usage_chunk = {"id": "c", "choices": [], "usage": {"total_tokens": 4}}
    assert completion_from_chat(usage_chunk, chunk=True)["usage"] == {"total_tokens": 4}
    assert completion_from_chat(usage_chunk, chunk=True)["choices"] == []


# ---------------------------------------------------------------- LegacySend, whole bodies

START_JSON: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-length", b"999"), (b"content-type", b"application/json")],
}


@pytest.mark.anyio
async def test_a_whole_200_body_is_rewritten_with_a_fresh_content_length() -> None:
    out = Recorder()
    send = LegacySend(out, stream=False)
    raw = orjson.dumps(CHAT)
    await send(START_JSON)
    assert out.messages == []  # the start waits for the body
    await send({"type": "http.response.body", "body": raw[:10], "more_body": True})
    await send({"type": "http.response.body", "body": raw[10:], "more_body": False})
    parsed = orjson.loads(out.body)
    assert parsed["object"] == "text_completion"
    assert parsed["choices"][0]["text"] == "Hello"
    assert out.headers[b"content-length"] == str(len(out.body)).encode()
    assert out.headers[b"content-type"] == b"application/json"
    assert [k for k, _ in out.messages[0]["headers"]].count(b"content-length") == 1


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True])
async def test_an_error_body_passes_unchanged(stream: bool) -> None:
    out = Recorder()
    send = LegacySend(out, stream=stream)
    error = orjson.dumps({"error": {"message": "nope", "type": "invalid_request_error"}})
    await send({**START_JSON, "status": 429})
    await send({"type": "http.response.body", "body": error})
    assert out.messages[0]["status"] == 429
    assert out.body == error
    assert out.headers[b"content-length"] == str(len(error)).encode()


# ---------------------------------------------------------------- LegacySend, streams


def chat_chunk(**delta: Any) -> bytes:
    finish = delta.pop("finish", None)
    data = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 9,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return encode_event(orjson.dumps(data).decode())


@pytest.mark.anyio
async def test_a_stream_is_rewritten_event_by_event_whatever_the_chunking() -> None:
    upstream = b"".join(
        [
            chat_chunk(role="assistant", content=""),
            chat_chunk(content="Hel"),
            chat_chunk(content="lo", finish="stop"),
            encode_event(
                orjson.dumps({"id": "c1", "choices": [], "usage": {"total_tokens": 4}}).decode()
            ),
            encode_event("[DONE]"),
        ]
    )
    for size in (1, 7, 50, len(upstream)):
        out = Recorder()
        send = LegacySend(out, stream=True)
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream")],
        }
        await send(start)
        assert out.messages == [start]  # a 200 stream starts at once
        pieces = [upstream[i : i + size] for i in range(0, len(upstream), size)]
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            await send({"type": "http.response.body", "body": piece, "more_body": not last})
        assert out.messages[-1]["more_body"] is False
        parser = SSEParser()
        events = parser.feed(out.body) + parser.close()
        assert events[-1].data == "[DONE]"
        payloads = [orjson.loads(e.data) for e in events[:-1]]
        assert all(p["object"] == "text_completion" for p in payloads)
        assert "".join(c["text"] for p in payloads for c in p["choices"]) == "Hello"
        assert payloads[2]["choices"][0]["finish_reason"] == "stop"
        assert payloads[-1]["usage"] == {"total_tokens": 4}


@pytest.mark.anyio
async def test_an_in_stream_error_event_passes_unchanged() -> None:
    out = Recorder()
    send = LegacySend(out, stream=True)
    error = orjson.dumps({"error": {"message": "upstream broke", "type": "server_error"}})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send(
        {
            "type": "http.response.body",
            "body": chat_chunk(content="x") + encode_event(error.decode()),
            "more_body": True,
        }
    )
    await send({"type": "http.response.body", "body": encode_event("[DONE]")})
    parser = SSEParser()
    events = parser.feed(out.body) + parser.close()
    assert orjson.loads(events[1].data) == orjson.loads(error)
    assert events[2].data == "[DONE]"


@pytest.mark.anyio
async def test_keep_alive_comments_reach_a_legacy_stream() -> None:
    out = Recorder()
    send = LegacySend(out, stream=True)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
    assert out.body == b": keep-alive\n\n"
    first = chat_chunk(content="Hel")
    await send({"type": "http.response.body", "body": first[:11], "more_body": True})
    # Mid-event, a chunk that happens to start with ":" is event text, not a comment.
    await send({"type": "http.response.body", "body": first[11:], "more_body": True})
    await send({"type": "http.response.body", "body": encode_event("[DONE]")})
    parser = SSEParser()
    events = parser.feed(out.body) + parser.close()
    assert [e.data for e in events][-1] == "[DONE]"
    assert orjson.loads(events[0].data)["choices"][0]["text"] == "Hel"
