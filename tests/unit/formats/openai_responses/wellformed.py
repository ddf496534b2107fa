"""A well-formedness checker for a Responses event stream, reusable by any test.

Checks: every event is named, its data is JSON whose `type` equals the name, `sequence_number`
counts 0,1,2,…; `response.created` then `response.in_progress` open the stream; output items are
added with `output_index` 0,1,2,… one at a time and done before the next is added; content
parts, summary parts, text / argument deltas belong to the open item and their `.done` text
equals the deltas joined; exactly one terminal event (`response.completed` / `.incomplete` /
`.failed`) ends the stream, its status matches, and its `output` equals the items as done.
"""

from __future__ import annotations

from typing import Any

import orjson

from daemon.formats.sse import SSEParser

TERMINAL = {
    "response.completed": "completed",
    "response.incomplete": "incomplete",
    "response.failed": "failed",
}


def parse(raw: bytes) -> list[dict[str, Any]]:
    parser = SSEParser()
    events = parser.feed(raw) + parser.close()
    out: list[dict[str, Any]] = []
    for event in events:
        assert event.event, f"event without a name: {event.data[:80]}"
        data = orjson.loads(event.data)
        assert isinstance(data, dict), "event data must be an object"
        assert data.get("type") == event.event, f"type {data.get('type')} under {event.event}"
        out.append(data)
    return out


def check_stream(raw: bytes) -> None:
    events = parse(raw)
    assert len(events) >= 3, "a stream needs created, in_progress and a terminal event"
    for i, data in enumerate(events):
        assert data.get("sequence_number") == i, (
            f"event {i} has sequence {data.get('sequence_number')}"
        )
    assert events[0]["type"] == "response.created"
    assert events[1]["type"] == "response.in_progress"
    rid = events[0]["response"]["id"]
    assert rid
    assert events[1]["response"]["id"] == rid
    done_items: list[dict[str, Any]] = []
    item: dict[str, Any] | None = None  # the open item
    part: dict[str, Any] | None = None  # the open content / summary part: {"index", "text"}
    args = ""
    for data in events[2:-1]:
        kind = data["type"]
        assert kind not in TERMINAL, f"{kind} before the end"
        assert kind != "error", "an error event inside a stream that then continues"
        if kind == "response.output_item.added":
            assert item is None, "an item was added while another was open"
            assert data["output_index"] == len(done_items), "output_index out of order"
            item = data["item"]
            assert item.get("id") and item.get("type"), "an added item needs id and type"
            args = ""
            continue
        assert item is not None, f"{kind} outside an output item"
        if "output_index" in data:
            assert data["output_index"] == len(done_items), f"{kind}: wrong output_index"
        if "item_id" in data:
            assert data["item_id"] == item["id"], f"{kind}: wrong item_id"
        if kind == "response.output_item.done":
            assert part is None, "item done while a part is open"
            assert data["item"]["id"] == item["id"], "item done with another id"
            assert data["item"]["type"] == item["type"]
            if item["type"] == "function_call":
                assert data["item"]["arguments"] == args, "arguments differ from their deltas"
            done_items.append(data["item"])
            item = None
        elif kind in ("response.content_part.added", "response.reasoning_summary_part.added"):
            assert part is None, f"{kind} while a part is open"
            key = "content_index" if "content" in kind else "summary_index"
            part = {"index": data[key], "text": "", "key": key}
        elif kind in ("response.output_text.delta", "response.reasoning_summary_text.delta"):
            assert part is not None and data[part["key"]] == part["index"], (
                f"{kind} outside its part"
            )
            part["text"] += data["delta"]
        elif kind in ("response.output_text.done", "response.reasoning_summary_text.done"):
            assert part is not None and data["text"] == part["text"], f"{kind} text differs"
        elif kind in ("response.content_part.done", "response.reasoning_summary_part.done"):
            assert part is not None and data["part"]["text"] == part["text"], f"{kind} differs"
            part = None
        elif kind == "response.function_call_arguments.delta":
            assert item["type"] == "function_call"
            args += data["delta"]
        elif kind == "response.function_call_arguments.done":
            assert data["arguments"] == args, "arguments.done differs from the deltas"
    assert item is None, "the stream ended with an item open"
    last = events[-1]
    assert last["type"] in TERMINAL, f"the stream ends with {last['type']}"
    response = last["response"]
    assert response["id"] == rid
    assert response["status"] == TERMINAL[last["type"]]
    if last["type"] == "response.failed":
        assert isinstance(response.get("error"), dict)
        assert response["error"].get("message")
    assert response["output"] == done_items, "the final output differs from the items done"
