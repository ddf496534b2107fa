"""OpenAI Chat Completions (protocols.md B1), plus the OpenAI auth and error shapes."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from aiohttp import web

from .base import Failure, WireFormat, bearer
from .script import ID, Conversation, Options, Reply, Script, dumps, text_of

_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request (scripted by the mock)."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def openai_error(
    status: int, message: str | None = None, retry_after: int = 1, code: str | None = None
) -> Failure:
    kind, default_code, default_message = _ERRORS.get(
        status, ("api_error", None, f"Scripted error {status}.")
    )
    text = message or default_message
    headers = {"Content-Type": "application/json", "x-request-id": "req_mock"}
    if status == 429:
        text = f"{text} Please try again in {retry_after}s."
        headers |= {
            "Retry-After": str(retry_after),
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{retry_after}s",
            "x-ratelimit-reset-tokens": f"{retry_after}s",
        }
    error = {"message": text, "type": kind, "param": None, "code": code or default_code}
    return Failure(status, dumps({"error": error}), headers)


def openai_authenticate(request: web.Request, keys: tuple[str, ...]) -> Failure | None:
    if not keys:
        return None
    token = bearer(request)
    if token is None:
        message = (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        return openai_error(401, message, code="missing_api_key")
    if token not in keys:
        masked = f"{token[:3]}***{token[-4:]}" if len(token) > 8 else "***"
        return openai_error(401, f"Incorrect API key provided: {masked}.")
    return None


def usage(reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reply.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


class OpenAIChat(WireFormat):
    name: ClassVar[str] = "openai-chat"
    signature_prefix: ClassVar[str] = ""  # chat has no signatures

    def authenticate(self, request: web.Request, keys: tuple[str, ...]) -> Failure | None:
        return openai_authenticate(request, keys)

    def error(self, status: int, message: str | None, retry_after: int) -> Failure:
        return openai_error(status, message, retry_after)

    def refusal(self, body: dict[str, Any], script: Script) -> Failure | None:
        if not (script.no_max_tokens and "max_tokens" in body):
            return None
        message = (
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead."
        )
        error = {
            "message": message,
            "type": "invalid_request_error",
            "param": "max_tokens",
            "code": "unsupported_parameter",
        }
        return Failure(400, dumps({"error": error}), {"Content-Type": "application/json"})

    def options(self, request: web.Request, body: dict[str, Any]) -> Options:
        stream_options = body.get("stream_options")
        include = isinstance(stream_options, dict) and stream_options.get("include_usage") is True
        return Options(include_usage=include)

    def conversation(self, body: dict[str, Any]) -> Conversation:
        conv = Conversation()
        messages = body.get("messages")
        messages = (
            [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
        )
        if messages and messages[-1].get("role") == "tool":
            conv.tool_result = text_of(messages[-1].get("content"))
        for message in reversed(messages):
            if message.get("role") == "user" and (text := text_of(message.get("content"))):
                conv.user_text = text
                break
        tools = body.get("tools")
        for tool in tools if isinstance(tools, list) else []:
            function = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                conv.add_tool(function["name"], function.get("parameters"))
        return conv

    def render(self, reply: Reply, opts: Options) -> bytes:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text or None,
            "refusal": None,
            "annotations": [],
        }
        if reply.thinking:
            message["reasoning_content"] = reply.thinking
        if reply.tool:
            message["tool_calls"] = [
                {
                    "id": f"call_{ID}",
                    "type": "function",
                    "function": {"name": reply.tool.name, "arguments": reply.tool.arguments},
                }
            ]
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": "tool_calls" if reply.tool else "stop",
        }
        return dumps(
            {
                "id": f"chatcmpl-{ID}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": reply.model,
                "choices": [choice],
                "usage": usage(reply),
                "service_tier": "default",
                "system_fingerprint": "fp_mock",
            }
        )

    def events(self, reply: Reply, opts: Options) -> list[bytes]:
        head = {
            "id": f"chatcmpl-{ID}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": reply.model,
            "service_tier": "default",
            "system_fingerprint": "fp_mock",
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            data = head | {"choices": [choice]}
            if opts.include_usage:
                data["usage"] = None
            return b"data: " + dumps(data) + b"\n\n"

        out = [chunk({"role": "assistant", "content": "", "refusal": None})]
        out += [chunk({"reasoning_content": piece}) for piece in reply.thinking_chunks]
        out += [chunk({"content": piece}) for piece in reply.chunks]
        if reply.tool:
            first = {
                "index": 0,
                "id": f"call_{ID}",
                "type": "function",
                "function": {"name": reply.tool.name, "arguments": ""},
            }
            out.append(chunk({"tool_calls": [first]}))
            for piece in reply.tool.fragments:
                out.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
        out.append(chunk({}, "tool_calls" if reply.tool else "stop"))
        if opts.include_usage:
            out.append(b"data: " + dumps(head | {"choices": [], "usage": usage(reply)}) + b"\n\n")
        out.append(b"data: [DONE]\n\n")
        return out

    def midstream_error(self, reply: Reply, opts: Options, sent: int) -> bytes:
        error = {
            "message": "The server had an error while processing your request.",
            "type": "server_error",
            "param": None,
            "code": "server_error",
        }
        return b"data: " + dumps({"error": error}) + b"\n\n"
