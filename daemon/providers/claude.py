"""Anthropic Messages API with an API key (``claude-api-key`` entries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from daemon.model import WireFormat
from daemon.providers.base import Credential, UpstreamRequest
from daemon.providers.common import base_headers, body_with_model, finish_headers, lowered, only

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_VERSION = "2023-06-01"

# What /v1/messages/count_tokens accepts; it refuses the rest of a Messages body
# (max_tokens, stream, temperature, metadata, ...) as extra inputs.
COUNT_TOKENS_FIELDS = frozenset(
    {
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "cache_control",
        "context_management",
        "mcp_servers",
        "output_config",
        "output_format",
        "speed",
    }
)


def _headers(
    credential: Credential, client_headers: Mapping[str, str], *, stream: bool
) -> dict[str, str]:
    client = lowered(client_headers)
    headers = base_headers(stream)
    headers["x-api-key"] = credential.api_key
    headers["anthropic-version"] = client.get("anthropic-version") or DEFAULT_VERSION
    beta = client.get("anthropic-beta")
    if beta:
        headers["anthropic-beta"] = beta
    return finish_headers(headers, credential, client_headers)


class ClaudeProvider:
    family = "claude"
    wire_format = WireFormat.ANTHROPIC

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
            url=f"{credential.base_url}/v1/messages",
            headers=_headers(credential, client_headers, stream=stream),
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
        return UpstreamRequest(
            method="POST",
            url=f"{credential.base_url}/v1/messages/count_tokens",
            headers=_headers(credential, client_headers, stream=False),
            body=body_with_model(only(body, COUNT_TOKENS_FIELDS), model, None),
            stream=False,
        )
