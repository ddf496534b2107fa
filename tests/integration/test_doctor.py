"""`cliproxyctl doctor` as users run it, against a real daemon, its JSON checked by its schema."""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from daemon.config import load_config
from tests.support.daemon import Sandbox, base_config
from tests.support.doctor import parse_output

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def doctor(sandbox: Sandbox, *args: str) -> tuple[int, dict[str, Any]]:
    result = sandbox.cli("doctor", "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    document = parse_output(result.stdout)
    assert document["command"] == "doctor"
    assert document["ok"] is (result.returncode == 0)
    return result.returncode, document


def checks(document: dict[str, Any], id: str) -> list[dict[str, Any]]:
    return [c for c in document["details"]["checks"] if c["id"] == id]


def only(document: dict[str, Any], id: str) -> dict[str, Any]:
    [check] = checks(document, id)
    return check


@pytest.fixture
def configured(sandbox: Sandbox) -> Sandbox:
    sandbox.write_config(base_config(port=free_port()))
    sandbox.config.chmod(0o600)
    return sandbox


def test_a_healthy_setup_passes_every_check(configured: Sandbox) -> None:
    started = configured.cli("start", "--json")
    assert started.returncode == 0, started.stderr
    code, document = doctor(configured, "--strict")
    not_ok = [c for c in document["details"]["checks"] if c["status"] != "ok"]
    assert code == 0 and not not_ok, not_ok
    assert document["details"]["summary"]["fail"] == 0
    assert "served by our daemon" in only(document, "listen.port")["message"]
    for id in ("control.socket", "daemon.version", "clock.drift"):
        assert not only(document, id)["skipped"], id
    human = configured.cli("doctor")
    assert human.returncode == 0 and "healthy" in human.stdout


def test_a_broken_config_fails(sandbox: Sandbox) -> None:
    sandbox.write_config("port = [\n")
    code, document = doctor(sandbox)
    assert code == 1
    assert only(document, "config.valid")["status"] == "fail"
    assert only(document, "listen.port")["skipped"]
    human = sandbox.cli("doctor")
    assert human.returncode == 1
    assert "fail config.valid" in human.stdout and "fix:" in human.stdout


def test_an_expired_credential_fails(configured: Sandbox) -> None:
    auths = configured.home / "data" / "auths"
    auths.mkdir(parents=True, mode=0o700)
    expired = datetime.fromtimestamp(time.time() - 7200, UTC).isoformat()
    credential = auths / "claude-me@example.com.json"
    credential.write_text(json.dumps({"type": "claude", "refresh_token": "rt", "expired": expired}))
    credential.chmod(0o600)
    code, document = doctor(configured)
    assert code == 1
    [check] = checks(document, "credentials.file")
    assert check["status"] == "fail" and check["subject"] == credential.name
    assert "expired 2h ago" in check["message"]
    assert document["details"]["summary"]["fail"] == 1


def test_a_port_taken_by_another_process_fails(sandbox: Sandbox) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        sandbox.write_config(base_config(port=port))
        code, document = doctor(sandbox)
    assert code == 1
    check = only(document, "listen.port")
    assert check["status"] == "fail"
    assert f"held by another process (pid {os.getpid()})" in check["message"]
    assert f"sport = :{port}" in check["fix"]


def test_fix_tightens_permissions_and_removes_a_stale_socket(configured: Sandbox) -> None:
    auths = configured.home / "data" / "auths"
    auths.mkdir(parents=True)
    auths.chmod(0o755)
    (auths / "codex-a.json").write_text('{"type": "codex"}')
    (auths / "codex-a.json").chmod(0o644)
    configured.runtime.mkdir(parents=True, mode=0o700)
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(configured.socket))
    code, before = doctor(configured)
    assert code == 1 and only(before, "paths.auth_dir")["status"] == "fail"
    assert "stale" in only(before, "control.socket")["message"]
    code, after = doctor(configured, "--fix")
    fixed = {item["id"] for item in after["details"]["fixed"]}
    assert fixed == {"paths.auth_dir", "paths.auth_files", "control.socket"}
    assert code == 0
    assert only(after, "paths.auth_dir")["status"] == "ok"
    assert only(after, "paths.auth_files")["status"] == "ok"
    assert "not running" in only(after, "control.socket")["message"]
    assert stat.S_IMODE(auths.stat().st_mode) == 0o700
    assert stat.S_IMODE((auths / "codex-a.json").stat().st_mode) == 0o600
    assert not configured.socket.exists()
    code, _ = doctor(configured, "--strict")
    assert code == 1  # the daemon is not running: a warning, a failure under --strict


def test_fix_writes_a_missing_config_and_shows_the_key_only_to_people(sandbox: Sandbox) -> None:
    result = sandbox.cli("doctor", "--json", "--fix", "--offline")
    document = parse_output(result.stdout)
    [key] = load_config(sandbox.config, {}).settings.api_keys
    assert key not in result.stdout and key not in result.stderr
    assert [item["id"] for item in document["details"]["fixed"]] == ["config.found"]
    assert document["details"]["offline"] is True
    sandbox.config.unlink()
    human = sandbox.cli("doctor", "--fix", "--offline")
    [key] = load_config(sandbox.config, {}).settings.api_keys
    assert key in human.stderr and key not in human.stdout
    assert "fixed created" in human.stdout


def test_a_usage_error_exits_2(sandbox: Sandbox) -> None:
    assert sandbox.cli("doctor", "--no-such-flag").returncode == 2
