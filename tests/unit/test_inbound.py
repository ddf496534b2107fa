"""daemon.inbound: which API shape a request speaks, and the client keys it carries."""

from __future__ import annotations

import pytest

from daemon.inbound import detect_format, key_is_valid, presented_keys
from daemon.model import WireFormat

OPENAI = WireFormat.OPENAI_CHAT
RESPONSES = WireFormat.OPENAI_RESPONSES
ANTHROPIC = WireFormat.ANTHROPIC
GEMINI = WireFormat.GEMINI


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/chat/completions", OPENAI),
        ("/v1/completions", OPENAI),
        ("/v1/embeddings", OPENAI),
        ("/v1/models", OPENAI),
        ("/v1/models/gpt-4o", OPENAI),
        ("/", OPENAI),
        ("/v1/responses", RESPONSES),
        ("/v1/responses/resp_123/cancel", RESPONSES),
        ("/v1/responses/compact", RESPONSES),
        ("/openai/v1/responses", RESPONSES),
        ("/backend-api/codex/responses", RESPONSES),
        ("/v1/messages", ANTHROPIC),
        ("/v1/messages/count_tokens", ANTHROPIC),
        ("/v1beta/models", GEMINI),
        ("/v1beta/models/gemini-2.5-pro", GEMINI),
        ("/v1beta/models/gemini-2.5-pro:generateContent", GEMINI),
        ("/v1beta/models/gemini-2.5-pro:streamGenerateContent", GEMINI),
        ("/v1beta/models/x:countTokens", GEMINI),
        ("/v1alpha/models/x:generateContent", GEMINI),
        ("/v1/models/gemini-x:generateContent", GEMINI),  # Vertex-style, under /v1
        ("/v1/models/gemini-x:streamGenerateContent", GEMINI),
        ("/v1/models/gemini-x:countTokens", GEMINI),
        ("/v1/publishers/google/models/gemini-x:generateContent", GEMINI),
    ],
)
def test_the_path_decides_where_it_can(path: str, expected: WireFormat) -> None:
    assert detect_format(path, {}) == expected


def test_query_strings_are_not_part_of_the_path_asgi_gives() -> None:
    # ASGI's scope["path"] carries no query string; /v1/messages?beta=true arrives as this.
    assert detect_format("/v1/messages", {}) == ANTHROPIC


def test_path_beats_headers() -> None:
    headers = {"anthropic-version": "2023-06-01", "x-goog-api-key": "k"}
    assert detect_format("/v1/responses", headers) == RESPONSES
    assert detect_format("/v1beta/models/x:generateContent", headers) == GEMINI
    assert detect_format("/v1/messages", {"x-goog-api-key": "k"}) == ANTHROPIC


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, OPENAI),
        ({"authorization": "Bearer k"}, OPENAI),
        ({"anthropic-version": "2023-06-01"}, ANTHROPIC),
        ({"user-agent": "claude-cli/1.0.80 (external, cli)"}, ANTHROPIC),
        ({"user-agent": "Mozilla/5.0 claude-cli"}, OPENAI),  # must start with it
        ({"x-api-key": "k"}, OPENAI),  # x-api-key alone says nothing
        ({"x-goog-api-key": "k"}, GEMINI),
        ({"x-goog-api-client": "google-genai-sdk/1.2.0 gl-python/3.11"}, GEMINI),
        ({"x-goog-api-client": "gl-python/3.11"}, OPENAI),
        ({"anthropic-version": "2023-06-01", "x-goog-api-key": "k"}, ANTHROPIC),
    ],
)
def test_shared_paths_go_by_the_clients_headers(
    headers: dict[str, str], expected: WireFormat
) -> None:
    assert detect_format("/v1/models", headers) == expected


# --------------------------------------------------------------------------- presented_keys


def test_no_key_anywhere() -> None:
    assert presented_keys({}, b"") == []
    assert presented_keys({"authorization": "Basic dXNlcjpwdw=="}, b"alt=sse") == []


def test_bearer_token_any_case_trimmed() -> None:
    assert presented_keys({"authorization": "Bearer  k1 "}, b"") == ["k1"]
    assert presented_keys({"authorization": "bearer k2"}, b"") == ["k2"]
    assert presented_keys({"authorization": "BEARER k3"}, b"") == ["k3"]


def test_header_keys_trimmed() -> None:
    assert presented_keys({"x-api-key": " a "}, b"") == ["a"]
    assert presented_keys({"x-goog-api-key": "g"}, b"") == ["g"]
    assert presented_keys({"x-api-key": ""}, b"") == []


def test_query_key_only_by_exact_name() -> None:
    assert presented_keys({}, b"key=q1") == ["q1"]
    assert presented_keys({}, b"alt=sse&key=q%2B1") == ["q+1"]  # URL-decoded
    assert presented_keys({}, b"apikey=zz&monkey=yy") == []
    assert presented_keys({}, b"key=") == []


def test_all_four_places_at_once_in_a_fixed_order() -> None:
    headers = {"authorization": "Bearer b", "x-api-key": "x", "x-goog-api-key": "g"}
    assert presented_keys(headers, b"key=q&key=q2") == ["b", "x", "g", "q", "q2"]


# --------------------------------------------------------------------------- key_is_valid


def test_key_is_valid_needs_one_exact_match() -> None:
    configured = ["sk-one", "sk-two"]
    assert key_is_valid(["sk-two"], configured)
    assert key_is_valid(["wrong", "sk-one"], configured)
    assert not key_is_valid(["sk-on"], configured)
    assert not key_is_valid(["sk-one "], configured)
    assert not key_is_valid(["SK-ONE"], configured)
    assert not key_is_valid([], configured)
    assert not key_is_valid(["sk-one"], [])


def test_key_is_valid_accepts_generators_and_non_ascii() -> None:
    assert key_is_valid((k for k in ["ключ"]), ("ключ",))
    assert not key_is_valid(iter(["ключ"]), iter(["ключи"]))
