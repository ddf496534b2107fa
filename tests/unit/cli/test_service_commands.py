"""cliproxyctl service install|uninstall|status, with a fake systemctl."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cliproxyctl import render, servicectl
from cliproxyctl.app import app
from cliproxyctl.servicectl import RunResult

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="systemd units")


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    for name in list(os.environ):
        if name.startswith("CLIPROXY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("CLIPROXY_HOME", str(tmp_path / "cp"))
    monkeypatch.setattr(render.console, "width", 1000)
    recorded: list[list[str]] = []

    def fake(argv: Sequence[str]) -> RunResult:
        recorded.append(list(argv))
        if "is-active" in argv:
            return RunResult(0, "active\n")
        if "is-enabled" in argv:
            return RunResult(0, "enabled\n")
        return RunResult(0)

    monkeypatch.setattr(servicectl, "run_command", fake)
    return recorded


def unit(tmp_path: Path) -> Path:
    return tmp_path / "home/.config/systemd/user/cliproxy.service"


def envelope(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    assert doc["schema_version"] == "cliproxyctl.response.v1"
    return doc


def test_install_prints_the_unit_and_how_to_follow_logs(
    calls: list[list[str]], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["service", "install"])
    assert result.exit_code == 0, result.output
    assert f"Wrote {unit(tmp_path)}" in result.output
    assert "ExecStart=" in result.output and " serve" in result.output
    assert "journalctl --user -u cliproxy -f" in result.output
    assert "loginctl enable-linger" in result.output
    assert calls[-1] == ["systemctl", "--user", "enable", "--now", "cliproxy.service"]
    again = CliRunner().invoke(app, ["service", "install"])
    assert "is already up to date" in again.output


def test_install_json_and_no_sandbox(calls: list[list[str]], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["service", "install", "--no-sandbox", "--no-start", "--json"])
    assert result.exit_code == 0, result.output
    doc = envelope(result.output)
    assert doc["command"] == "service install" and doc["ok"] is True
    assert doc["details"]["path"] == str(unit(tmp_path))
    assert doc["details"]["started"] is False
    assert "ProtectSystem" not in unit(tmp_path).read_text()
    status = CliRunner().invoke(app, ["service", "status", "--json"])
    assert (
        envelope(status.output)["details"]["up_to_date"] is True
    )  # a --no-sandbox unit is current


def test_status_exits_1_when_not_installed_and_0_when_active(
    calls: list[list[str]], tmp_path: Path
) -> None:
    missing = CliRunner().invoke(app, ["service", "status"])
    assert missing.exit_code == 1
    assert "(not installed)" in missing.output
    CliRunner().invoke(app, ["service", "install"])
    active = CliRunner().invoke(app, ["service", "status", "--json"])
    assert active.exit_code == 0
    details = envelope(active.output)["details"]
    assert (details["installed"], details["active"], details["enabled"]) == (
        True,
        "active",
        "enabled",
    )


def test_uninstall_removes_the_unit_and_says_when_there_was_none(
    calls: list[list[str]], tmp_path: Path
) -> None:
    CliRunner().invoke(app, ["service", "install"])
    removed = CliRunner().invoke(app, ["service", "uninstall"])
    assert removed.exit_code == 0 and "Stopped and removed" in removed.output
    assert not unit(tmp_path).exists()
    none = CliRunner().invoke(app, ["service", "uninstall", "--json"])
    assert envelope(none.output)["details"]["removed"] is False


def test_a_systemctl_failure_exits_1_with_a_json_error(
    calls: list[list[str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        servicectl, "run_command", lambda argv: RunResult(1, "", "Failed to connect to bus\n")
    )
    monkeypatch.setattr(sys, "argv", ["cliproxyctl", "service", "install", "--json"])
    from cliproxyctl.app import main

    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 1
    doc = envelope(capsys.readouterr().out)
    assert (doc["command"], doc["ok"]) == ("service install", False)
    assert "Failed to connect to bus" in doc["details"]["error"]
    assert doc["details"]["written"] is True
