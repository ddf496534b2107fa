"""Gemini API (Google AI Studio) with an API key (``gemini-api-key`` entries).

The model travels in the URL, never in the body. Streams are always asked for as SSE
(``alt=sse``); the data plane re-frames them for clients that want the JSON-array stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from daemon.model import WireFormat
from daemon.providers.base import Credential, UpstreamRequest
from daemon.providers.common import (
    base_headers,
    body_without_model,
    finish_headers,
    model_segment,
    only,
)

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
API_VERSION = "v1beta"

# The fields of a GenerateContentRequest (camelCase, and the snake_case spelling that proto
# JSON parsing also accepts, which google-genai sends). countTokens takes them wrapped in
# `generateContentRequest`, so the system instruction and tools are counted too.
GENERATE_CONTENT_FIELDS = frozenset(
    {
        "contents",
        "tools",
        "toolConfig",
        "tool_config",
        "safetySettings",
        "safety_settings",
        "systemInstruction",
        "system_instruction",
        "generationConfig",
        "generation_config",
        "cachedContent",
        "cached_content",
    }
)


def gemini_headers(
    credential: Credential, client_headers: Mapping[str, str], *, stream: bool
) -> dict[str, str]:
    headers = base_headers(stream)
    headers["x-goog-api-key"] = credential.api_key
    return finish_headers(headers, credential, client_headers)


def method_url(models_url: str, model: str, *, stream: bool) -> str:
    """``{models_url}/{model}:generateContent``, or the SSE stream method."""
    if stream:
        return f"{models_url}/{model_segment(model)}:streamGenerateContent?alt=sse"
    return f"{models_url}/{model_segment(model)}:generateContent"


class GeminiProvider:
    family = "gemini"
    wire_format = WireFormat.GEMINI

    def models_url(self, credential: Credential) -> str:
        return f"{credential.base_url}/{API_VERSION}/models"

    def build_request(
        self,
        credential: Credential,
        model: str,
        body: dict[str, Any],
        *,
        stream: bool,
        client_headers: Mapping[str, str],
    ) -> UpstreamRequest:
        return UpstreamRequest(
            method="POST",
            url=method_url(self.models_url(credential), model, stream=stream),
            headers=gemini_headers(credential, client_headers, stream=stream),
            body=orjson.dumps(body_without_model(body)),
            stream=stream,
        )

    def build_count_tokens(
        self,
        credential: Credential,
        model: str,
        body: dict[str, Any],
        *,
        client_headers: Mapping[str, str],
    ) -> UpstreamRequest | None:
        inner = body.get("generateContentRequest", body.get("generate_content_request"))
        source = inner if isinstance(inner, dict) else body
        request = only(source, GENERATE_CONTENT_FIELDS)
        request["model"] = f"models/{model}"
        return UpstreamRequest(
            method="POST",
            url=f"{self.models_url(credential)}/{model_segment(model)}:countTokens",
            headers=gemini_headers(credential, client_headers, stream=False),
            body=orjson.dumps({"generateContentRequest": request}),
            stream=False,
        )
