"""credentials.file: CLIProxyAPI auth files, their expiry, refresh token and disabled flag."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cliproxyctl.doctor.credentials import checks, credential_file, parse_time
from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Status
from tests.support.doctor import NOW, make_env

HOUR = 3600.0


def stamp(offset: float) -> str:
    return datetime.fromtimestamp(NOW + offset, UTC).isoformat()


def write(folder: Path, name: str, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_parse_time_reads_rfc3339_and_epochs() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("2026-01-02T03:04:05Z") == moment
    assert parse_time("2026-01-02T11:04:05+08:00") == moment
    assert parse_time("2026-01-02T03:04:05.123456789Z") == moment.replace(microsecond=123456)
    assert parse_time(moment.timestamp()) == moment
    assert parse_time(int(moment.timestamp() * 1000)) == moment
    assert parse_time(str(int(moment.timestamp()))) == moment
    assert parse_time("") is None and parse_time("soon") is None and parse_time(True) is None


def test_a_fresh_credential_with_a_refresh_token_is_ok(tmp_path: Path) -> None:
    data = {
        "type": "claude",
        "access_token": "at-secret-value",
        "refresh_token": "rt-secret-value",
        "expired": stamp(7 * 24 * HOUR),
    }
    check = credential_file(write(tmp_path, "claude-a.json", data), NOW)
    assert check.status is Status.OK and check.subject == "claude-a.json"
    assert "claude credential, valid until" in check.message
    assert "secret-value" not in json.dumps(check.as_dict())


def test_an_expired_credential_fails(tmp_path: Path) -> None:
    data = {"type": "codex", "refresh_token": "r", "expired": stamp(-2 * HOUR)}
    check = credential_file(write(tmp_path, "codex.json", data), NOW)
    assert check.status is Status.FAIL and "expired 2h ago" in check.message
    assert check.fix and "sign in again" in check.fix


def test_expiring_soon_missing_refresh_and_disabled_warn(tmp_path: Path) -> None:
    soon = {"type": "claude", "refresh_token": "r", "expired": stamp(3 * HOUR)}
    assert "expires in 3h" in credential_file(write(tmp_path, "a.json", soon), NOW).message
    kiro = {"type": "kiro", "expires_at": int((NOW + 48 * HOUR) * 1000)}
    check = credential_file(write(tmp_path, "kiro.json", kiro), NOW)
    assert check.status is Status.WARN and "no refresh token" in check.message
    off = {"type": "gemini", "disabled": True}
    check = credential_file(write(tmp_path, "g.json", off), NOW)
    assert check.status is Status.WARN and "disabled" in check.message
    untyped = credential_file(write(tmp_path, "u.json", {"api_key": "x"}), NOW)
    assert untyped.status is Status.WARN and "no `type`" in untyped.message


def test_gemini_keeps_its_token_nested(tmp_path: Path) -> None:
    data = {"type": "gemini", "token": {"refresh_token": "r", "expiry": stamp(-HOUR)}}
    check = credential_file(write(tmp_path, "gemini.json", data), NOW)
    assert check.status is Status.FAIL and "expired" in check.message
    assert "refresh" not in check.message


def test_no_expiry_needs_no_refresh_token(tmp_path: Path) -> None:
    data = {"type": "vertex", "project_id": "p"}
    assert credential_file(write(tmp_path, "v.json", data), NOW).status is Status.OK


def test_unreadable_files_fail(tmp_path: Path) -> None:
    assert credential_file(write(tmp_path, "bad.json", "{nope"), NOW).status is Status.FAIL
    assert credential_file(write(tmp_path, "list.json", "[1]"), NOW).status is Status.FAIL


def test_checks_cover_every_json_file_in_the_auth_dir(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    assert [c.message for c in checks(Snapshot(env))] == [
        f"no credential files in {env.paths.default_auth_dir}"
    ]
    folder = env.paths.default_auth_dir
    write(folder, "b.json", {"type": "claude"})
    write(folder, "a.json", {"type": "codex"})
    write(folder, "notes.txt", "ignored")
    assert [c.subject for c in checks(Snapshot(env))] == ["a.json", "b.json"]
