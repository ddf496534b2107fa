"""daemon.providers.common: header merging, ``$`` header copies, model placement in bodies."""

from __future__ import annotations

import orjson

from daemon.providers.base import Credential
from daemon.providers.common import (
    body_with_model,
    body_without_model,
    entry_headers,
    finish_headers,
    model_segment,
    only,
)


def test_entry_headers_lowercases_and_copies_dollar_values_from_the_client() -> None:
    configured = {"X-Custom": "v", "X-Session": "$X-Claude-Code-Session-Id", "X-Gone": "$Nope"}
    client = {"x-claude-code-session-id": "abc"}
    assert entry_headers(configured, client) == {"x-custom": "v", "x-session": "abc"}


def test_configured_headers_replace_defaults_whatever_their_spelling() -> None:
    credential = Credential(
        id="c", family="claude", api_key="k", base_url="u", headers={"Accept": "x/y"}
    )
    headers = finish_headers({"accept": "application/json"}, credential, {})
    assert headers == {"accept": "x/y"}


def test_body_with_model_sets_model_and_stream_without_touching_the_input() -> None:
    body = {"model": "alias", "messages": [], "stream": True}
    assert orjson.loads(body_with_model(body, "up", False)) == {
        "model": "up",
        "messages": [],
        "stream": False,
    }
    assert orjson.loads(body_with_model({"a": 1}, "up", True)) == {
        "a": 1,
        "model": "up",
        "stream": True,
    }
    assert orjson.loads(body_with_model({"a": 1}, "up", False)) == {"a": 1, "model": "up"}
    assert orjson.loads(body_with_model({"stream": True}, "up", None)) == {
        "stream": True,
        "model": "up",
    }
    assert body == {"model": "alias", "messages": [], "stream": True}


def test_body_without_model_and_only() -> None:
    body = {"model": "m", "contents": [1], "extra": 2}
    assert body_without_model(body) == {"contents": [1], "extra": 2}
    assert only(body, {"contents", "absent"}) == {"contents": [1]}
    assert "model" in body


def test_model_segment_quotes_what_would_break_a_path() -> None:
    assert model_segment("gemini-2.5-pro") == "gemini-2.5-pro"
    assert model_segment("a/b c?") == "a%2Fb%20c%3F"
