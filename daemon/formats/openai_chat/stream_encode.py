"""Canonical stream events → Chat Completions chunks.

Every chunk carries the same id/created/model (from MessageStart; invented when it is missing).
The first chunk's delta is `{"role": "assistant"}`. Tool calls get chat indices 0, 1, … in the
order they start, whatever their canonical block index. Block boundaries themselves are not sent.
Signatures cannot be carried (chat has no opaque field) and are dropped with a debug log.

The end: a chunk with `finish_reason`, then — when the client asked for
`stream_options.include_usage` — a `choices: []` chunk with usage (and `"usage": null` on every
earlier chunk), then `data: [DONE]`. A StreamError (or MessageStop "error", or close() before any
MessageStop) ends the stream with `data: {"error": {...}}` and `data: [DONE]` instead.
"""

from __future__ import annotations

from typing import Any

import orjson

from daemon.formats.openai_chat._common import STOP_TO_FINISH, encode_usage
from daemon.formats.openai_chat.errors import encode_error
from daemon.formats.openai_chat.messages import FMT
from daemon.formats.policy import drop
from daemon.formats.sse import encode_event
from daemon.model import (
    ApiError,
    BlockStart,
    MessageStart,
    MessageStop,
    Request,
    SignatureDelta,
    StreamError,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgumentsDelta,
    ToolCallPart,
    Usage,
    UsageUpdate,
)

_DONE = encode_event("[DONE]")
INVENTED_ID = "chatcmpl-cliproxy"


class ChatStreamEncoder:
    __slots__ = (
        "_created",
        "_done",
        "_failed",
        "_id",
        "_include_usage",
        "_model",
        "_started",
        "_tools",
        "_usage",
    )

    def __init__(self, request: Request) -> None:
        self._include_usage = request.include_usage is True
        self._id = INVENTED_ID
        self._model = request.model
        self._created = 0
        self._started = False
        self._done = False
        self._failed = False  # MessageStop("error") seen: waiting for its StreamError
        self._tools: dict[int, int] = {}  # canonical block index → chat tool-call index
        self._usage: Usage | None = None

    def feed(self, event: StreamEvent) -> bytes:
        if self._done:
            return b""
        if isinstance(event, TextDelta):
            return self._delta({"content": event.text}) if event.text else b""
        if isinstance(event, ThinkingDelta):
            return self._delta({"reasoning_content": event.text}) if event.text else b""
        if isinstance(event, ToolArgumentsDelta):
            return self._arguments(event.index, event.fragment)
        if isinstance(event, BlockStart):
            return self._block_start(event)
        if isinstance(event, UsageUpdate):
            self._usage = event.usage
            return b""
        if isinstance(event, MessageStart):
            return self._message_start(event)
        if isinstance(event, MessageStop):
            return self._message_stop(event)
        if isinstance(event, StreamError):
            return self._error(event.error)
        if isinstance(event, SignatureDelta):
            drop("signature", FMT, "chat streams have no opaque reasoning field")
        return b""  # BlockStop, SignatureDelta

    def close(self) -> bytes:
        if self._done:
            return b""
        message = "upstream stream failed" if self._failed else "stream ended before completion"
        return self._error(ApiError("bad_gateway", message, 502))

    # ------------------------------------------------------------------ internals

    def _message_start(self, event: MessageStart) -> bytes:
        if self._started:
            return b""
        if event.id:
            self._id = event.id
        if event.model:
            self._model = event.model
        if event.created is not None:
            self._created = event.created
        if event.usage is not None:
            self._usage = event.usage
        return self._start()

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return self._chunk({"role": "assistant"})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return self._start() + self._chunk(delta)

    def _block_start(self, event: BlockStart) -> bytes:
        part = event.part
        if part.signature is not None:
            drop("signature", FMT, "chat streams have no opaque reasoning field")
        if isinstance(part, ToolCallPart):
            return self._tool_header(event.index, part.id, part.name, part.arguments)
        if isinstance(part, ThinkingPart) and part.text:
            return self._delta({"reasoning_content": part.text})
        if isinstance(part, TextPart) and part.text:
            return self._delta({"content": part.text})
        return self._start()

    def _tool_header(self, block: int, call_id: str, name: str, arguments: str) -> bytes:
        position = len(self._tools)
        self._tools[block] = position
        call = {
            "index": position,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
        return self._delta({"tool_calls": [call]})

    def _arguments(self, block: int, fragment: str) -> bytes:
        position = self._tools.get(block)
        if position is None:  # a delta without its BlockStart: give it a header of its own
            return self._tool_header(block, f"call_{block}", "", fragment)
        if not fragment:
            return b""
        call = {"index": position, "function": {"arguments": fragment}}
        return self._delta({"tool_calls": [call]})

    def _message_stop(self, event: MessageStop) -> bytes:
        if event.usage is not None:
            self._usage = event.usage
        if event.stop_reason == "error":
            self._failed = True  # its StreamError, if any, carries the message
            return b""
        out = self._start() + self._chunk({}, STOP_TO_FINISH[event.stop_reason])
        if self._include_usage:
            usage = encode_usage(self._usage or Usage())
            out += self._event({**self._head(), "choices": [], "usage": usage})
        self._done = True
        return out + _DONE

    def _error(self, error: ApiError) -> bytes:
        self._done = True
        return self._event(encode_error(error)) + _DONE

    def _head(self) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
        }

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk = self._head()
        chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
        if self._include_usage:
            chunk["usage"] = None
        return self._event(chunk)

    @staticmethod
    def _event(payload: dict[str, Any]) -> bytes:
        return encode_event(orjson.dumps(payload).decode())
