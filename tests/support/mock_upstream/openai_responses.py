"""OpenAI Responses (protocols.md B2): response objects and the typed event stream."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from aiohttp import web

from .base import Failure, WireFormat
from .openai_chat import openai_authenticate, openai_error
from .script import ID, Conversation, Options, Reply, dumps, sse, text_of

_TEXT_PART = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}


def _usage(reply: Reply) -> dict[str, Any]:
    return {
        "input_tokens": reply.input_tokens,
        "input_tokens_details": {"cached_tokens": reply.cached_tokens},
        "output_tokens": reply.output_tokens,
        "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def _response(reply: Reply, created: int, status: str, output: list[Any]) -> dict[str, Any]:
    done = status == "completed"
    return {
        "id": f"resp_{ID}",
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": reply.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": "medium" if reply.thinking else None, "summary": None},
        "service_tier": "default",
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _usage(reply) if done else None,
        "user": None,
        "metadata": {},
    }


def _reasoning(reply: Reply, opts: Options, done: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"id": f"rs_{ID}", "type": "reasoning", "summary": []}
    if done:
        item["summary"] = [{"type": "summary_text", "text": reply.thinking}]
    if opts.include_encrypted:
        item["encrypted_content"] = reply.signature
    return item


def _message(reply: Reply, done: bool) -> dict[str, Any]:
    content = [_TEXT_PART | {"text": reply.text}] if done else []
    status = "completed" if done else "in_progress"
    return {
        "id": f"msg_{ID}",
        "type": "message",
        "status": status,
        "content": content,
        "role": "assistant",
    }


def _call(reply: Reply, done: bool) -> dict[str, Any]:
    assert reply.tool is not None
    return {
        "id": f"fc_{ID}",
        "type": "function_call",
        "status": "completed" if done else "in_progress",
        "arguments": reply.tool.arguments if done else "",
        "call_id": f"call_{ID}",
        "name": reply.tool.name,
    }


def _output(reply: Reply, opts: Options) -> list[dict[str, Any]]:
    output = [_reasoning(reply, opts, True)] if reply.thinking else []
    if reply.tool:
        output.append(_call(reply, True))
    else:
        output.append(_message(reply, True))
    return output


class OpenAIResponses(WireFormat):
    name: ClassVar[str] = "openai-responses"
    signature_prefix: ClassVar[str] = "enc-"

    def authenticate(self, request: web.Request, keys: tuple[str, ...]) -> Failure | None:
        return openai_authenticate(request, keys)

    def error(self, status: int, message: str | None, retry_after: int) -> Failure:
        return openai_error(status, message, retry_after)

    def options(self, request: web.Request, body: dict[str, Any]) -> Options:
        include = body.get("include")
        asked = isinstance(include, list) and "reasoning.encrypted_content" in include
        return Options(include_encrypted=asked)

    def conversation(self, body: dict[str, Any]) -> Conversation:
        conv = Conversation()
        items = body.get("input")
        if isinstance(items, str):
            conv.user_text = items
            items = []
        items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        if items and items[-1].get("type") == "function_call_output":
            conv.tool_result = text_of(items[-1].get("output"))
        for item in reversed(items):
            is_user = item.get("type", "message") == "message" and item.get("role") == "user"
            if is_user and (text := text_of(item.get("content"))):
                conv.user_text = text
                break
        tools = body.get("tools")
        for tool in tools if isinstance(tools, list) else []:
            if isinstance(tool, dict) and tool.get("type") == "function":
                conv.add_tool(str(tool.get("name")), tool.get("parameters"))
        return conv

    def echoes(self, body: dict[str, Any]) -> list[tuple[str, str | None]]:
        items = body.get("input")
        found: list[tuple[str, str | None]] = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("type") == "reasoning":
                enc = item.get("encrypted_content")
                if isinstance(enc, str):
                    found.append((enc, None))
        return found

    def render(self, reply: Reply, opts: Options) -> bytes:
        return dumps(_response(reply, int(time.time()), "completed", _output(reply, opts)))

    def events(self, reply: Reply, opts: Options) -> list[bytes]:
        created = int(time.time())
        out: list[bytes] = []

        def emit(kind: str, **fields: Any) -> None:
            out.append(sse({"type": kind, "sequence_number": len(out), **fields}, kind))

        start = _response(reply, created, "in_progress", [])
        emit("response.created", response=start)
        emit("response.in_progress", response=start)
        index = 0
        at: dict[str, Any]
        done_part: dict[str, Any]
        if reply.thinking:
            at = {"item_id": f"rs_{ID}", "output_index": index}
            part = {"type": "summary_text", "text": ""}
            done_part = part | {"text": reply.thinking}
            emit(
                "response.output_item.added",
                output_index=index,
                item=_reasoning(reply, opts, False),
            )
            emit("response.reasoning_summary_part.added", **at, summary_index=0, part=part)
            for piece in reply.thinking_chunks:
                emit("response.reasoning_summary_text.delta", **at, summary_index=0, delta=piece)
            emit("response.reasoning_summary_text.done", **at, summary_index=0, text=reply.thinking)
            emit("response.reasoning_summary_part.done", **at, summary_index=0, part=done_part)
            emit(
                "response.output_item.done", output_index=index, item=_reasoning(reply, opts, True)
            )
            index += 1
        if reply.tool:
            at = {"item_id": f"fc_{ID}", "output_index": index}
            emit("response.output_item.added", output_index=index, item=_call(reply, False))
            for piece in reply.tool.fragments:
                emit("response.function_call_arguments.delta", **at, delta=piece)
            emit("response.function_call_arguments.done", **at, arguments=reply.tool.arguments)
            emit("response.output_item.done", output_index=index, item=_call(reply, True))
        else:
            at = {"item_id": f"msg_{ID}", "output_index": index, "content_index": 0}
            done_part = _TEXT_PART | {"text": reply.text}
            emit("response.output_item.added", output_index=index, item=_message(reply, False))
            emit("response.content_part.added", **at, part=_TEXT_PART)
            for piece in reply.chunks:
                emit("response.output_text.delta", **at, delta=piece, logprobs=[])
            emit("response.output_text.done", **at, text=reply.text, logprobs=[])
            emit("response.content_part.done", **at, part=done_part)
            emit("response.output_item.done", output_index=index, item=_message(reply, True))
        final = _response(reply, created, "completed", _output(reply, opts))
        emit("response.completed", response=final)
        return out

    def midstream_error(self, reply: Reply, opts: Options, sent: int) -> bytes:
        failed = _response(reply, int(time.time()), "failed", [])
        failed["error"] = {
            "code": "server_error",
            "message": "The model failed to generate a response (scripted by the mock).",
        }
        data = {"type": "response.failed", "sequence_number": sent, "response": failed}
        return sse(data, "response.failed")
