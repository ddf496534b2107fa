"""A strict checker for Anthropic Messages SSE streams, reusable by any test.

`check_stream(raw)` raises AssertionError on the first violation: event name ≠ data.type,
anything before `message_start` (other than a lone `error`), block indices out of order, deltas
for a block that is not open or of the wrong kind, a block left open (also when an `error`
comes: our encoders close it first), message_delta before the last block stopped, anything after
`message_stop` / `error`, no terminal event, or (in a completed stream) tool input that is not
a JSON object.
"""

from __future__ import annotations

from typing import Any

import orjson

from daemon.formats.sse import SSEParser

STOP_REASONS = {
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
}
_DELTA_OF_BLOCK = {
    "text": {"text_delta", "citations_delta"},
    "tool_use": {"input_json_delta"},
    "server_tool_use": {"input_json_delta"},
    "thinking": {"thinking_delta", "signature_delta"},
    "redacted_thinking": set(),
}


def parse_stream(raw: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    parser = SSEParser()
    events = parser.feed(raw) + parser.close()
    out: list[tuple[str | None, dict[str, Any]]] = []
    for event in events:
        data = orjson.loads(event.data)
        assert isinstance(data, dict), f"event data is not an object: {event.data!r}"
        out.append((event.event, data))
    return out


def check_stream(raw: bytes) -> None:
    events = parse_stream(raw)
    assert events, "empty stream"
    state = "before"  # before → message → delta_sent → ended
    next_index = 0
    open_block: dict[str, Any] | None = None
    open_type = ""
    json_parts: list[str] = []
    tool_inputs: list[str] = []
    for position, (name, data) in enumerate(events):
        etype = data.get("type")
        assert name == etype, f"#{position}: event name {name!r} ≠ data.type {etype!r}"
        assert state != "ended", f"#{position}: {etype} after the terminal event"
        if etype == "ping":
            continue
        if etype == "error":
            error = data.get("error")
            assert isinstance(error, dict), "error event without an error object"
            assert isinstance(error.get("type"), str)
            assert isinstance(error.get("message"), str)
            assert open_block is None, "error event while a block is open"
            state = "ended"
            continue
        if state == "before":
            assert etype == "message_start", f"#{position}: first event is {etype}"
            _check_message_start(data)
            state = "message"
            continue
        assert etype != "message_start", f"#{position}: a second message_start"
        if etype == "content_block_start":
            assert state == "message", "content block after message_delta"
            assert open_block is None, f"#{position}: block started while another is open"
            assert data.get("index") == next_index, f"#{position}: index {data.get('index')}"
            block = data.get("content_block")
            assert isinstance(block, dict)
            assert isinstance(block.get("type"), str)
            open_block, open_type, json_parts = data, block["type"], []
            if open_type == "tool_use":
                assert isinstance(block.get("id"), str)
                assert isinstance(block.get("name"), str)
                assert block.get("input") == {}, "tool_use must start with input {}"
        elif etype == "content_block_delta":
            assert open_block is not None, f"#{position}: delta outside a block"
            assert data.get("index") == next_index, f"#{position}: delta for another block"
            delta = data.get("delta")
            assert isinstance(delta, dict)
            allowed = _DELTA_OF_BLOCK.get(open_type)
            if allowed is not None:
                assert delta.get("type") in allowed, f"{delta.get('type')} in a {open_type}"
            _check_delta_fields(delta)
            if delta.get("type") == "input_json_delta":
                json_parts.append(delta["partial_json"])
        elif etype == "content_block_stop":
            assert open_block is not None, f"#{position}: stop outside a block"
            assert data.get("index") == next_index, f"#{position}: stop for another block"
            if open_type == "tool_use" and "".join(json_parts).strip():
                tool_inputs.append("".join(json_parts))
            open_block = None
            next_index += 1
        elif etype == "message_delta":
            assert open_block is None, "message_delta while a block is open"
            assert state == "message", "a second message_delta"
            delta = data.get("delta")
            assert isinstance(delta, dict)
            assert delta.get("stop_reason") in STOP_REASONS
            usage = data.get("usage")
            assert isinstance(usage, dict)
            assert isinstance(usage.get("output_tokens"), int)
            state = "delta_sent"
        elif etype == "message_stop":
            assert state == "delta_sent", "message_stop without a message_delta"
            for text in tool_inputs:  # complete streams carry complete tool inputs
                assert isinstance(orjson.loads(text), dict), "tool input is not a JSON object"
            state = "ended"
        else:
            raise AssertionError(f"#{position}: unknown event type {etype!r}")
    assert state == "ended", "the stream has no terminal event (message_stop or error)"


def _check_message_start(data: dict[str, Any]) -> None:
    message = data.get("message")
    assert isinstance(message, dict), "message_start without a message"
    assert message.get("type") == "message"
    assert message.get("role") == "assistant"
    assert isinstance(message.get("id"), str)
    assert isinstance(message.get("model"), str)
    assert message.get("content") == []
    usage = message.get("usage")
    assert isinstance(usage, dict)
    assert isinstance(usage.get("input_tokens"), int)


def _check_delta_fields(delta: dict[str, Any]) -> None:
    field = {
        "text_delta": "text",
        "input_json_delta": "partial_json",
        "thinking_delta": "thinking",
        "signature_delta": "signature",
    }.get(str(delta.get("type")))
    if field is not None:
        assert isinstance(delta.get(field), str), f"{delta.get('type')} without {field}"
