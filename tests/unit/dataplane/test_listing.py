"""daemon.dataplane.listing: model lists and single models in each API's shape."""

from __future__ import annotations

import pytest

from daemon.dataplane.listing import CREATED, GEMINI_METHODS, model_list, model_retrieve
from daemon.errors import NotFound
from daemon.model import WireFormat
from daemon.routing.registry import ModelInfo

MODELS = [
    ModelInfo("claude-sonnet-4-6", "claude", "claude"),
    ModelInfo("team/gpt-x", "openrouter", "openai-compatible"),
]


def test_openai_list() -> None:
    assert model_list(WireFormat.OPENAI_CHAT, MODELS) == {
        "object": "list",
        "data": [
            {
                "id": "claude-sonnet-4-6",
                "object": "model",
                "created": CREATED,
                "owned_by": "claude",
            },
            {"id": "team/gpt-x", "object": "model", "created": CREATED, "owned_by": "openrouter"},
        ],
    }


def test_responses_clients_get_the_openai_list_too() -> None:
    assert model_list(WireFormat.OPENAI_RESPONSES, MODELS) == model_list(
        WireFormat.OPENAI_CHAT, MODELS
    )


def test_anthropic_list() -> None:
    listed = model_list(WireFormat.ANTHROPIC, MODELS)
    assert listed["has_more"] is False
    assert listed["first_id"] == "claude-sonnet-4-6"
    assert listed["last_id"] == "team/gpt-x"
    assert listed["data"][0] == {
        "type": "model",
        "id": "claude-sonnet-4-6",
        "display_name": "claude-sonnet-4-6",
        "created_at": "2023-11-14T22:13:20Z",
    }


def test_gemini_list() -> None:
    listed = model_list(WireFormat.GEMINI, MODELS)
    assert listed == {
        "models": [
            {
                "name": "models/claude-sonnet-4-6",
                "displayName": "claude-sonnet-4-6",
                "description": "served by cliproxy via claude",
                "supportedGenerationMethods": GEMINI_METHODS,
            },
            {
                "name": "models/team/gpt-x",
                "displayName": "team/gpt-x",
                "description": "served by cliproxy via openrouter",
                "supportedGenerationMethods": GEMINI_METHODS,
            },
        ]
    }


@pytest.mark.parametrize("shape", list(WireFormat))
def test_empty_lists(shape: WireFormat) -> None:
    listed = model_list(shape, [])
    if shape == WireFormat.ANTHROPIC:
        assert listed == {"data": [], "has_more": False, "first_id": None, "last_id": None}
    elif shape == WireFormat.GEMINI:
        assert listed == {"models": []}
    else:
        assert listed == {"object": "list", "data": []}


@pytest.mark.parametrize(
    ("shape", "key", "value"),
    [
        (WireFormat.OPENAI_CHAT, "object", "model"),
        (WireFormat.ANTHROPIC, "type", "model"),
        (WireFormat.GEMINI, "name", "models/team/gpt-x"),
    ],
)
def test_retrieve_answers_in_the_shape(shape: WireFormat, key: str, value: str) -> None:
    found = model_retrieve(shape, MODELS, "team/gpt-x")
    assert found[key] == value
    assert found == model_list(shape, MODELS)["models" if shape == WireFormat.GEMINI else "data"][1]


def test_retrieving_an_unknown_model_is_a_404_naming_it() -> None:
    with pytest.raises(NotFound) as caught:
        model_retrieve(WireFormat.OPENAI_CHAT, MODELS, "nope")
    assert caught.value.status == 404
    assert "'nope'" in caught.value.message
    assert "GET /v1/models" in caught.value.message
