"""Classify an upstream failure: its kind, its scope, and when the upstream said to retry.

The retry time is the first one found, in the order of docs/protocols.md C1: the body (Google
RetryInfo / ErrorInfo quotaReset*, Codex resets_at / resets_in_seconds), Retry-After or
retry-after-ms, the rate-limit reset headers, then the message text. It is reported as the
upstream gave it (never negative); capping it is the cooldown policy's job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import orjson

from daemon.routing import resets
from daemon.routing.types import Failure, FailureKind

_GOOGLE = "type.googleapis.com/google.rpc."
_GOOGLE_FAMILIES = frozenset({"gemini", "gemini-cli", "antigravity", "vertex"})
_SHANGHAI = timezone(timedelta(hours=8))  # no DST: a fixed offset is exact

_AUTH_CODES = frozenset(
    {"authentication_error", "invalid_api_key", "api_key_invalid", "unauthenticated"}
    | {"token_expired", "invalid_token"}
)
# Limits the upstream states for the whole account (Google's per-model ones are told apart
# by `_Info.names_model`).
_QUOTA_CODES = frozenset(
    {"insufficient_quota", "usage_limit_reached", "quota_exceeded", "quota_exhausted"}
)
_CREDITS_CODES = frozenset({"insufficient_g1_credits_balance"})
_MODEL_CODES = frozenset({"model_not_found", "model_not_supported"})
_RATE_CODES = frozenset({"rate_limit_error", "rate_limit_exceeded", "resource_exhausted"})
_REQUEST_CODES = frozenset(
    {"invalid_request_error", "context_length_exceeded", "invalid_argument", "request_too_large"}
)
_FORBIDDEN_CODES = frozenset({"permission_error", "permission_denied"})

_MODEL_TEXT = re.compile(
    r"\bmodel\b.{0,120}?(?:not supported|unsupported|not found|does not exist|not available)"
    r"|unsupported model|unknown model|no such model",
    re.IGNORECASE | re.DOTALL,
)
_BILLING_TEXT = re.compile(
    r"credit balance is too low|insufficient (?:balance|credits?)", re.IGNORECASE
)
_OVERLOAD_TEXT = re.compile(r"overloaded|at capacity", re.IGNORECASE)

# Key-like runs must not reach metrics: OpenAI echoes part of a wrong key, Google URLs carry
# ?key=, and long opaque tokens are never useful in a one-line reason anyway.
_SECRET = re.compile(
    r"\b(?:sk-|AIza|ya29\.|eyJ)[\w.\-*~+/=]+|(?i:bearer)\s+[\w.\-~+/=]{16,}"
    r"|(?=[\w\-]*\d)[A-Za-z0-9_\-]{32,}"  # with a digit: keys have them, metric names do not
)
_REASON_CHARS = 120


@dataclass(slots=True)
class _Info:
    """What the error body says, whatever the provider's shape."""

    error: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    codes: set[str] = field(default_factory=set)  # lower-cased type, code, status, reasons
    label: str = ""  # the most telling code as written, for the reason
    details: list[dict[str, Any]] = field(default_factory=list)
    quota_ids: list[str] = field(default_factory=list)
    names_model: bool = False  # a Google quota that counts per model


def classify(
    status: int, headers: Mapping[str, str], body: bytes, family: str, now: float
) -> Failure:
    """Judge one failed upstream response (`now`: wall time, for absolute reset times).

    A status below 400 means an error that arrived inside a stream; its codes decide.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    info = _parse(body)
    retry = _retry_after(info, lowered, now)
    effective = status if status >= 400 else _in_stream_status(info)
    kind, wide, penalize = _judge(effective, info, lowered, family, retry is not None)
    if retry is None and kind in (FailureKind.QUOTA, FailureKind.RATE_LIMIT):
        retry = _implied_reset(info, family, now)
    return Failure(
        kind=kind,
        status=status,
        retry_after=retry,
        scope_all_models=wide,
        reason=_reason(status, info, kind),
        retryable=kind is not FailureKind.CLIENT,
        penalize=penalize,
    )


def classify_exception(kind: Literal["connect", "timeout", "reset"]) -> Failure:
    """A transport failure: no response at all (status 0). Transient, worth another candidate.

    A refused connection concerns the credential's endpoint for every model; a timeout or a
    reset may be one model's slowness, so it cools only that model.
    """
    reasons = {
        "connect": "could not connect to the upstream",
        "timeout": "the upstream did not answer in time",
        "reset": "the upstream closed the connection",
    }
    return Failure(
        kind=FailureKind.TRANSIENT,
        status=0,
        retry_after=None,
        scope_all_models=kind == "connect",
        reason=f"{kind}: {reasons[kind]}",
        retryable=True,
    )


# ------------------------------------------------------------------------------ judging


def _judge(
    status: int, info: _Info, headers: Mapping[str, str], family: str, has_hint: bool
) -> tuple[FailureKind, bool, bool]:
    """(kind, whole credential, penalize) for an HTTP status of 400 or more."""
    codes, message = info.codes, info.message
    if status == 401 or (status in (400, 403) and codes & _AUTH_CODES):
        return FailureKind.AUTH, True, True
    if status == 403 and family == "kiro" and re.search(r"token|expired", message, re.I):
        return FailureKind.AUTH, True, True  # Kiro says "expired token" with a 403
    if status == 529 or (
        (status >= 500 or status == 429)
        and ("overloaded_error" in codes or _OVERLOAD_TEXT.search(message))
    ):
        return FailureKind.TRANSIENT, False, False
    if codes & _CREDITS_CODES:
        return FailureKind.QUOTA, True, True
    if status == 402 or (400 <= status < 500 and _BILLING_TEXT.search(message)):
        # A payment wall; with a reset time (Kiro's monthly limit) it is a quota that heals.
        return (FailureKind.QUOTA if has_hint else FailureKind.FORBIDDEN), True, True
    daily = any(re.search(r"perday|daily", q, re.I) for q in info.quota_ids)
    unified_rejected = status == 429 and _unified_rejected(headers)
    if codes & _QUOTA_CODES or daily or unified_rejected:
        google = "quota_exhausted" in codes or daily
        if google and info.names_model:
            # Gemini's daily quotas count per model (gemini-cli falls back from pro to flash
            # on the same account), so only this model cools, for as long as the hint says.
            return FailureKind.RATE_LIMIT, False, True
        return FailureKind.QUOTA, True, True
    if status == 403:
        return FailureKind.FORBIDDEN, True, True
    if status == 404 or (
        status in (400, 422) and (codes & _MODEL_CODES or _MODEL_TEXT.search(message))
    ):
        return FailureKind.MODEL_UNSUPPORTED, False, True
    if status == 429 or (status == 499 and family in _GOOGLE_FAMILIES):
        return FailureKind.RATE_LIMIT, False, True
    if status == 408 or status >= 500:
        return FailureKind.TRANSIENT, False, True
    return FailureKind.CLIENT, False, True


def _in_stream_status(info: _Info) -> int:
    """The HTTP status an error that came inside a 200 stream would have had."""
    codes = info.codes
    if "overloaded_error" in codes or _OVERLOAD_TEXT.search(info.message):
        return 529
    if codes & _AUTH_CODES:
        return 401
    if codes & _FORBIDDEN_CODES:
        return 403
    if codes & (_QUOTA_CODES | _RATE_CODES | _CREDITS_CODES):
        return 429
    if codes & (_REQUEST_CODES | _MODEL_CODES):
        return 400
    return 500


def _unified_rejected(headers: Mapping[str, str]) -> bool:
    """Anthropic subscription limits: the account, not the model, is out."""
    return any(
        name.startswith("anthropic-ratelimit-unified")
        and name.endswith("status")
        and "overage" not in name  # "overage rejected" only means no paid overflow is set up
        and value.strip().lower() == "rejected"
        for name, value in headers.items()
    )


def _implied_reset(info: _Info, family: str, now: float) -> float | None:
    """A reset the upstream implies without stating it."""
    if family == "qwen" and info.codes & _QUOTA_CODES:
        # Qwen's free allocation renews at midnight, Beijing time.
        local = datetime.fromtimestamp(now, _SHANGHAI)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp() - now
    if any("perminute" in q.lower() for q in info.quota_ids):
        return 60.0
    return None


def _reason(status: int, info: _Info, kind: FailureKind) -> str:
    label = info.label or kind.value
    message = " ".join(_SECRET.sub("[redacted]", info.message).split())
    if len(message) > _REASON_CHARS:
        message = message[: _REASON_CHARS - 1].rstrip() + "…"
    return f"{status} {label}: {message}" if message else f"{status} {label}"


# ------------------------------------------------------------------------------ the body


def _parse(body: bytes) -> _Info:
    parsed = _load(body)
    if isinstance(parsed, list) and parsed:
        parsed = parsed[0]  # Google streams wrap the error in an array
    top: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    error = top.get("error")
    response = top.get("response")
    if error is None and isinstance(response, dict):
        error = response.get("error")  # a Responses "response.failed" event
    if isinstance(error, str):
        error = {"message": error}
    if not isinstance(error, dict):
        error = top  # Codex {"detail": ...}, Kiro {"message", "reason"}
    info = _Info(error=error)
    for candidate in (error.get("message"), top.get("detail"), top.get("message")):
        if isinstance(candidate, str) and candidate:
            info.message = candidate
            break
    if not info.message and parsed is None and not body.lstrip().startswith(b"<"):
        info.message = body[:400].decode("utf-8", "replace")  # plain text, but not HTML
    labels = [error.get(name) for name in ("code", "type")]
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict):
            info.details.append(detail)
            _read_detail(detail, info, labels)
    labels += [error.get("status"), top.get("reason")]
    for value in labels:
        if isinstance(value, str) and value:
            info.codes.add(value.lower())
            info.label = info.label or value
    return info


def _read_detail(detail: dict[str, Any], info: _Info, labels: list[Any]) -> None:
    kind = str(detail.get("@type", ""))
    if kind == _GOOGLE + "ErrorInfo":
        labels.append(detail.get("reason"))
        metadata = detail.get("metadata")
        if isinstance(metadata, dict) and metadata.get("model"):
            info.names_model = True
    elif kind == _GOOGLE + "QuotaFailure":
        violations = detail.get("violations")
        for violation in violations if isinstance(violations, list) else []:
            if not isinstance(violation, dict):
                continue
            quota_id = violation.get("quotaId")
            if isinstance(quota_id, str):
                info.quota_ids.append(quota_id)
                info.names_model |= "permodel" in quota_id.lower()
            dimensions = violation.get("quotaDimensions")
            if isinstance(dimensions, dict) and "model" in dimensions:
                info.names_model = True


def _load(body: bytes) -> Any:
    text = body.strip()
    if not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    for line in text.splitlines():  # an error event of a stream: "event: error\ndata: {...}"
        if line.startswith(b"data:"):
            try:
                return orjson.loads(line[5:].strip())
            except orjson.JSONDecodeError:
                continue
    return None


# ------------------------------------------------------------------------------ retry time


def _retry_after(info: _Info, headers: Mapping[str, str], now: float) -> float | None:
    sources: tuple[Callable[[], float | None], ...] = (
        lambda: _from_body(info, now),
        lambda: resets.from_retry_after(headers, now),
        lambda: resets.from_reset_headers(headers, now),
        lambda: resets.from_message(info.message),
    )
    for source in sources:
        seconds = source()
        if seconds is not None and math.isfinite(seconds):
            return max(0.0, seconds)
    return None


def _from_body(info: _Info, now: float) -> float | None:
    for detail in info.details:
        if detail.get("@type") == _GOOGLE + "RetryInfo":
            seconds = resets.google_duration(detail.get("retryDelay"))
            if seconds is not None:
                return seconds
    for detail in info.details:
        metadata = detail.get("metadata")
        if detail.get("@type") == _GOOGLE + "ErrorInfo" and isinstance(metadata, dict):
            seconds = resets.google_duration(metadata.get("quotaResetDelay"))
            if seconds is None:
                seconds = resets.seconds_until(metadata.get("quotaResetTimeStamp"), now)
            if seconds is not None:
                return seconds
    error = info.error
    for seconds in (
        resets.seconds_until(error.get("resets_at"), now),  # Codex, unix seconds
        resets.number(error.get("resets_in_seconds")),
        resets.seconds_until(error.get("nextDateReset"), now),  # Kiro monthly (unconfirmed)
    ):
        if seconds is not None:
            return seconds
    return None
