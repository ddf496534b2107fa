"""daemon.routing.classify: upstream failures judged from status, headers and body.

The real error bodies of docs/protocols.md C3 live in tests/fixtures/routing/errors/, one
JSON file per case: family, status, headers, body (JSON, or a string sent as is), expect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.routing.classify import classify, classify_exception
from daemon.routing.types import FailureKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "routing" / "errors"
NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z, FakeClock's start


def _body(value: Any) -> bytes:
    return (value if isinstance(value, str) else json.dumps(value)).encode()


def _anthropic(kind: str, message: str) -> bytes:
    return _body({"type": "error", "error": {"type": kind, "message": message}})


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_real_error_bodies(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    failure = classify(case["status"], case["headers"], _body(case["body"]), case["family"], NOW)
    expect = case["expect"]
    assert failure.kind == FailureKind(expect["kind"])
    assert failure.status == case["status"]
    assert failure.scope_all_models is expect["scope_all_models"]
    assert failure.retryable is expect["retryable"]
    assert failure.penalize is expect["penalize"]
    if expect["retry_after"] is None:
        assert failure.retry_after is None
    else:
        assert failure.retry_after == pytest.approx(expect["retry_after"], abs=1e-3)
    assert failure.reason.startswith(f"{case['status']} ")
    assert len(failure.reason) < 200
    for secret in case.get("secrets", []):
        assert secret not in failure.reason


def test_there_are_fixtures_for_every_kind() -> None:
    kinds = {json.loads(p.read_text())["expect"]["kind"] for p in FIXTURES.glob("*.json")}
    assert kinds == {kind.value for kind in FailureKind}


# ------------------------------------------------------------------ where the retry time hides


def test_the_body_beats_retry_after_which_beats_reset_headers_which_beat_the_message() -> None:
    body = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "message": "Please retry in 40s.",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "10s"}],
        }
    }
    headers = {"retry-after": "20", "x-ratelimit-reset-requests": "30s"}
    assert classify(429, headers, _body(body), "gemini", NOW).retry_after == 10
    del body["error"]["details"]
    assert classify(429, headers, _body(body), "gemini", NOW).retry_after == 20
    del headers["retry-after"]
    assert classify(429, headers, _body(body), "gemini", NOW).retry_after == 30
    assert classify(429, {}, _body(body), "gemini", NOW).retry_after == 40


def test_google_error_info_reset_delay_then_timestamp() -> None:
    def body(metadata: dict[str, str]) -> bytes:
        info = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
        }
        return _body({"error": {"code": 429, "details": [{**info, "metadata": metadata}]}})

    stamp = "2023-11-14T22:14:20Z"
    both = body({"quotaResetDelay": "900ms", "quotaResetTimeStamp": stamp})
    assert classify(429, {}, both, "gemini-cli", NOW).retry_after == pytest.approx(0.9)
    assert (
        classify(429, {}, body({"quotaResetTimeStamp": stamp}), "gemini-cli", NOW).retry_after == 60
    )


def test_codex_resets_at_beats_resets_in_seconds() -> None:
    error = {"type": "usage_limit_reached", "resets_at": NOW + 100, "resets_in_seconds": 7}
    assert classify(429, {}, _body({"error": error}), "codex", NOW).retry_after == 100


def test_header_names_are_matched_in_any_case() -> None:
    failure = classify(429, {"Retry-After": "5"}, b"", "claude", NOW)
    assert failure.retry_after == 5


def test_a_reset_in_the_past_means_retry_now() -> None:
    headers = {"retry-after": "Tue, 14 Nov 2023 22:00:00 GMT"}
    assert classify(429, headers, b"", "copilot", NOW).retry_after == 0.0


def test_no_hint_anywhere_is_none() -> None:
    failure = classify(429, {}, _anthropic("rate_limit_error", "slow down"), "claude", NOW)
    assert failure.retry_after is None


def test_unified_rejected_takes_the_latest_rejected_window() -> None:
    headers = {
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-5h-status": "rejected",
        "anthropic-ratelimit-unified-5h-reset": str(int(NOW) + 600),
        "anthropic-ratelimit-unified-7d-status": "rejected",
        "anthropic-ratelimit-unified-7d-reset": str(int(NOW) + 9000),
    }
    failure = classify(429, headers, _anthropic("rate_limit_error", "limit"), "claude", NOW)
    assert (failure.kind, failure.scope_all_models, failure.retry_after) == (
        FailureKind.QUOTA,
        True,
        9000,
    )


def test_unified_status_alone_uses_the_overall_reset() -> None:
    headers = {
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": str(int(NOW) + 321),
    }
    failure = classify(429, headers, b"", "claude", NOW)
    assert (failure.kind, failure.retry_after) == (FailureKind.QUOTA, 321)


def test_unified_headers_on_a_success_status_do_not_make_a_quota() -> None:
    headers = {"anthropic-ratelimit-unified-status": "rejected"}
    assert classify(500, headers, b"", "claude", NOW).kind is FailureKind.TRANSIENT


# ------------------------------------------------------------------ kinds and scopes


@pytest.mark.parametrize(
    ("status", "kind", "wide"),
    [
        (400, FailureKind.CLIENT, False),
        (401, FailureKind.AUTH, True),
        (402, FailureKind.FORBIDDEN, True),
        (403, FailureKind.FORBIDDEN, True),
        (404, FailureKind.MODEL_UNSUPPORTED, False),
        (408, FailureKind.TRANSIENT, False),
        (409, FailureKind.CLIENT, False),
        (413, FailureKind.CLIENT, False),
        (422, FailureKind.CLIENT, False),
        (429, FailureKind.RATE_LIMIT, False),
        (499, FailureKind.CLIENT, False),  # only Google's 499 means "rate limited"
        (500, FailureKind.TRANSIENT, False),
        (502, FailureKind.TRANSIENT, False),
        (503, FailureKind.TRANSIENT, False),
        (504, FailureKind.TRANSIENT, False),
        (529, FailureKind.TRANSIENT, False),
    ],
)
def test_bare_statuses(status: int, kind: FailureKind, wide: bool) -> None:
    failure = classify(status, {}, b"", "openai-compatible", NOW)
    assert (failure.kind, failure.scope_all_models) == (kind, wide)
    assert failure.retryable is (kind is not FailureKind.CLIENT)
    assert failure.penalize is (status != 529)
    assert failure.reason == f"{status} {kind.value}"


def test_a_402_with_a_reset_is_a_quota_that_heals() -> None:
    failure = classify(402, {"retry-after": "3600"}, b"", "kiro", NOW)
    assert (failure.kind, failure.scope_all_models, failure.retry_after) == (
        FailureKind.QUOTA,
        True,
        3600,
    )


@pytest.mark.parametrize(
    "message",
    [
        "The requested model is not supported.",
        "model 'gpt-x' does not exist",
        "Unsupported model: foo",
        "unknown model 'bar'",
    ],
)
def test_400_naming_an_unsupported_model(message: str) -> None:
    body = _body({"error": {"message": message, "type": "invalid_request_error"}})
    failure = classify(400, {}, body, "openai-compatible", NOW)
    assert (failure.kind, failure.scope_all_models) == (FailureKind.MODEL_UNSUPPORTED, False)


@pytest.mark.parametrize(
    "message",
    [
        "Unsupported parameter: 'temperature' is not supported with this model.",
        "This model's maximum context length is 8192 tokens.",
        "messages: text content blocks must be non-empty",
    ],
)
def test_400_about_the_request_stays_the_clients(message: str) -> None:
    body = _body({"error": {"message": message, "type": "invalid_request_error"}})
    assert classify(400, {}, body, "openai-compatible", NOW).kind is FailureKind.CLIENT


def test_a_429_saying_at_capacity_is_not_the_credentials_fault() -> None:
    body = _body({"error": {"message": "Selected model is at capacity."}})
    failure = classify(429, {}, body, "codex", NOW)
    assert (failure.kind, failure.penalize, failure.retryable) == (
        FailureKind.TRANSIENT,
        False,
        True,
    )


def test_a_403_mentioning_a_token_is_auth_only_for_kiro() -> None:
    body = _body({"message": "token expired"})
    assert classify(403, {}, body, "kiro", NOW).kind is FailureKind.AUTH
    assert classify(403, {}, body, "claude", NOW).kind is FailureKind.FORBIDDEN


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"type": "rate_limit_error", "message": "slow"}, FailureKind.RATE_LIMIT),
        ({"type": "authentication_error", "message": "bad"}, FailureKind.AUTH),
        ({"type": "permission_error", "message": "no"}, FailureKind.FORBIDDEN),
        ({"type": "invalid_request_error", "message": "bad input"}, FailureKind.CLIENT),
        ({"type": "usage_limit_reached", "message": "out"}, FailureKind.QUOTA),
        ({"type": "api_error", "message": "Internal server error"}, FailureKind.TRANSIENT),
    ],
)
def test_errors_inside_a_stream_are_judged_by_their_codes(
    error: dict[str, str], kind: FailureKind
) -> None:
    body = f"event: error\ndata: {json.dumps({'type': 'error', 'error': error})}\n\n"
    failure = classify(200, {}, body.encode(), "claude", NOW)
    assert (failure.kind, failure.status) == (kind, 200)


# ------------------------------------------------------------------ reasons


def test_the_reason_is_one_short_line_without_secrets() -> None:
    message = (
        "Bad key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW at https://x.test/?key=AIzaSyZZZ9\n"
        "with Authorization: Bearer abcdefghijklmnop0123 and " + "more words " * 30
    )
    body = _body({"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}})
    reason = classify(400, {}, body, "gemini", NOW).reason
    assert "\n" not in reason
    assert "AIza" not in reason and "abcdefghijklmnop0123" not in reason
    assert reason.startswith("400 INVALID_ARGUMENT: Bad key [redacted]")
    assert reason.endswith("…") and len(reason) <= len("400 INVALID_ARGUMENT: ") + 120


def test_long_runs_with_digits_are_redacted_but_metric_names_are_kept() -> None:
    message = "metric generate_content_free_tier_requests token 0123456789abcdef0123456789abcdef"
    body = _body({"error": {"message": message}})
    reason = classify(429, {}, body, "gemini", NOW).reason
    assert "generate_content_free_tier_requests" in reason
    assert "0123456789abcdef" not in reason


def test_plain_text_bodies_are_the_message_html_is_not() -> None:
    assert classify(503, {}, b"no healthy upstream", "claude", NOW).reason == (
        "503 transient: no healthy upstream"
    )
    assert classify(502, {}, b"  <!DOCTYPE html><p>x</p>", "claude", NOW).reason == (
        "502 transient"
    )


# ------------------------------------------------------------------ transport failures


@pytest.mark.parametrize(
    ("kind", "wide"), [("connect", True), ("timeout", False), ("reset", False)]
)
def test_transport_failures_are_transient_and_retryable(kind: str, wide: bool) -> None:
    failure = classify_exception(kind)  # type: ignore[arg-type]
    assert failure.kind is FailureKind.TRANSIENT
    assert (failure.status, failure.retry_after, failure.retryable, failure.penalize) == (
        0,
        None,
        True,
        True,
    )
    assert failure.scope_all_models is wide
    assert failure.reason.startswith(f"{kind}: ")


# ------------------------------------------------------------------ robustness

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
_header_names = st.sampled_from(
    [
        "retry-after",
        "retry-after-ms",
        "x-ratelimit-reset-tokens",
        "x-ratelimit-remaining-tokens",
        "anthropic-ratelimit-unified-status",
        "anthropic-ratelimit-unified-5h-status",
        "anthropic-ratelimit-unified-5h-reset",
        "anthropic-ratelimit-requests-reset",
        "x-codex-primary-used-percent",
        "x-codex-primary-reset-at",
    ]
)


@given(
    status=st.integers(min_value=100, max_value=599),
    headers=st.dictionaries(_header_names, st.text(max_size=30), max_size=5),
    body=st.one_of(st.binary(max_size=200), _json.map(lambda v: json.dumps(v).encode())),
    family=st.sampled_from(["claude", "codex", "gemini", "gemini-cli", "qwen", "kiro"]),
)
def test_any_response_is_classified_without_raising(
    status: int, headers: dict[str, str], body: bytes, family: str
) -> None:
    failure = classify(status, headers, body, family, NOW)
    assert failure.retry_after is None or failure.retry_after >= 0
    assert failure.retryable is (failure.kind is not FailureKind.CLIENT)
    assert "\n" not in failure.reason
