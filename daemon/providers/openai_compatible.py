"""OpenAI-compatible services (``openai-compatibility`` entries): Chat Completions upstreams.

An entry without ``base-url`` whose ``name`` is a known service gets that service's base URL
from `PRESETS`, so ``- name: openrouter`` with a key is a complete entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

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
    # platform.openai.com/docs/api-reference: OpenAI's own Chat Completions (codex-api-key
    # entries reach its Responses API instead)
    "openai": "https://api.openai.com/v1",
}


def default_max_tokens_field(base_url: str) -> str | None:
    """OpenAI's own API wants ``max_completion_tokens``: its reasoning models (o-series, gpt-5)
    refuse ``max_tokens``, which the other formats' limits translate to. Elsewhere: as sent."""
    host = urlsplit(base_url).hostname or ""
    return "max_completion_tokens" if host == "api.openai.com" else None


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
            body=body_with_model(_token_limit_in(body, credential.max_tokens_field), model, stream),
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


_TOKEN_LIMIT_FIELDS = ("max_tokens", "max_completion_tokens")


def _token_limit_in(body: dict[str, Any], field: str | None) -> dict[str, Any]:
    """`body` with its output-token limit moved to `field` (a copy when it moves)."""
    if field is None or field in body:
        return body
    other = _TOKEN_LIMIT_FIELDS[1 - _TOKEN_LIMIT_FIELDS.index(field)]
    if other not in body:
        return body
    moved = {k: v for k, v in body.items() if k != other}
    moved[field] = body[other]
    return moved
