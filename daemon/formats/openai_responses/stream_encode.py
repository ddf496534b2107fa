"""Canonical stream events → a Responses event stream (SSE bytes), one event at a time.

Output: `response.created` → `response.in_progress` → per output item `output_item.added`,
its deltas, `output_item.done` → one terminal event (`response.completed` / `.incomplete` /
`.failed`) whose `response` holds every finished output item — the format's contract, so the
items (not the raw deltas) are kept until the end. `sequence_number` counts from 0.

Consecutive text blocks share one `message` item (one content part each). A thinking block is a
`reasoning` item whose `encrypted_content` is `reasoning.opaque_for` its signature (packed when
another upstream signed it). A tool call signed by Gemini gets a carrier reasoning item just
before it: `output_item.added` of a function call waits until its first argument fragment so a
signature arriving first can still go in front; a signed text block starts a message item of its
own, with its carrier in front. A signature that arrives after its text or call has begun cannot
be placed and is dropped (debug log); decoders send it first (see model.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from daemon.formats import policy, reasoning
from daemon.formats.openai_responses.common import FMT, marker, stable_id
from daemon.formats.openai_responses.items_encode import namespace_map
from daemon.formats.openai_responses.response import envelope, status_of
from daemon.formats.sse import encode_event
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
    Request,
    Signature,
    SignatureDelta,
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


@dataclass(slots=True)
class _Block:
    kind: str  # "text" | "thinking" | "tool"
    item: dict[str, Any]
    output_index: int
    content_index: int = 0
    text: list[str] = field(default_factory=list)
    part: ThinkingPart | ToolCallPart | None = None
    signature: Signature | None = None
    pending: bool = False  # a function call whose output_item.added is not sent yet
    summary_open: bool = False


class ResponsesStreamEncoder:
    def __init__(self, request: Request) -> None:
        self._ns = namespace_map(request.tools)
        self._model = request.model
        self._id = "resp_" + stable_id("", request.model)[:24]
        self._created: int | None = None
        self._seq = 0
        self._started = False
        self._finished = False
        self._output: list[dict[str, Any]] = []
        self._blocks: dict[int, _Block] = {}
        self._open: int | None = None
        self._message: dict[str, Any] | None = None
        self._usage: Usage | None = None

    # ----------------------------------------------------------------- plumbing

    def _event(self, kind: str, payload: dict[str, Any]) -> bytes:
        payload = {"type": kind, "sequence_number": self._seq, **payload}
        self._seq += 1
        return encode_event(orjson.dumps(payload).decode(), event=kind)

    def _response(self, status: str, **more: Any) -> dict[str, Any]:
        body = envelope(self._id, self._model, self._created, status, self._output, self._usage)
        body.update(more)
        return body

    def _start(self) -> bytes:
        self._started = True
        created = self._response("in_progress")
        created["output"] = []
        return self._event("response.created", {"response": created}) + self._event(
            "response.in_progress", {"response": created}
        )

    def feed(self, event: StreamEvent) -> bytes:
        if self._finished:
            return b""
        out = b""
        if not self._started:
            if isinstance(event, MessageStart):
                self._id = event.id or self._id
                self._model = event.model or self._model
                self._created = event.created
                self._usage = event.usage
            out += self._start()
            if isinstance(event, MessageStart):
                return out
        if isinstance(event, BlockStart):
            out += self._block_start(event)
        elif isinstance(event, TextDelta | ThinkingDelta | ToolArgumentsDelta):
            out += self._delta(
                event.index,
                event.text if not isinstance(event, ToolArgumentsDelta) else event.fragment,
            )
        elif isinstance(event, SignatureDelta):
            self._signature(event)
        elif isinstance(event, BlockStop):
            out += self._stop(event.index)
        elif isinstance(event, UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, MessageStop):
            if event.usage is not None:
                self._usage = event.usage
            out += self._finish(event.stop_reason, None)
        elif isinstance(event, StreamError):
            out += self._finish("error", event.error)
        return out

    def close(self) -> bytes:
        if self._finished:
            return b""
        out = b"" if self._started else self._start()
        error = ApiError(
            kind="bad_gateway", message="the stream ended before it was complete", status=502
        )
        return out + self._finish("error", error)

    # ----------------------------------------------------------------- blocks

    def _block_start(self, event: BlockStart) -> bytes:
        out = b""
        if self._open is not None:
            out += self._stop(self._open)
        part = event.part
        index = len(self._output)
        if isinstance(part, TextPart):
            if part.signature is not None:
                # the carrier goes in front of a message item of the signed text's own
                out += self._close_message()
                out += self._carrier(part.signature)
            if self._message is None:
                index = len(self._output)
                self._message = {
                    "id": stable_id("msg_", self._id, str(index)),
                    "type": "message",
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                }
                self._output.append(self._message)
                out += self._event(
                    "response.output_item.added", {"output_index": index, "item": self._message}
                )
            index = len(self._output) - 1
            block = _Block("text", self._message, index, len(self._message["content"]))
            out += self._event(
                "response.content_part.added",
                {**self._where(block), "part": _text_part("")},
            )
        else:
            out += self._close_message()
            index = len(self._output)
            if isinstance(part, ThinkingPart):
                rid = part.id or stable_id("rs_", self._id, str(index))
                item: dict[str, Any] = {"id": rid, "type": "reasoning", "summary": []}
                block = _Block("thinking", item, index, part=part, signature=part.signature)
                self._output.append(item)
                out += self._event(
                    "response.output_item.added", {"output_index": index, "item": item}
                )
            else:
                item = self._call_item(part)
                block = _Block(
                    "tool", item, index, part=part, signature=part.signature, pending=True
                )
        self._blocks[event.index] = block
        self._open = event.index
        return out

    def _call_item(self, part: ToolCallPart) -> dict[str, Any]:
        name, namespace = part.name, None
        mark = marker(part.extra)
        if isinstance(mark.get("ns"), str) and isinstance(mark.get("name"), str):
            namespace, name = mark["ns"], mark["name"]
        elif part.name in self._ns:
            namespace, name = self._ns[part.name]
        item: dict[str, Any] = {
            "id": stable_id("fc_", part.id),
            "type": "function_call",
            "status": "in_progress",
            "call_id": part.id,
            "name": name,
            "arguments": "",
        }
        if namespace is not None:
            item["namespace"] = namespace
        return item

    def _flush_call(self, block: _Block) -> bytes:
        if not block.pending:
            return b""
        block.pending = False
        out = b""
        if block.signature is not None:
            out += self._carrier(block.signature)
        block.output_index = len(self._output)
        self._output.append(block.item)
        added = dict(block.item)
        return out + self._event(
            "response.output_item.added", {"output_index": block.output_index, "item": added}
        )

    def _carrier(self, signature: Signature) -> bytes:
        """A reasoning item holding a Gemini signature for the part that follows it."""
        carrier = ThinkingPart(signature=signature, extra={"carrier": True})
        encrypted = reasoning.opaque_for(carrier, FMT) or ""
        index = len(self._output)
        item = {
            "id": stable_id("rs_", encrypted),
            "type": "reasoning",
            "summary": [],
            "encrypted_content": encrypted,
        }
        self._output.append(item)
        return self._event(
            "response.output_item.added",
            {"output_index": index, "item": {**item, "encrypted_content": None}},
        ) + self._event("response.output_item.done", {"output_index": index, "item": item})

    def _where(self, block: _Block) -> dict[str, Any]:
        where: dict[str, Any] = {"item_id": block.item["id"], "output_index": block.output_index}
        if block.kind == "text":
            where["content_index"] = block.content_index
        elif block.kind == "thinking":
            where["summary_index"] = 0
        return where

    def _delta(self, index: int, text: str) -> bytes:
        block = self._blocks.get(index)
        if block is None or self._open != index or not text:
            return b""
        block.text.append(text)
        if block.kind == "text":
            return self._event(
                "response.output_text.delta", {**self._where(block), "delta": text, "logprobs": []}
            )
        if block.kind == "thinking":
            out = b""
            if not block.summary_open:
                block.summary_open = True
                out += self._event(
                    "response.reasoning_summary_part.added",
                    {**self._where(block), "part": {"type": "summary_text", "text": ""}},
                )
            return out + self._event(
                "response.reasoning_summary_text.delta", {**self._where(block), "delta": text}
            )
        return self._flush_call(block) + self._event(
            "response.function_call_arguments.delta", {**self._where(block), "delta": text}
        )

    def _signature(self, event: SignatureDelta) -> None:
        block = self._blocks.get(event.index)
        if block is None or self._open != event.index:
            return
        if block.kind == "thinking" or block.pending:
            block.signature = event.signature
        else:
            policy.drop("part signature", FMT, "its output item has already begun")

    def _stop(self, index: int, status: str = "completed") -> bytes:
        block = self._blocks.get(index)
        if block is None or self._open != index:
            return b""
        self._open = None
        text = "".join(block.text)
        # a call with no argument fragments is added only now (after its carrier, if any)
        flushed = self._flush_call(block) if block.kind == "tool" else b""
        where = self._where(block)
        if block.kind == "text":
            done = _text_part(text)
            block.item["content"].append(done)
            return self._event(
                "response.output_text.done", {**where, "text": text, "logprobs": []}
            ) + self._event("response.content_part.done", {**where, "part": done})
        out = flushed
        if block.kind == "thinking":
            if block.summary_open:
                summary = {"type": "summary_text", "text": text}
                out += self._event("response.reasoning_summary_text.done", {**where, "text": text})
                out += self._event(
                    "response.reasoning_summary_part.done", {**where, "part": summary}
                )
                block.item["summary"] = [summary]
            if block.signature is not None:
                original = block.part if isinstance(block.part, ThinkingPart) else ThinkingPart()
                signed = ThinkingPart(
                    text=text,
                    signature=block.signature,
                    redacted=original.redacted,
                    id=original.id,
                    extra={"carrier": True} if original.extra.get("carrier") else {},
                )
                block.item["encrypted_content"] = reasoning.opaque_for(signed, FMT)
        else:
            block.item["arguments"] = text
            block.item["status"] = status
            out += self._event(
                "response.function_call_arguments.done", {**where, "arguments": text}
            )
        return out + self._event(
            "response.output_item.done", {"output_index": block.output_index, "item": block.item}
        )

    def _close_message(self, status: str = "completed") -> bytes:
        if self._message is None:
            return b""
        item, self._message = self._message, None
        item["status"] = status
        index = self._output.index(item)
        return self._event("response.output_item.done", {"output_index": index, "item": item})

    def _finish(self, stop_reason: StopReason, error: ApiError | None) -> bytes:
        self._finished = True
        cut = "incomplete" if error is not None else "completed"
        out = b""
        if self._open is not None:
            out += self._stop(self._open, cut)
        out += self._close_message(cut)
        if error is not None or stop_reason == "error":
            info = {
                "code": (error.code if error else None) or "server_error",
                "message": error.message if error else "the upstream failed",
            }
            return out + self._event(
                "response.failed", {"response": self._response("failed", error=info)}
            )
        status, incomplete = status_of(stop_reason)
        body = self._response(status, incomplete_details=incomplete)
        return out + self._event(f"response.{status}", {"response": body})


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
