"""Chat Completions chunks → canonical stream events.

Chat has no block boundaries, so they are synthesized: a block starts when a new kind of content
(reasoning_content, content/refusal) or a new tool-call `index` appears, and the open block stops
before the next one starts, at `finish_reason`, and at the end. Only choice 0 is followed.

Terminal handling: `finish_reason` is remembered; the MessageStop is sent on `[DONE]` (or at
close when the upstream sent finish_reason but no `[DONE]`), so a usage-only chunk that follows
the finish still lands in it. An `{"error": ...}` event, unparsable data, or a stream that ends
with neither finish_reason nor `[DONE]` gives StreamError then MessageStop("error").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from daemon.formats.openai_chat._common import FINISH_TO_STOP, decode_usage
from daemon.formats.openai_chat.errors import decode_error
from daemon.formats.sse import SSEEvent
from daemon.formats.status import STATUS_OF_KIND
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
    StopReason,
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

_TEXT, _THINKING, _TOOL = 1, 2, 3


class ChatStreamDecoder:
    __slots__ = (
        "_block",
        "_done",
        "_finish",
        "_kind",
        "_next",
        "_refusal",
        "_started",
        "_tool_ids",
        "_tools",
        "_usage",
    )

    def __init__(self) -> None:
        self._started = False
        self._done = False
        self._block = -1  # canonical index of the open block, -1 when none is open
        self._kind = 0
        self._next = 0
        self._tools: dict[int, int] = {}  # chat tool-call index → canonical block index
        self._tool_ids: dict[str, int] = {}  # tool-call id → canonical block index
        self._finish: StopReason | None = None
        self._refusal = False
        self._usage: Usage | None = None

    def feed(self, event: SSEEvent) -> list[StreamEvent]:
        if self._done:
            return []
        data = event.data.strip()
        if data == "[DONE]":
            return self._end(self._finish or ("tool_calls" if self._tools else "stop"))
        if not data:
            return []
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self._fail(ApiError("bad_gateway", "upstream sent unparsable stream data", 502))
        if not isinstance(chunk, dict):
            return self._fail(ApiError("bad_gateway", "upstream sent a non-object chunk", 502))
        if chunk.get("error") is not None:
            error = decode_error(0, data.encode())
            return self._fail(replace(error, status=STATUS_OF_KIND[error.kind]))
        out: list[StreamEvent] = []
        if not self._started:
            self._started = True
            created = chunk.get("created")
            out.append(
                MessageStart(
                    id=str(chunk.get("id") or ""),
                    model=str(chunk.get("model") or ""),
                    created=created if isinstance(created, int) else None,
                )
            )
        choices = chunk.get("choices")
        if isinstance(choices, list):
            for choice in choices:
                if isinstance(choice, dict) and choice.get("index", 0) == 0:
                    self._choice(choice, out)
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = decode_usage(usage)
            out.append(UsageUpdate(self._usage))
        return out

    def close(self) -> list[StreamEvent]:
        if self._done:
            return []
        if self._finish is not None:
            return self._end(self._finish)
        return self._fail(
            ApiError("bad_gateway", "upstream stream ended before finish_reason or [DONE]", 502)
        )

    # ------------------------------------------------------------------ internals

    def _choice(self, choice: dict[str, Any], out: list[StreamEvent]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            reasoning = delta.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning:
                out.append(ThinkingDelta(self._open(_THINKING, out), reasoning))
            content = delta.get("content")
            if isinstance(content, str) and content:
                out.append(TextDelta(self._open(_TEXT, out), content))
            refusal = delta.get("refusal")
            if isinstance(refusal, str) and refusal:
                self._refusal = True
                out.append(TextDelta(self._open(_TEXT, out), refusal))
            calls = delta.get("tool_calls")
            if isinstance(calls, list):
                for call in calls:
                    if isinstance(call, dict):
                        self._tool_call(call, out)
        choice_usage = choice.get("usage")  # Moonshot/Kimi put usage inside the choice
        if isinstance(choice_usage, dict):
            self._usage = decode_usage(choice_usage)
            out.append(UsageUpdate(self._usage))
        finish = choice.get("finish_reason")
        if isinstance(finish, str) and finish:
            stop = FINISH_TO_STOP.get(finish, "stop")
            if stop == "stop" and self._tools:
                stop = "tool_calls"
            elif stop == "stop" and self._refusal:
                stop = "refusal"
            self._finish = stop
            self._close(out)

    def _tool_call(self, call: dict[str, Any], out: list[StreamEvent]) -> None:
        position = call.get("index")
        call_id = call.get("id")
        fn = call.get("function")
        fn = fn if isinstance(fn, dict) else {}
        if isinstance(position, int):
            block = self._tools.get(position)
        elif isinstance(call_id, str) and call_id:
            block = self._tool_ids.get(call_id)
            position = -1 - len(self._tools)
        else:
            block = self._block if self._kind == _TOOL else None
            position = -1 - len(self._tools)
        if block is None:
            self._close(out)
            block = self._next
            self._next += 1
            name = fn.get("name")
            part = ToolCallPart(
                id=call_id if isinstance(call_id, str) and call_id else f"call_{block}",
                name=name if isinstance(name, str) else "",
            )
            out.append(BlockStart(block, part))
            self._block, self._kind = block, _TOOL
            self._tools[position] = block
            self._tool_ids[part.id] = block
        # A fragment for an earlier, already stopped call (never seen from real upstreams) keeps
        # its own index rather than being lost.
        arguments = fn.get("arguments")
        if isinstance(arguments, str) and arguments:
            out.append(ToolArgumentsDelta(block, arguments))

    def _open(self, kind: int, out: list[StreamEvent]) -> int:
        if self._kind == kind:
            return self._block
        self._close(out)
        index = self._next
        self._next += 1
        out.append(BlockStart(index, ThinkingPart() if kind == _THINKING else TextPart("")))
        self._block, self._kind = index, kind
        return index

    def _close(self, out: list[StreamEvent]) -> None:
        if self._block >= 0:
            out.append(BlockStop(self._block))
            self._block, self._kind = -1, 0

    def _end(self, stop: StopReason) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        self._close(out)
        out.append(MessageStop(stop_reason=stop, usage=self._usage))
        self._done = True
        return out

    def _fail(self, error: ApiError) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        self._close(out)
        out.append(StreamError(error))
        out.append(MessageStop(stop_reason="error", usage=self._usage))
        self._done = True
        return out
