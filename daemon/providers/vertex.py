"""Vertex AI with an API key (``vertex-api-key`` entries), Vertex AI "express mode".

Express mode uses the global endpoint without project or location:
``https://aiplatform.googleapis.com/v1/publishers/google/models/{model}:generateContent``
(cloud.google.com/vertex-ai/generative-ai/docs/reference/express-mode/rest). A ``base-url``
replaces the host part, for Vertex-compatible gateways.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from daemon.providers.base import Credential, UpstreamRequest
from daemon.providers.common import model_segment, only
from daemon.providers.gemini import GeminiProvider, gemini_headers

DEFAULT_BASE_URL = "https://aiplatform.googleapis.com"
API_VERSION = "v1"

# publishers.models.countTokens takes these fields directly (not a wrapped request).
COUNT_TOKENS_FIELDS = frozenset(
    {
        "contents",
        "tools",
        "systemInstruction",
        "system_instruction",
        "generationConfig",
        "generation_config",
        "instances",
    }
)


class VertexProvider(GeminiProvider):
    """Gemini's wire format and requests at Vertex's URLs; only token counting differs."""

    family = "vertex"

    def models_url(self, credential: Credential) -> str:
        return f"{credential.base_url}/{API_VERSION}/publishers/google/models"

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
        return UpstreamRequest(
            method="POST",
            url=f"{self.models_url(credential)}/{model_segment(model)}:countTokens",
            headers=gemini_headers(credential, client_headers, stream=False),
            body=orjson.dumps(only(source, COUNT_TOKENS_FIELDS)),
            stream=False,
        )
