"""cliproxyctl.wizard.keycheck: one cheap request per key, against a mock transport."""

from __future__ import annotations

import json

import httpx
import pytest

from cliproxyctl.wizard.answers import COMPAT, ProviderAnswer
from cliproxyctl.wizard.keycheck import check_key, probe_for


def transport(status: int, body: object, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("answer", "method", "url", "header"),
    [
        (
            ProviderAnswer("claude", "K"),
            "GET",
            "https://api.anthropic.com/v1/models?limit=1",
            ("x-api-key", "K"),
        ),
        (
            ProviderAnswer("gemini", "K"),
            "GET",
            "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1",
            ("x-goog-api-key", "K"),
        ),
        (
            ProviderAnswer("vertex", "K"),
            "POST",
            "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash:countTokens",
            ("x-goog-api-key", "K"),
        ),
        (
            ProviderAnswer("codex", "K"),
            "GET",
            "https://api.openai.com/v1/models",
            ("authorization", "Bearer K"),
        ),
        (
            ProviderAnswer(COMPAT, "K", "groq", "https://api.groq.com/openai/v1/"),
            "GET",
            "https://api.groq.com/openai/v1/models",
            ("authorization", "Bearer K"),
        ),
    ],
)
def test_each_family_is_checked_with_its_own_cheap_call(
    answer: ProviderAnswer, method: str, url: str, header: tuple[str, str]
) -> None:
    seen: list[httpx.Request] = []
    result = check_key(answer, {}, transport=transport(200, {"data": [{}, {}, {}]}, seen))
    assert result.ok and result.status == "ok"
    (request,) = seen
    assert (request.method, str(request.url)) == (method, url)
    assert request.headers[header[0]] == header[1]
    if method == "POST":
        assert json.loads(request.content)["contents"][0]["parts"] == [{"text": "hi"}]


def test_a_success_counts_the_models_it_saw() -> None:
    seen: list[httpx.Request] = []
    answer = ProviderAnswer("codex", "K")
    assert check_key(answer, {}, transport=transport(200, {"data": [{}, {}]}, seen)).message == (
        "key accepted (2 models listed)"
    )
    assert (
        check_key(answer, {}, transport=transport(200, {"models": []}, seen)).message
        == "key accepted"
    )


def test_a_rejected_key_shows_the_upstreams_own_message() -> None:
    seen: list[httpx.Request] = []
    body = {"error": {"type": "authentication_error", "message": "invalid  x-api-key"}}
    result = check_key(ProviderAnswer("claude", "bad"), {}, transport=transport(401, body, seen))
    assert result.status == "failed"
    assert result.message == "api.anthropic.com answered HTTP 401: invalid x-api-key"
    plain = check_key(ProviderAnswer("claude", "bad"), {}, transport=transport(500, ["x"], seen))
    assert plain.message == "api.anthropic.com answered HTTP 500"


def test_network_failures_are_failures_not_exceptions() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    answer = ProviderAnswer(COMPAT, "", "local", "http://127.0.0.1:9/v1")
    refused = check_key(answer, {}, transport=httpx.MockTransport(refuse))
    assert refused.status == "failed" and "could not reach 127.0.0.1" in refused.message
    timed = check_key(answer, {}, timeout=2, transport=httpx.MockTransport(slow))
    assert timed.message == "no answer from 127.0.0.1 within 2s"


def test_a_keyless_server_is_asked_without_authorization() -> None:
    probe = probe_for(ProviderAnswer(COMPAT, "", "ollama", "http://localhost:11434/v1"), "")
    assert probe.headers == {}


def test_environment_references_are_resolved_or_the_check_is_skipped() -> None:
    seen: list[httpx.Request] = []
    answer = ProviderAnswer("gemini", "os.environ/GEMINI_KEY")
    skipped = check_key(answer, {}, transport=transport(200, {}, seen))
    assert (skipped.status, skipped.message) == (
        "skipped",
        "not checked: $GEMINI_KEY is not set here",
    )
    assert seen == []
    check_key(answer, {"GEMINI_KEY": "real"}, transport=transport(200, {}, seen))
    assert seen[0].headers["x-goog-api-key"] == "real"


def test_an_unknown_family_has_no_probe() -> None:
    with pytest.raises(ValueError, match="no check"):
        probe_for(ProviderAnswer("nope", "k"), "k")
