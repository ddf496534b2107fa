"""Gemini API (protocols.md B4): generateContent, SSE and JSON-array streams, thought signatures.

The request side accepts camelCase and snake_case field names alike.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from .base import JSON_HEADERS, Failure, WireFormat, bearer
from .script import ID, Conversation, Options, Reply, dumps, text_of

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_MESSAGES = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission.",
    404: "models/unknown is not found for API version v1beta.",
    500: "An internal error has occurred. Please retry or report in the troubleshooting guide.",
    503: "The model is overloaded. Please try again later.",
}
_TYPE = "type.googleapis.com/google.rpc."


def get(obj: Any, camel: str, snake: str) -> Any:
    """`obj[camel]`, else `obj[snake]` (None when `obj` is no object)."""
    if not isinstance(obj, dict):
        return None
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def gemini_error(status: int, message: str | None = None, retry_after: int = 1) -> Failure:
    details: list[dict[str, Any]] = []
    if status == 429:
        message = message or (
            "You exceeded your current quota, please check your plan and billing details. "
            f"Please retry in {retry_after}s."
        )
        violation = {
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
        }
        details = [
            {"@type": _TYPE + "QuotaFailure", "violations": [violation]},
            {"@type": _TYPE + "RetryInfo", "retryDelay": f"{retry_after}s"},
        ]
    elif status in (400, 401) and message is None:
        message = "API key not valid. Please pass a valid API key."
        reason = {"service": "generativelanguage.googleapis.com"}
        details = [
            {
                "@type": _TYPE + "ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": reason,
            }
        ]
    error = {
        "code": status,
        "message": message or _MESSAGES.get(status, f"Scripted error {status}."),
        "status": _STATUS.get(status, "UNKNOWN"),
    }
    if details:
        error["details"] = details
    return Failure(status, dumps({"error": error}), JSON_HEADERS)


def _usage(reply: Reply, final: bool) -> dict[str, Any]:
    usage: dict[str, Any] = {"promptTokenCount": reply.input_tokens}
    visible = reply.output_tokens - reply.reasoning_tokens
    if final:
        usage["candidatesTokenCount"] = visible
    usage["totalTokenCount"] = reply.input_tokens + (reply.output_tokens if final else 0)
    if reply.cached_tokens:
        usage["cachedContentTokenCount"] = reply.cached_tokens
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": reply.input_tokens}]
    if final and reply.reasoning_tokens:
        usage["thoughtsTokenCount"] = reply.reasoning_tokens
    return usage


class Gemini(WireFormat):
    name: ClassVar[str] = "gemini"
    signature_prefix: ClassVar[str] = "tsig-"
    sign_tool_calls: ClassVar[bool] = True

    def __init__(self, invalid_key_status: int = 401) -> None:
        self.invalid_key_status = invalid_key_status

    def signature(self, n: int) -> str:
        """base64 of `tsig-<n>`: the field is bytes on the wire (the SDKs decode it)."""
        return base64.b64encode(f"tsig-{n}".encode()).decode()

    def authenticate(self, request: web.Request, keys: tuple[str, ...]) -> Failure | None:
        if not keys:
            return None
        key = request.headers.get("x-goog-api-key") or request.query.get("key") or bearer(request)
        if key not in keys:
            return gemini_error(self.invalid_key_status)
        return None

    def error(self, status: int, message: str | None, retry_after: int) -> Failure:
        return gemini_error(status, message, retry_after)

    def model(self, request: web.Request, body: dict[str, Any]) -> str:
        return request.match_info["target"].rpartition(":")[0]

    def is_stream(self, request: web.Request, body: dict[str, Any]) -> bool:
        return request.match_info["target"].endswith(":streamGenerateContent")

    def options(self, request: web.Request, body: dict[str, Any]) -> Options:
        config = get(body, "generationConfig", "generation_config")
        thinking = get(config, "thinkingConfig", "thinking_config")
        include = get(thinking, "includeThoughts", "include_thoughts") is True
        return Options(include_thoughts=include, sse=request.query.get("alt") == "sse")

    def conversation(self, body: dict[str, Any]) -> Conversation:
        conv = Conversation()
        contents = body.get("contents")
        contents = (
            [c for c in contents if isinstance(c, dict)] if isinstance(contents, list) else []
        )
        if contents:
            parts = contents[-1].get("parts")
            for part in parts if isinstance(parts, list) else []:
                response = get(part, "functionResponse", "function_response")
                if isinstance(response, dict):
                    conv.tool_result = _result_text(response.get("response"))
        for content in reversed(contents):
            if content.get("role", "user") == "user" and (text := text_of(content.get("parts"))):
                conv.user_text = text
                break
        tools = body.get("tools")
        for tool in tools if isinstance(tools, list) else []:
            declarations = get(tool, "functionDeclarations", "function_declarations")
            for declaration in declarations if isinstance(declarations, list) else []:
                schema = get(declaration, "parameters", "parameters") or get(
                    declaration, "parametersJsonSchema", "parameters_json_schema"
                )
                conv.add_tool(str(get(declaration, "name", "name")), schema)
        return conv

    def echoes(self, body: dict[str, Any]) -> list[tuple[str, str | None]]:
        found: list[tuple[str, str | None]] = []
        contents = body.get("contents")
        for content in contents if isinstance(contents, list) else []:
            if not isinstance(content, dict) or content.get("role") != "model":
                continue
            parts = content.get("parts")
            for part in parts if isinstance(parts, list) else []:
                signature = get(part, "thoughtSignature", "thought_signature")
                if isinstance(signature, str):
                    found.append((signature, None))
        return found

    def _parts(self, reply: Reply, opts: Options, texts: tuple[str, ...]) -> list[Any]:
        """Content parts; the signature rides on the function call, else on the last text."""
        parts: list[dict[str, Any]] = [{"text": t} for t in texts]
        if reply.tool:
            call = {"id": f"call_{ID}", "name": reply.tool.name, "args": reply.tool.args}
            parts.append({"functionCall": call})
        if reply.signature and parts:
            parts[-1]["thoughtSignature"] = reply.signature
        return parts

    def _chunk(self, reply: Reply, parts: list[Any], final: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if final:
            candidate["finishReason"] = "STOP"
        return {
            "candidates": [candidate],
            "usageMetadata": _usage(reply, final),
            "modelVersion": reply.model,
            "responseId": ID,
        }

    def _thought(self, reply: Reply, opts: Options) -> list[dict[str, Any]]:
        if opts.include_thoughts and reply.thinking:
            return [{"text": reply.thinking, "thought": True}]
        return []

    def render(self, reply: Reply, opts: Options) -> bytes:
        texts = (reply.text,) if reply.text else ()
        parts = self._thought(reply, opts) + self._parts(reply, opts, texts)
        return dumps(self._chunk(reply, parts, True))

    def events(self, reply: Reply, opts: Options) -> list[bytes]:
        chunks: list[dict[str, Any]] = []
        if opts.include_thoughts and reply.thinking:
            for piece in reply.thinking_chunks:
                chunks.append(self._chunk(reply, [{"text": piece, "thought": True}], False))
        if reply.tool:
            chunks.append(self._chunk(reply, self._parts(reply, opts, ()), True))
        else:
            for i, piece in enumerate(reply.chunks):
                last = i == len(reply.chunks) - 1
                parts = self._parts(reply, opts, (piece,)) if last else [{"text": piece}]
                chunks.append(self._chunk(reply, parts, last))
        return self._frame([dumps(c) for c in chunks], opts, closing=True)

    def _frame(
        self, bodies: list[bytes], opts: Options, closing: bool, first: bool = True
    ) -> list[bytes]:
        if opts.sse:
            return [b"data: " + body + b"\r\n\r\n" for body in bodies]
        out = [(b"[" if first and i == 0 else b",\r\n") + body for i, body in enumerate(bodies)]
        if closing:
            out.append(b"]")
        return out

    def midstream_error(self, reply: Reply, opts: Options, sent: int) -> bytes:
        error = {"code": 500, "message": _MESSAGES[500], "status": "INTERNAL"}
        return b"".join(self._frame([dumps({"error": error})], opts, True, first=sent == 0))

    def count(self, tokens: int) -> bytes:
        details = [{"modality": "TEXT", "tokenCount": tokens}]
        return dumps({"totalTokens": tokens, "promptTokensDetails": details})


def _result_text(response: Any) -> str:
    if isinstance(response, Mapping):
        for key in ("result", "output", "content"):
            value = response.get(key)
            if isinstance(value, str):
                return value
    return dumps(response).decode()


def models_list(models: tuple[str, ...]) -> bytes:
    entries = [
        {
            "name": f"models/{m}",
            "version": "001",
            "displayName": m,
            "description": "Mock model",
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
            "thinking": True,
        }
        for m in models
    ]
    return dumps({"models": entries})
