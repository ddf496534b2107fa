"""Well-formedness of a Chat Completions SSE stream, for tests of any translation into chat.

A stream is either
    chunk+ (finish chunk) [usage chunk] [DONE]
or, when it fails,
    chunk* {"error": {...}} [DONE]
where every chunk is a `chat.completion.chunk` with the same id/created/model, the first delta
carries role "assistant", tool calls are numbered 0, 1, … in order with id/type/name on their
first delta only, and — when any chunk carries a "usage" key — every chunk before the final
`choices: []` usage chunk has `"usage": null`.
"""

from __future__ import annotations

from typing import Any

import orjson

from daemon.formats.sse import SSEParser


def check_stream(raw: bytes) -> None:
    parser = SSEParser()
    events = parser.feed(raw) + parser.close()
    assert events, "empty stream"
    assert events[-1].data == "[DONE]", "the stream must end with data: [DONE]"
    assert sum(e.data == "[DONE]" for e in events) == 1, "[DONE] must appear exactly once"
    payloads: list[dict[str, Any]] = []
    for event in events[:-1]:
        assert event.event is None, f"chat streams use unnamed events, got {event.event!r}"
        payload = orjson.loads(event.data)
        assert isinstance(payload, dict), "every data event is a JSON object"
        payloads.append(payload)
    if payloads and "error" in payloads[-1]:
        _check_error(payloads[-1])
        _check_chunks(payloads[:-1], finished=False)
    else:
        _check_chunks(payloads, finished=True)


def _check_error(payload: dict[str, Any]) -> None:
    error = payload["error"]
    assert isinstance(error, dict), "error must be an object"
    assert isinstance(error.get("message"), str), "error.message must be a string"
    assert isinstance(error.get("type"), str), "error.type must be a string"


def _check_chunks(chunks: list[dict[str, Any]], finished: bool) -> None:
    for chunk in chunks:
        assert "error" not in chunk, "an error event must be the last before [DONE]"
    if finished:
        assert chunks, "a finished stream has at least one chunk"
    if not chunks:
        return
    head = chunks[0]
    for key, kind in (("id", str), ("created", int), ("model", str)):
        assert isinstance(head.get(key), kind), f"chunk.{key} must be a {kind.__name__}"
    with_usage = any("usage" in c for c in chunks)
    usage_chunk = None
    if chunks[-1].get("choices") == []:
        usage_chunk = chunks[-1]
        chunks = chunks[:-1]
        assert isinstance(usage_chunk.get("usage"), dict), "the final choices:[] chunk has usage"
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            assert isinstance(usage_chunk["usage"].get(key), int), f"usage.{key} must be an int"
        _same_head(head, usage_chunk)
    tools_seen = 0
    finish_seen = False
    for n, chunk in enumerate(chunks):
        assert chunk.get("object") == "chat.completion.chunk", "object must be the chunk type"
        _same_head(head, chunk)
        if with_usage:
            assert "usage" in chunk, "every chunk has a usage key when one has"
            assert chunk["usage"] is None, "usage must be null before the end"
        choices = chunk.get("choices")
        assert isinstance(choices, list), "choices must be an array"
        assert len(choices) == 1, "one choice per chunk"
        choice = choices[0]
        assert choice.get("index") == 0, "choice index 0"
        delta = choice.get("delta")
        assert isinstance(delta, dict), "choice.delta must be an object"
        assert not finish_seen, "no chunk may follow the finish_reason chunk"
        if n == 0:
            assert delta.get("role") == "assistant", "the first delta carries role assistant"
        else:
            assert "role" not in delta, "only the first delta carries a role"
        for key in ("content", "reasoning_content"):
            if key in delta:
                assert isinstance(delta[key], str), f"delta.{key} must be a string"
        for call in delta.get("tool_calls", ()):
            tools_seen = _check_call(call, tools_seen)
        finish = choice.get("finish_reason")
        if finish is not None:
            assert finish in ("stop", "length", "tool_calls", "content_filter"), finish
            finish_seen = True
    if finished:
        assert finish_seen, "a finished stream has a finish_reason chunk"
    else:
        assert usage_chunk is None, "a failed stream has no usage chunk"


def _check_call(call: dict[str, Any], tools_seen: int) -> int:
    index = call.get("index")
    assert isinstance(index, int), "tool_calls[].index must be an int"
    if index == tools_seen:  # a new call: its header
        assert isinstance(call.get("id"), str), "a new tool call has an id"
        assert call["id"], "a new tool call has a non-empty id"
        assert call.get("type") == "function", "a new tool call has type function"
        fn = call.get("function")
        assert isinstance(fn, dict), "a new tool call has a function"
        assert isinstance(fn.get("name"), str), "and a function name"
        assert isinstance(fn.get("arguments", ""), str), "arguments are a string"
        return tools_seen + 1
    assert 0 <= index < tools_seen, f"tool call index {index} skips ahead of {tools_seen}"
    assert "id" not in call, "only the first delta of a tool call carries its id"
    fn = call.get("function")
    assert isinstance(fn, dict), "a fragment has a function"
    assert isinstance(fn.get("arguments"), str), "a fragment of arguments"
    assert "name" not in fn, "only the first delta of a tool call carries its name"
    return tools_seen


def _same_head(head: dict[str, Any], chunk: dict[str, Any]) -> None:
    for key in ("id", "created", "model"):
        assert chunk.get(key) == head.get(key), f"chunk.{key} must not change mid-stream"
