"""Model lists and single models in the shape each API's clients expect."""

from __future__ import annotations

from typing import Any

from daemon.errors import NotFound
from daemon.model import WireFormat
from daemon.routing.registry import ModelInfo

# Model lists carry a creation time; a fixed one keeps answers stable across restarts.
CREATED = 1_700_000_000
GEMINI_METHODS = ["generateContent", "streamGenerateContent", "countTokens"]


def model_list(shape: WireFormat, models: list[ModelInfo]) -> dict[str, Any]:
    """`GET /v1/models` (OpenAI or Anthropic) or `GET /v1beta/models` (Gemini)."""
    if shape == WireFormat.ANTHROPIC:
        data = [_anthropic(m) for m in models]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    if shape == WireFormat.GEMINI:
        return {"models": [_gemini(m) for m in models]}
    return {"object": "list", "data": [_openai(m) for m in models]}


def model_retrieve(shape: WireFormat, models: list[ModelInfo], wanted: str) -> dict[str, Any]:
    for info in models:
        if info.id == wanted:
            if shape == WireFormat.ANTHROPIC:
                return _anthropic(info)
            if shape == WireFormat.GEMINI:
                return _gemini(info)
            return _openai(info)
    raise NotFound(f"model {wanted!r} is not served by this proxy; list them with GET /v1/models")


def _openai(info: ModelInfo) -> dict[str, Any]:
    return {"id": info.id, "object": "model", "created": CREATED, "owned_by": info.owned_by}


def _anthropic(info: ModelInfo) -> dict[str, Any]:
    return {
        "type": "model",
        "id": info.id,
        "display_name": info.id,
        "created_at": "2023-11-14T22:13:20Z",
    }


def _gemini(info: ModelInfo) -> dict[str, Any]:
    return {
        "name": f"models/{info.id}",
        "displayName": info.id,
        "description": f"served by cliproxy via {info.owned_by}",
        "supportedGenerationMethods": GEMINI_METHODS,
    }
