"""Ending a pass-through stream well-formed when the upstream breaks off mid-way.

A pass-through stream forwards the upstream's own events, so only what was forwarded decides
what the client still needs to see: the open block or item closed, then the format's error (or
just its terminator, when the message was already complete). Each `Ending` watches the
forwarded events cheaply (event names, a few substrings; JSON is parsed only at failure time)
and writes that tail. `PassThrough` (relay.py) feeds it every event it lets through.
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from daemon.formats.sse import SSEEvent, encode_event
from daemon.model import ApiError, WireFormat

_DONE = encode_event("[DONE]")


class Ending(Protocol):
    seen: bool  # whether any event went out

    def see(self, event: SSEEvent) -> bool:
        """Note a forwarded event; False for an upstream failure event the ending must
        replace with its own tail (as sent, it would leave the stream malformed)."""
        ...

    def tail(self, error: ApiError) -> bytes:
        """What ends the stream after the events seen; b"" when it already ended."""
        ...


def ending_for(wire_format: WireFormat) -> Ending:
    if wire_format == WireFormat.ANTHROPIC:
        return AnthropicEnding()
    if wire_format == WireFormat.OPENAI_RESPONSES:
        return ResponsesEnding()
    if wire_format == WireFormat.GEMINI:
        return GeminiEnding()
    return ChatEnding()


def _dump(value: Any) -> str:
    return orjson.dumps(value).decode()


def _object(data: str) -> dict[str, Any]:
    """An event's JSON object; {} for anything else (the upstream may send anything)."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


class AnthropicEnding:
    def __init__(self) -> None:
        self.seen = False
        self._open: str | None = None  # data of the open block's content_block_start
        self._delta_sent = False
        self._ended = False

    def see(self, event: SSEEvent) -> bool:
        self.seen = True
        name = event.event
        if name == "content_block_start":
            self._open = event.data
        elif name == "content_block_stop":
            self._open = None
        elif name == "message_delta":
            self._delta_sent = True
        elif name == "message_stop":
            self._ended = True
        elif name == "error":
            if self._open is not None:
                return False  # close the block first: the tail does
            self._ended = True
        return True

    def tail(self, error: ApiError) -> bytes:
        from daemon.formats.anthropic.errors import encode_error

        if self._ended:
            return b""
        self._ended = True
        if self._delta_sent:  # the message is complete but for its last event
            return encode_event(_dump({"type": "message_stop"}), "message_stop")
        out = b""
        if self._open is not None:
            index = _int(_object(self._open).get("index"), 0)
            stop = {"type": "content_block_stop", "index": index}
            out += encode_event(_dump(stop), "content_block_stop")
        return out + encode_event(_dump(encode_error(error)), "error")


class ChatEnding:
    def __init__(self) -> None:
        self.seen = False
        self._last: tuple[str, ...] = ()  # the data of the last two chunks
        self._ended = False

    def see(self, event: SSEEvent) -> bool:
        self.seen = True
        if event.data == "[DONE]":
            self._ended = True
        else:
            self._last = (*self._last[-1:], event.data)
        return True

    def tail(self, error: ApiError) -> bytes:
        from daemon.formats.openai_chat.errors import encode_error

        if self._ended:
            return b""
        self._ended = True
        finished = False
        for data in self._last:  # the finish chunk, or it and the usage chunk after it
            try:
                chunk = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(chunk, dict):
                continue
            if "error" in chunk:
                return _DONE
            choices = chunk.get("choices")
            if choices == [] or (
                isinstance(choices, list)
                and isinstance(choices[0], dict)
                and choices[0].get("finish_reason") is not None
            ):
                finished = True
        if finished:
            return _DONE
        return encode_event(_dump(encode_error(error))) + _DONE


class GeminiEnding:
    def __init__(self) -> None:
        self.seen = False
        self._ended = False

    def see(self, event: SSEEvent) -> bool:
        self.seen = True
        if '"finishReason"' in event.data or event.data.lstrip().startswith('{"error"'):
            self._ended = True
        return True

    def tail(self, error: ApiError) -> bytes:
        from daemon.formats.gemini.errors import encode_error

        if self._ended:
            return b""
        self._ended = True
        return encode_event(_dump(encode_error(error)))


_TERMINAL = ("response.completed", "response.incomplete")
_FAILED = ("response.failed", "error")


class ResponsesEnding:
    """Keeps the first event (the response envelope), the items done and the open item's
    events; at failure closes that item as the format requires and sends `response.failed`."""

    def __init__(self) -> None:
        self.seen = False
        self._first: str | None = None
        self._in_progress = False
        self._last: str | None = None
        self._done: list[str] = []  # data of each output_item.done
        self._open: list[SSEEvent] | None = None  # the open item's events, added first
        self._ended = False
        self._sequence = 0

    def see(self, event: SSEEvent) -> bool:
        self.seen = True
        name = event.event
        if name in _FAILED and self._first is not None and not self._ended:
            return False  # the tail sends its own, with every item closed and listed
        if self._first is None:
            self._first = event.data
        self._last = event.data
        if name == "response.in_progress":
            self._in_progress = True
        elif name == "response.output_item.added":
            self._open = [event]
        elif name == "response.output_item.done":
            self._done.append(event.data)
            self._open = None
        elif name in _TERMINAL or name in _FAILED:
            self._ended = True
        elif self._open is not None:
            self._open.append(event)
        return True

    def tail(self, error: ApiError) -> bytes:
        if self._ended or self._first is None or self._last is None:
            return b""
        self._ended = True
        self._sequence = _int(_object(self._last).get("sequence_number"), -1) + 1
        response = _object(self._first).get("response")
        response = dict(response) if isinstance(response, dict) else {}
        out = b""
        if not self._in_progress:
            out += self._event("response.in_progress", {"response": response})
        output = [_object(data).get("item") for data in self._done]
        if self._open:
            closing, item = self._close_item(self._open)
            out += closing
            output.append(item)
        info = {"code": error.code or "server_error", "message": error.message}
        failed = {**response, "status": "failed", "error": info, "output": output}
        return out + self._event("response.failed", {"response": failed})

    def _event(self, name: str, fields: dict[str, Any]) -> bytes:
        data = {"type": name, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return encode_event(_dump(data), name)

    def _close_item(self, events: list[SSEEvent]) -> tuple[bytes, dict[str, Any]]:
        """The events that finish the open item, and the item as done (status incomplete)."""
        added = _object(events[0].data)
        index = _int(added.get("output_index"), len(self._done))
        item = added.get("item")
        item = dict(item) if isinstance(item, dict) else {}
        item_id = item.get("id")
        kind = item.get("type")
        out = b""
        parts: list[dict[str, Any]] = []  # content or summary parts done
        part: dict[str, Any] | None = None  # the open part: key, index, text, text_done
        arguments: list[str] = []
        arguments_done = False
        for event in events[1:]:
            name = event.event or ""
            data = _object(event.data)
            if name in ("response.content_part.added", "response.reasoning_summary_part.added"):
                key = "content_index" if "content" in name else "summary_index"
                part = {"key": key, "index": _int(data.get(key), 0), "text": "", "text_done": False}
            elif name in ("response.output_text.delta", "response.reasoning_summary_text.delta"):
                if part is not None:
                    part["text"] += _str(data.get("delta"))
            elif name in ("response.output_text.done", "response.reasoning_summary_text.done"):
                if part is not None:
                    part["text_done"] = True
            elif name in ("response.content_part.done", "response.reasoning_summary_part.done"):
                done = data.get("part")
                parts.append(done if isinstance(done, dict) else {})
                part = None
            elif name == "response.function_call_arguments.delta":
                arguments.append(_str(data.get("delta")))
            elif name == "response.function_call_arguments.done":
                arguments_done = True
        where = {"item_id": item_id, "output_index": index}
        if part is not None:
            text = part["text"]
            summary = part["key"] == "summary_index"
            at = {**where, part["key"]: part["index"]}
            if not part["text_done"]:
                name = "reasoning_summary_text" if summary else "output_text"
                out += self._event(f"response.{name}.done", {**at, "text": text})
            done_part: dict[str, Any] = (
                {"type": "summary_text", "text": text}
                if summary
                else {"type": "output_text", "annotations": [], "text": text}
            )
            name = "reasoning_summary_part" if summary else "content_part"
            out += self._event(f"response.{name}.done", {**at, "part": done_part})
            parts.append(done_part)
        if kind == "message":
            item["content"] = parts
        elif kind == "reasoning":
            item["summary"] = parts
        elif kind == "function_call":
            item["arguments"] = "".join(arguments) if arguments else _str(item.get("arguments"))
            if not arguments_done:
                fields = {**where, "arguments": item["arguments"]}
                out += self._event("response.function_call_arguments.done", fields)
        item["status"] = "incomplete"
        out += self._event("response.output_item.done", {"output_index": index, "item": item})
        return out, item
