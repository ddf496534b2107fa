"""OpenAI-compatible services (``openai-compatibility`` entries): Chat Completions upstreams.

An entry without ``base-url`` whose ``name`` is a known service gets that service's base URL
from `PRESETS`, so ``- name: openrouter`` with a key is a complete entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from daemon.model import WireFormat
from daemon.providers.base import Credential, UpstreamRequest
from daemon.providers.common import base_headers, body_with_model, finish_headers

# Official OpenAI-compatible base URLs, each from the service's own documentation.
PRESETS: Mapping[str, str] = {
    # openrouter.ai/docs/quickstart (OpenAI SDK base_url)
    "openrouter": "https://openrouter.ai/api/v1",
    # api-docs.deepseek.com ("base_url: https://api.deepseek.com"; /v1 is an accepted alias)
    "deepseek": "https://api.deepseek.com",
    # console.groq.com/docs/openai
    "groq": "https://api.groq.com/openai/v1",
    # docs.mistral.ai/api (server https://api.mistral.ai/v1)
    "mistral": "https://api.mistral.ai/v1",
    # docs.together.ai/docs/openai-api-compatibility
    "together": "https://api.together.xyz/v1",
    # docs.fireworks.ai/tools-sdks/openai-compatibility
    "fireworks": "https://api.fireworks.ai/inference/v1",
    # novita.ai/docs/guides/llm-api ("The API Base URL: https://api.novita.ai/v3/openai")
    "novita": "https://api.novita.ai/v3/openai",
    # docs.siliconflow.com quick start: the global endpoint; mainland China accounts use .cn
    "siliconflow": "https://api.siliconflow.com/v1",
    # docs.siliconflow.cn/docs/userguide/quickstart
    "siliconflow-cn": "https://api.siliconflow.cn/v1",
}


def preset_base_url(name: str) -> str | None:
    """The preset base URL for an entry name (case and spacing ignored), or None."""
    key = name.strip().lower().replace(" ", "").replace("_", "-")
    return PRESETS.get(key)


class OpenAICompatibleProvider:
    family = "openai-compatible"
    wire_format = WireFormat.OPENAI_CHAT

    def build_request(
        self,
        credential: Credential,
        model: str,
        body: dict[str, Any],
        *,
        stream: bool,
        client_headers: Mapping[str, str],
    ) -> UpstreamRequest:
        headers = base_headers(stream)
        if credential.api_key:  # keyless entries (local servers) send no Authorization
            headers["authorization"] = f"Bearer {credential.api_key}"
        return UpstreamRequest(
            method="POST",
            url=f"{credential.base_url}/chat/completions",
            headers=finish_headers(headers, credential, client_headers),
            body=body_with_model(body, model, stream),
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
        return None  # Chat Completions has no token-count endpoint
