"""Anthropic Messages (protocols.md B3): messages, named SSE events, thinking signatures."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web

from .base import Failure, WireFormat, bearer
from .script import ID, Conversation, Options, Reply, dumps, sse, text_of

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request (scripted by the mock)."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "model: not found"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


def _error(status: int, message: str | None = None, retry_after: int = 1) -> Failure:
    kind, default = _ERRORS.get(status, ("api_error", f"Scripted error {status}."))
    headers = {"Content-Type": "application/json", "request-id": "req_mock"}
    if status == 429:
        reset = datetime.fromtimestamp(time.time() + retry_after, UTC)
        stamp = reset.strftime("%Y-%m-%dT%H:%M:%SZ")
        headers |= {
            "retry-after": str(retry_after),
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": stamp,
            "anthropic-ratelimit-tokens-reset": stamp,
        }
    body = {
        "type": "error",
        "error": {"type": kind, "message": message or default},
        "request_id": "req_mock",
    }
    return Failure(status, dumps(body), headers)


def _usage(reply: Reply, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": reply.input_tokens - reply.cached_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": reply.cached_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


class Anthropic(WireFormat):
    name: ClassVar[str] = "anthropic"
    signature_prefix: ClassVar[str] = "sig-"

    def authenticate(self, request: web.Request, keys: tuple[str, ...]) -> Failure | None:
        if keys:
            key = request.headers.get("x-api-key") or bearer(request)
            if not key:
                return _error(401, "x-api-key header is required")
            if key not in keys:
                return _error(401, "invalid x-api-key")
        if "anthropic-version" not in request.headers:
            return _error(400, "anthropic-version: header is required")
        return None

    def error(self, status: int, message: str | None, retry_after: int) -> Failure:
        return _error(status, message, retry_after)

    def conversation(self, body: dict[str, Any]) -> Conversation:
        conv = Conversation()
        messages = body.get("messages")
        messages = (
            [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
        )
        last = messages[-1].get("content") if messages else None
        if messages and messages[-1].get("role") == "user" and isinstance(last, list):
            results = [b for b in last if isinstance(b, dict) and b.get("type") == "tool_result"]
            if results:
                conv.tool_result = text_of(results[-1].get("content"))
        for message in reversed(messages):
            if message.get("role") != "user":
                continue
            content = message.get("content")
            if isinstance(content, list):
                content = [b for b in content if isinstance(b, dict) and b.get("type") == "text"]
            if text := text_of(content):
                conv.user_text = text
                break
        tools = body.get("tools")
        for tool in tools if isinstance(tools, list) else []:
            if isinstance(tool, dict) and isinstance(tool.get("input_schema"), dict):
                conv.add_tool(str(tool.get("name")), tool["input_schema"])
        return conv

    def echoes(self, body: dict[str, Any]) -> list[tuple[str, str | None]]:
        found: list[tuple[str, str | None]] = []
        messages = body.get("messages")
        for message in messages if isinstance(messages, list) else []:
            if not isinstance(message, dict) or message.get("role") != "assistant":
                continue
            content = message.get("content")
            for block in content if isinstance(content, list) else []:
                if isinstance(block, dict) and block.get("type") == "thinking":
                    signature, thinking = block.get("signature"), block.get("thinking")
                    if isinstance(signature, str):
                        found.append((signature, thinking if isinstance(thinking, str) else ""))
        return found

    def _blocks(self, reply: Reply) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if reply.thinking:
            blocks.append(
                {"type": "thinking", "thinking": reply.thinking, "signature": reply.signature}
            )
        if reply.text:
            blocks.append({"type": "text", "text": reply.text})
        if reply.tool:
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{ID}",
                    "name": reply.tool.name,
                    "input": reply.tool.args,
                }
            )
        return blocks

    def _message(self, reply: Reply, content: list[Any], stop: str | None) -> dict[str, Any]:
        return {
            "id": f"msg_{ID}",
            "type": "message",
            "role": "assistant",
            "model": reply.model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": _usage(reply, reply.output_tokens if stop else 1),
        }

    def render(self, reply: Reply, opts: Options) -> bytes:
        stop = "tool_use" if reply.tool else "end_turn"
        return dumps(self._message(reply, self._blocks(reply), stop))

    def events(self, reply: Reply, opts: Options) -> list[bytes]:
        out = [
            sse(
                {"type": "message_start", "message": self._message(reply, [], None)},
                "message_start",
            ),
            sse({"type": "ping"}, "ping"),
        ]

        def block(index: int, start: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
            begin = {"type": "content_block_start", "index": index, "content_block": start}
            out.append(sse(begin, "content_block_start"))
            for delta in deltas:
                data = {"type": "content_block_delta", "index": index, "delta": delta}
                out.append(sse(data, "content_block_delta"))
            out.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))

        index = 0
        if reply.thinking:
            deltas = [{"type": "thinking_delta", "thinking": t} for t in reply.thinking_chunks]
            deltas.append({"type": "signature_delta", "signature": reply.signature})
            block(index, {"type": "thinking", "thinking": "", "signature": ""}, deltas)
            index += 1
        if reply.text:
            deltas = [{"type": "text_delta", "text": t} for t in reply.chunks]
            block(index, {"type": "text", "text": ""}, deltas)
            index += 1
        if reply.tool:
            start = {"type": "tool_use", "id": f"toolu_{ID}", "name": reply.tool.name, "input": {}}
            pieces = ("", *reply.tool.fragments)
            block(index, start, [{"type": "input_json_delta", "partial_json": p} for p in pieces])
        stop = "tool_use" if reply.tool else "end_turn"
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": _usage(reply, reply.output_tokens),
        }
        out.append(sse(delta, "message_delta"))
        out.append(sse({"type": "message_stop"}, "message_stop"))
        return out

    def midstream_error(self, reply: Reply, opts: Options, sent: int) -> bytes:
        error = {"type": "overloaded_error", "message": "Overloaded"}
        return sse({"type": "error", "error": error, "request_id": "req_mock"}, "error")
