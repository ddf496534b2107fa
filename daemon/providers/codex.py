"""Codex with an API key (``codex-api-key`` entries): the OpenAI Responses API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from daemon.model import WireFormat
from daemon.providers.base import Credential, UpstreamRequest
from daemon.providers.common import base_headers, body_with_model, finish_headers

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class CodexProvider:
    family = "codex"
    wire_format = WireFormat.OPENAI_RESPONSES

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
        headers["authorization"] = f"Bearer {credential.api_key}"
        return UpstreamRequest(
            method="POST",
            url=f"{credential.base_url}/responses",
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
        return None  # not asked upstream: the data plane counts locally
