"""cliproxyctl auth reset: its command line (clearing cooldowns of a real daemon is covered by
tests/integration/test_routing.py)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cliproxyctl import render
from cliproxyctl.app import main


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Private folders with no daemon running, and a console wide enough for long paths."""
    for name in list(os.environ):
        if name.startswith("CLIPROXY_"):
            monkeypatch.delenv(name)
    (tmp_path / "run").mkdir()
    monkeypatch.setenv("CLIPROXY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLIPROXY_RUNTIME_DIR", str(tmp_path / "run"))
    saved = (render.console._width, render.err_console._width)
    render.console.width = render.err_console.width = 1000
    yield tmp_path
    render.console._width, render.err_console._width = saved


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["cliproxyctl", *args])
    with pytest.raises(SystemExit) as done:
        main()
    code = done.value.code
    assert isinstance(code, int)
    return code


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("auth", "reset"), id="neither a name nor --all"),
        pytest.param(("auth", "reset", "claude-api-key[0]", "--all"), id="both"),
    ],
)
def test_naming_no_credential_or_two_ways_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    assert run(monkeypatch, *args) == 2
    assert "name one credential, or pass --all" in capsys.readouterr().err


def test_a_usage_error_with_json_is_an_envelope_saying_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "auth", "reset", "--json") == 2
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["details"] == {"error": "name one credential, or pass --all"}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("auth",), id="no subcommand"),
        pytest.param(("auth", "reset", "--bogus"), id="unknown option"),
        pytest.param(("auth", "reset", "one", "two"), id="two names"),
        pytest.param(("auth", "forget"), id="unknown subcommand"),
    ],
)
def test_click_usage_errors_exit_2(monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    assert run(monkeypatch, *args) == 2


@pytest.mark.parametrize("target", [("claude-api-key[0]",), ("--all",)])
def test_a_valid_command_with_no_daemon_is_not_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], target: tuple[str, ...]
) -> None:
    assert run(monkeypatch, "auth", "reset", *target) == 1
    assert "the daemon is not running" in capsys.readouterr().err


def test_no_daemon_with_json_is_an_error_envelope(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "auth", "reset", "--all", "--json") == 1
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert "the daemon is not running" in doc["details"]["error"]


def test_help_describes_reset(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "auth", "reset", "--help") == 0
    out = capsys.readouterr().out
    assert "--all" in out and "--json" in out
