"""A Responses event stream → canonical stream events, one SSE event at a time.

Blocks: one per `function_call` or `reasoning` output item, one per content part of a `message`
item (a message with two `output_text` parts gives two text blocks). Blocks never overlap: a
block still open when another begins is stopped first. Only lengths are tracked, not text: the
`.done` events are used to emit any tail the deltas did not carry.

A reasoning item's summary parts join with a blank line (as the non-stream decoder joins them);
`reasoning_text` deltas are thinking too. `encrypted_content` arrives on `output_item.done` and
becomes a SignatureDelta just before the block stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from daemon.formats import reasoning
from daemon.formats.openai_responses.common import (
    FMT,
    MARK,
    decode_usage,
    joined_tool_name,
    lenient_int,
)
from daemon.formats.openai_responses.response import stop_reason_of
from daemon.formats.sse import SSEEvent
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    ErrorKind,
    MessageStart,
    MessageStop,
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
)

_KIND_OF_CODE: dict[str, tuple[ErrorKind, int]] = {
    "rate_limit_exceeded": ("rate_limit", 429),
    "insufficient_quota": ("rate_limit", 429),
    "context_length_exceeded": ("invalid_request", 400),
    "invalid_prompt": ("invalid_request", 400),
    "invalid_request_error": ("invalid_request", 400),
    "server_is_overloaded": ("overloaded", 503),
    "slow_down": ("overloaded", 503),
}


def api_error(raw: Any, fallback: str) -> ApiError:
    """A Responses `error` object (or an `error` event) as an ApiError."""
    info = raw if isinstance(raw, dict) else {}
    code = info.get("code") if isinstance(info.get("code"), str) else None
    kind, status = _KIND_OF_CODE.get(code or "", ("server_error", 500))
    message = info.get("message") if isinstance(info.get("message"), str) else None
    param = info.get("param") if isinstance(info.get("param"), str) else None
    return ApiError(kind=kind, message=message or fallback, status=status, code=code, param=param)


@dataclass(slots=True)
class _Block:
    index: int
    kind: str  # "text" | "thinking" | "tool"
    sent: int = 0  # characters of text / arguments emitted so far
    parts_seen: int = 0  # reasoning summary parts begun


class ResponsesStreamDecoder:
    def __init__(self) -> None:
        self._started = False
        self._finished = False
        self._next = 0
        self._open: tuple[int, int] | None = None
        self._blocks: dict[tuple[int, int], _Block] = {}
        self._saw_tool = False
        self._saw_refusal = False

    # ----------------------------------------------------------------- plumbing

    def feed(self, event: SSEEvent) -> list[StreamEvent]:
        if self._finished:
            return []
        try:
            data = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            return []
        if not isinstance(data, dict):
            return []
        kind = data.get("type") or event.event
        out: list[StreamEvent] = []
        if not self._started and kind != "error":
            self._start(data.get("response"), out)
        handler = _HANDLERS.get(str(kind))
        if handler is not None:
            handler(self, data, out)
        return out

    def close(self) -> list[StreamEvent]:
        if self._finished:
            return []
        out: list[StreamEvent] = []
        self._fail(
            ApiError(
                kind="bad_gateway",
                message="the upstream stream ended before response.completed",
                status=502,
            ),
            None,
            out,
        )
        return out

    def _start(self, response: Any, out: list[StreamEvent]) -> None:
        self._started = True
        info = response if isinstance(response, dict) else {}
        created = info.get("created_at")
        out.append(
            MessageStart(
                id=str(info.get("id") or ""),
                model=str(info.get("model") or ""),
                created=int(created) if isinstance(created, int | float) else None,
            )
        )

    def _begin(
        self,
        key: tuple[int, int],
        part: TextPart | ThinkingPart | ToolCallPart,
        out: list[StreamEvent],
    ) -> _Block:
        self._stop_open(out)
        kind = "text" if isinstance(part, TextPart) else "thinking"
        if isinstance(part, ToolCallPart):
            kind = "tool"
        block = _Block(self._next, kind)
        self._next += 1
        self._blocks[key] = block
        self._open = key
        out.append(BlockStart(block.index, part))
        return block

    def _stop_open(self, out: list[StreamEvent]) -> None:
        if self._open is not None:
            out.append(BlockStop(self._blocks[self._open].index))
            self._open = None

    def _stop(self, key: tuple[int, int], out: list[StreamEvent]) -> None:
        if self._open == key:
            self._stop_open(out)

    def _live(self, key: tuple[int, int]) -> _Block | None:
        return self._blocks.get(key) if self._open == key else None

    def _emit(self, block: _Block, text: str, out: list[StreamEvent]) -> None:
        if not text:
            return
        block.sent += len(text)
        if block.kind == "text":
            out.append(TextDelta(block.index, text))
        elif block.kind == "thinking":
            out.append(ThinkingDelta(block.index, text))
        else:
            out.append(ToolArgumentsDelta(block.index, text))

    def _catch_up(self, block: _Block | None, full: Any, out: list[StreamEvent]) -> None:
        if block is not None and isinstance(full, str) and len(full) > block.sent:
            self._emit(block, full[block.sent :], out)

    def _fail(self, error: ApiError, usage: Usage | None, out: list[StreamEvent]) -> None:
        self._stop_open(out)
        out.append(StreamError(error))
        out.append(MessageStop(stop_reason="error", usage=usage))
        self._finished = True

    # ----------------------------------------------------------------- events

    def _item_added(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        item = data.get("item")
        if not isinstance(item, dict):
            return
        oi = lenient_int(data.get("output_index"))
        if item.get("type") == "function_call":
            block = self._begin((oi, -1), _call_part(item), out)
            self._emit(block, str(item.get("arguments") or ""), out)
        elif item.get("type") == "reasoning":
            self._begin((oi, -1), ThinkingPart(id=_str(item.get("id"))), out)

    def _item_done(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        item = data.get("item")
        if not isinstance(item, dict):
            return
        oi = lenient_int(data.get("output_index"))
        kind = item.get("type")
        if kind == "message":
            content = item.get("content")
            for ci, part in enumerate(content if isinstance(content, list) else []):
                if isinstance(part, dict):
                    self._catch_up(self._live((oi, ci)), _part_text(part), out)
                self._stop((oi, ci), out)
        elif kind == "function_call":
            self._saw_tool = True
            block = self._live((oi, -1))
            if block is None and (oi, -1) not in self._blocks:
                block = self._begin((oi, -1), _call_part(item), out)
            self._catch_up(block, item.get("arguments"), out)
            self._stop((oi, -1), out)
        elif kind == "reasoning":
            block = self._live((oi, -1))
            if block is None and (oi, -1) not in self._blocks:
                block = self._begin((oi, -1), ThinkingPart(id=_str(item.get("id"))), out)
            if block is not None and block.sent == 0:
                summary = item.get("summary")
                texts = (
                    [s.get("text") for s in summary if isinstance(s, dict)]
                    if isinstance(summary, list)
                    else []
                )
                self._emit(block, "\n\n".join(t for t in texts if isinstance(t, str)), out)
            encrypted = item.get("encrypted_content")
            if block is not None and isinstance(encrypted, str) and encrypted:
                part = reasoning.thinking_from_opaque(encrypted, FMT)
                if part.signature is not None:
                    out.append(SignatureDelta(block.index, part.signature))
            self._stop((oi, -1), out)

    def _part_added(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        part = data.get("part")
        if not isinstance(part, dict) or part.get("type") not in ("output_text", "refusal"):
            return
        key = (lenient_int(data.get("output_index")), lenient_int(data.get("content_index")))
        if part.get("type") == "refusal":
            self._saw_refusal = True
        block = self._begin(key, TextPart(text=""), out)
        self._emit(block, _part_text(part) or "", out)

    def _part_done(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        key = (lenient_int(data.get("output_index")), lenient_int(data.get("content_index")))
        part = data.get("part")
        if isinstance(part, dict):
            self._catch_up(self._live(key), _part_text(part), out)
        self._stop(key, out)

    def _text_delta(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        key = (lenient_int(data.get("output_index")), lenient_int(data.get("content_index")))
        if data.get("type") == "response.refusal.delta":
            self._saw_refusal = True
        block = self._live(key) or self._begin(key, TextPart(text=""), out)
        self._emit(block, _str(data.get("delta")) or "", out)

    def _text_done(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        key = (lenient_int(data.get("output_index")), lenient_int(data.get("content_index")))
        self._catch_up(self._live(key), data.get("text", data.get("refusal")), out)

    def _summary_part(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        key = (lenient_int(data.get("output_index")), -1)
        block = self._live(key) or self._begin(key, ThinkingPart(id=_str(data.get("item_id"))), out)
        if block.parts_seen > 0 and block.sent > 0:
            self._emit(block, "\n\n", out)
        block.parts_seen += 1

    def _thinking_delta(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        key = (lenient_int(data.get("output_index")), -1)
        block = self._live(key) or self._begin(key, ThinkingPart(id=_str(data.get("item_id"))), out)
        if block.parts_seen == 0:
            block.parts_seen = 1
        self._emit(block, _str(data.get("delta")) or "", out)

    def _args_delta(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        key = (lenient_int(data.get("output_index")), -1)
        block = self._live(key)
        if block is None:
            item_id = _str(data.get("item_id")) or ""
            block = self._begin(key, ToolCallPart(id=item_id, name=""), out)
        self._emit(block, _str(data.get("delta")) or "", out)

    def _args_done(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        block = self._live((lenient_int(data.get("output_index")), -1))
        self._catch_up(block, data.get("arguments"), out)

    def _terminal(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        response = data.get("response")
        info = response if isinstance(response, dict) else {}
        usage = decode_usage(info.get("usage")) if info.get("usage") is not None else None
        status = info.get("status") or str(data.get("type", "")).removeprefix("response.")
        if status == "failed":
            self._fail(api_error(info.get("error"), "the upstream response failed"), usage, out)
            return
        self._stop_open(out)
        stop = stop_reason_of(status, info.get("incomplete_details"), [])
        if stop == "stop" and self._saw_tool:
            stop = "tool_calls"
        elif stop == "stop" and self._saw_refusal:
            stop = "refusal"
        out.append(MessageStop(stop_reason=stop, usage=usage))
        self._finished = True

    def _error(self, data: dict[str, Any], out: list[StreamEvent]) -> None:
        inner = data.get("error") if isinstance(data.get("error"), dict) else data
        self._fail(api_error(inner, "the upstream reported an error"), None, out)


def _call_part(item: dict[str, Any]) -> ToolCallPart:
    name = _str(item.get("name")) or ""
    extra: dict[str, Any] = {}
    namespace = _str(item.get("namespace"))
    if namespace is not None:
        extra[MARK] = {"ns": namespace, "name": name}
        name = joined_tool_name(namespace, name)
    call_id = _str(item.get("call_id")) or _str(item.get("id")) or ""
    return ToolCallPart(id=call_id, name=name, extra=extra)


def _part_text(part: dict[str, Any]) -> str | None:
    return _str(part.get("text", part.get("refusal")))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_HANDLERS = {
    "response.output_item.added": ResponsesStreamDecoder._item_added,
    "response.output_item.done": ResponsesStreamDecoder._item_done,
    "response.content_part.added": ResponsesStreamDecoder._part_added,
    "response.content_part.done": ResponsesStreamDecoder._part_done,
    "response.output_text.delta": ResponsesStreamDecoder._text_delta,
    "response.refusal.delta": ResponsesStreamDecoder._text_delta,
    "response.output_text.done": ResponsesStreamDecoder._text_done,
    "response.refusal.done": ResponsesStreamDecoder._text_done,
    "response.reasoning_summary_part.added": ResponsesStreamDecoder._summary_part,
    "response.reasoning_summary_text.delta": ResponsesStreamDecoder._thinking_delta,
    "response.reasoning_text.delta": ResponsesStreamDecoder._thinking_delta,
    "response.function_call_arguments.delta": ResponsesStreamDecoder._args_delta,
    "response.function_call_arguments.done": ResponsesStreamDecoder._args_done,
    "response.completed": ResponsesStreamDecoder._terminal,
    "response.incomplete": ResponsesStreamDecoder._terminal,
    "response.failed": ResponsesStreamDecoder._terminal,
    "error": ResponsesStreamDecoder._error,
}
