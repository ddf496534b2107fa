"""Per-credential scripts of the mock upstream: a key gets its scripted answer whatever the model
name says, in the format's own shape; other keys are untouched."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.mock_upstream import MockConfig, MockUpstream, run_mock
from tests.support.mock_upstream.keys import KeyScript, KeyTable

KEYS = ("sk-key-a", "sk-key-b")
CHAT = {"model": "mock-model", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "claude-mock", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}]}
GEMINI = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockUpstream]:
    with run_mock(MockConfig(api_keys=KEYS)) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(mock: MockUpstream) -> Iterator[None]:
    mock.clear()
    mock.clear_scripts()
    yield
    mock.clear_scripts()


@pytest.fixture
def http(mock: MockUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.base_url, timeout=5) as client:
        yield client


def chat(http: httpx.Client, key: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return http.post(
        "/v1/chat/completions", json=body or CHAT, headers={"authorization": f"Bearer {key}"}
    )


def messages(http: httpx.Client, key: str) -> httpx.Response:
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    return http.post("/v1/messages", json=MESSAGES, headers=headers)


def gemini(http: httpx.Client, key: str, stream: bool = False) -> httpx.Response:
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return http.post(
        f"/v1beta/models/gemini-mock:{action}", json=GEMINI, headers={"x-goog-api-key": key}
    )


def test_a_scripted_key_gets_the_openai_429_with_its_reset_hints(
    mock: MockUpstream, http: httpx.Client
) -> None:
    mock.script_key(KEYS[0], 429, retry_after=7)
    refused = chat(http, KEYS[0])
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "7"
    assert refused.headers["x-ratelimit-reset-requests"] == "7s"
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert chat(http, KEYS[1]).status_code == 200  # the other key is untouched
    assert [(r.api_key, r.keyed, r.status) for r in mock.requests] == [
        (KEYS[0], "error", 429),
        (KEYS[1], "", 200),
    ]


def test_each_format_answers_in_its_own_error_shape(mock: MockUpstream, http: httpx.Client) -> None:
    mock.script_key(KEYS[0], 429, retry_after=3)
    anthropic = messages(http, KEYS[0])
    assert anthropic.status_code == 429
    assert anthropic.json()["error"]["type"] == "rate_limit_error"
    assert anthropic.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert "anthropic-ratelimit-requests-reset" in anthropic.headers
    google = gemini(http, KEYS[0])
    assert google.status_code == 429
    error = google.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    retry = [d for d in error["details"] if d["@type"].endswith("RetryInfo")]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}]
    mock.script_key(KEYS[0], 401)
    assert messages(http, KEYS[0]).json()["error"]["type"] == "authentication_error"
    mock.script_key(KEYS[0], 500)
    assert gemini(http, KEYS[0], stream=True).json()["error"]["status"] == "INTERNAL"


def test_the_key_decides_whatever_the_model_name_scripts(
    mock: MockUpstream, http: httpx.Client
) -> None:
    mock.script_key(KEYS[0], 403)
    slow = {**CHAT, "model": "mock-slow-first-byte-2000-error-500"}
    started = time.monotonic()
    assert chat(http, KEYS[0], slow).status_code == 403
    assert time.monotonic() - started < 1.5  # neither the model's delay nor its status
    assert chat(http, KEYS[1], {**CHAT, "model": "mock-error-404"}).status_code == 404


def test_times_scripts_only_the_next_requests(mock: MockUpstream, http: httpx.Client) -> None:
    mock.script_key(KEYS[0], 500, times=2)
    assert [chat(http, KEYS[0]).status_code for _ in range(4)] == [500, 500, 200, 200]
    assert mock.by_key() == {KEYS[0]: 4}
    assert mock.by_key(lambda r: r.status == 500) == {KEYS[0]: 2}


def test_an_explicit_body_and_headers_are_sent_as_given(
    mock: MockUpstream, http: httpx.Client
) -> None:
    body = {"error": {"type": "usage_limit_reached", "message": "limit", "resets_in_seconds": 9}}
    mock.script_key(KEYS[0], 429, headers={"x-custom": "1"}, body=body)
    refused = chat(http, KEYS[0])
    assert refused.status_code == 429
    assert refused.json() == body
    assert refused.headers["x-custom"] == "1"
    assert "retry-after" not in refused.headers  # no builder hints with an explicit body
    mock.script_key(KEYS[0], 429, body=b"plain text", headers={"content-type": "text/plain"})
    plain = chat(http, KEYS[0])
    assert plain.text == "plain text"
    assert plain.headers["content-type"].startswith("text/plain")


def test_headers_go_over_the_builders_and_an_empty_value_removes_one(
    mock: MockUpstream, http: httpx.Client
) -> None:
    mock.script_key(KEYS[0], 429, headers={"retry-after": "", "X-RateLimit-Reset-Requests": "5s"})
    refused = chat(http, KEYS[0])
    assert "retry-after" not in refused.headers
    assert refused.headers.get_list("x-ratelimit-reset-requests") == ["5s"]
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"  # the builder's body


def test_reset_mode_closes_the_connection_before_any_byte(
    mock: MockUpstream, http: httpx.Client
) -> None:
    mock.script_key(KEYS[0], mode="reset", times=1)
    with pytest.raises(httpx.TransportError):
        chat(http, KEYS[0])
    record = mock.requests[-1]
    assert (record.keyed, record.status, record.events_sent) == ("reset", 0, 0)
    assert chat(http, KEYS[0]).status_code == 200  # times=1: the next one is answered


def test_stall_mode_sends_nothing_until_the_client_leaves(mock: MockUpstream) -> None:
    mock.script_key(KEYS[1], mode="stall")
    with httpx.Client(base_url=mock.base_url, timeout=0.3) as impatient:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            chat(impatient, KEYS[1], {**CHAT, "stream": True})
        assert time.monotonic() - started < 2
    record = mock.wait_for(lambda r: r.disconnected)
    assert (record.keyed, record.status, record.api_key) == ("stall", 0, KEYS[1])


def test_ok_mode_with_a_delay_is_a_slow_first_byte(mock: MockUpstream, http: httpx.Client) -> None:
    mock.script_key(KEYS[0], mode="ok", delay=0.3)
    started = time.monotonic()
    answer = chat(http, KEYS[0])
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert answer.json()["choices"][0]["message"]["content"] == "echo: hi"
    assert mock.requests[-1].keyed == "ok"


def test_the_credential_check_comes_first(mock: MockUpstream, http: httpx.Client) -> None:
    mock.script_key("sk-not-accepted", 429)
    assert chat(http, "sk-not-accepted").status_code == 401
    assert mock.requests[-1].keyed == ""


def test_count_tokens_calls_are_scripted_too(mock: MockUpstream, http: httpx.Client) -> None:
    mock.script_key(KEYS[0], 429)
    headers = {"x-api-key": KEYS[0], "anthropic-version": "2023-06-01"}
    counted = http.post("/v1/messages/count_tokens", json=MESSAGES, headers=headers)
    assert counted.status_code == 429
    mock.clear_scripts(KEYS[0])
    counted = http.post("/v1/messages/count_tokens", json=MESSAGES, headers=headers)
    assert counted.status_code == 200


def test_clear_scripts_forgets_one_key_or_all(mock: MockUpstream, http: httpx.Client) -> None:
    mock.script_key(KEYS[0], 500)
    mock.script_key(KEYS[1], 500)
    mock.clear_scripts(KEYS[0])
    assert (chat(http, KEYS[0]).status_code, chat(http, KEYS[1]).status_code) == (200, 500)
    mock.clear_scripts()
    assert chat(http, KEYS[1]).status_code == 200


def test_the_key_is_recorded_however_the_api_carries_it(
    mock: MockUpstream, http: httpx.Client
) -> None:
    messages(http, KEYS[0])
    gemini(http, KEYS[1])
    http.post("/v1beta/models/gemini-mock:generateContent", params={"key": KEYS[0]}, json=GEMINI)
    chat(http, KEYS[1])
    assert [r.api_key for r in mock.requests] == [KEYS[0], KEYS[1], KEYS[0], KEYS[1]]
    assert all(r.status == 200 for r in mock.requests)


def test_the_table_validates_and_counts_down() -> None:
    table = KeyTable()
    with pytest.raises(ValueError, match="mode"):
        table.set("k", KeyScript(mode="explode"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="times"):
        table.set("k", KeyScript(times=0))
    table.set("k", KeyScript(status=500, times=2))
    taken = [table.take("k"), table.take("k"), table.take("k")]
    assert [t.status if t else None for t in taken] == [500, 500, None]
    table.set("k", KeyScript(status=401))
    assert table.take("k") == table.take("k") == table.get("k")  # no times: every request
