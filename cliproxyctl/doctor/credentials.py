"""credentials.file: every JSON file in the auth folder, read in CLIProxyAPI's layout.

    {"type": "claude", "access_token": "…", "refresh_token": "…",
     "expired": "2026-01-02T03:04:05+08:00", "disabled": false, …}

The expiry is `expired` (RFC 3339), or `expires_at` (Kiro, Copilot: RFC 3339 or epoch seconds or
milliseconds), or a nested `token.expiry` (Gemini's OAuth token); the refresh token is
`refresh_token`, at the top level or in `token`. An expired access token fails, one expiring
within a day warns; a file with an expiry and no refresh token warns (it cannot be renewed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Check, Status, ok, worst

SOON_SECONDS = 24 * 3600
EXPIRY_KEYS = ("expired", "expires_at", "expiry", "expire")
_FRACTION = re.compile(r"(\.\d{1,6})\d*")  # Go writes nanoseconds; Python parses microseconds


def checks(snap: Snapshot) -> list[Check]:
    auth_dir = snap.auth_dir
    files = sorted(auth_dir.glob("*.json")) if auth_dir.is_dir() else []
    if not files:
        return [ok("credentials.file", f"no credential files in {auth_dir}")]
    now = snap.env.clock()
    return [credential_file(path, now) for path in files]


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 string or epoch seconds/milliseconds as an aware datetime; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e12 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return parse_time(int(text))
    text = _FRACTION.sub(r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lookup(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    nested = data.get("token")
    for source in (data, nested if isinstance(nested, Mapping) else {}):
        for key in keys:
            if source.get(key) not in (None, ""):
                return source[key]
    return None


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds >= 86400:
        return f"{seconds / 86400:.0f}d"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f}h"
    return f"{max(seconds / 60, 1):.0f}m"


def credential_file(path: Path, now: float) -> Check:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return Check(
            "credentials.file",
            Status.FAIL,
            f"cannot read {path.name}: {error}",
            f"repair or remove {path}",
            subject=path.name,
        )
    if not isinstance(data, dict):
        return Check(
            "credentials.file",
            Status.FAIL,
            f"{path.name} is not a JSON object",
            f"repair or remove {path}",
            subject=path.name,
        )
    kind = data.get("type") if isinstance(data.get("type"), str) else None
    label = f"{kind} credential" if kind else "credential"
    findings: list[tuple[Status, str, str]] = []
    if kind is None:
        findings.append(
            (Status.WARN, "no `type` field: no provider will use it", "sign in again to rewrite it")
        )
    if data.get("disabled") is True:
        findings.append((Status.WARN, "disabled", 'set "disabled": false to use it again'))
    raw_expiry = _lookup(data, EXPIRY_KEYS)
    expiry = parse_time(raw_expiry)
    if raw_expiry is not None and expiry is None:
        findings.append((Status.WARN, f"unreadable expiry {raw_expiry!r}", "sign in again"))
    if expiry is not None:
        renewable = bool(_lookup(data, ("refresh_token",)))
        left = expiry.timestamp() - now
        when = expiry.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if left <= 0:
            again = "sign in again" + (", or start the daemon to refresh it" if renewable else "")
            findings.append((Status.FAIL, f"expired {_duration(left)} ago ({when})", again))
        elif left <= SOON_SECONDS:
            again = "keep the daemon running to refresh it, or sign in again"
            findings.append((Status.WARN, f"expires in {_duration(left)} ({when})", again))
        if not renewable:
            again = "sign in again to get a refresh token"
            findings.append((Status.WARN, "no refresh token: it cannot be renewed", again))
    info: dict[str, Any] = {
        "type": kind,
        "expires": expiry.isoformat() if expiry else None,
        "disabled": data.get("disabled") is True,
    }
    if not findings:
        until = f", valid until {info['expires']}" if expiry else ""
        return ok("credentials.file", f"{label}{until}", subject=path.name, data=info)
    status = worst(status for status, _, _ in findings)
    message = f"{label}: " + "; ".join(text for _, text, _ in findings)
    fixes = dict.fromkeys(fix for level, _, fix in findings if level is status)
    return Check(
        "credentials.file", status, message, "; ".join(fixes), subject=path.name, data=info
    )
