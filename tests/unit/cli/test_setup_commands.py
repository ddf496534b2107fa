"""cliproxyctl setup without a terminal: flags, --yes, --json, the missing-flag exit 2.

The interactive wizard is driven in a pseudo-terminal by tests/integration/test_setup_wizard.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from cliproxyctl import render, servicectl
from cliproxyctl.app import main
from cliproxyctl.servicectl import RunResult
from cliproxyctl.wizard import keycheck
from cliproxyctl.wizard.answers import ProviderAnswer
from cliproxyctl.wizard.keycheck import CheckResult
from daemon.config import load_config

ANT = "sk-ant-api03-secret-0000000000"
COMMENTED = """\
# My proxy. Keep this comment.
host = "127.0.0.1"
port = 8400  # not the default on purpose
api-keys = ["sk-mine-0123456789abcdef"]
my-note = "unrelated"

[routing]
strategy = "random"  # I chose this
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("CLIPROXY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CLIPROXY_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setattr(render.console, "width", 1000)
    monkeypatch.setattr(render.err_console, "width", 1000)
    checked: list[ProviderAnswer] = []

    def fake_check(answer: ProviderAnswer, environ: Mapping[str, str], **_: Any) -> CheckResult:
        checked.append(answer)
        return CheckResult("failed", "api.anthropic.com answered HTTP 401: invalid x-api-key")

    monkeypatch.setattr(keycheck, "check_key", fake_check)
    return tmp_path


def config(home: Path) -> Path:
    return home / "config" / "config.toml"


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["cliproxyctl", "setup", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_with_no_terminal_it_names_the_missing_flags_and_exits_2(home: Path) -> None:
    env = {**os.environ, "CLIPROXY_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "cliproxyctl", "setup", "--port", "9000"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert "no terminal to ask on" in message
    for flag in (
        "--host",
        "--client-key or --generate-key",
        "--strategy",
        "--service or --no-service",
    ):
        assert flag in message
    assert "--port" not in message.replace("--port 9000", "")
    assert not config(home).exists()


def test_the_missing_flags_in_json(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, "--json", "--host", "127.0.0.1")
    doc = json.loads(out)
    assert code == 2 and doc["ok"] is False and doc["command"] == "setup"
    assert doc["details"]["missing"] == [
        "--port",
        "--client-key or --generate-key",
        "--strategy",
        "--service or --no-service",
    ]


def test_yes_writes_a_loadable_private_config_and_shows_the_new_key_once(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, "--yes", "--offline")
    assert code == 0
    path = config(home)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    settings = load_config(path, {}).settings
    (key,) = settings.api_keys
    assert out.count(key) >= 2  # the "new key" line and the client snippets
    assert "will be the commented template." in out  # nothing beyond the template
    assert f"export ANTHROPIC_AUTH_TOKEN={key}" in out
    assert "GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8317" in out
    assert 'wire_api = "responses"' in out


def test_every_answer_by_flag_with_json_masks_the_secrets(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        monkeypatch,
        capsys,
        "--json",
        "--host", "0.0.0.0",
        "--port", "9100",
        "--client-key", "sk-client-for-scripts-0001",
        "--provider", f"claude={ANT}",
        "--provider", "ollama@http://localhost:11434/v1=",
        "--strategy", "least-busy",
        "--no-service",
    )  # fmt: skip
    assert code == 0, out
    doc = json.loads(out)
    details = doc["details"]
    assert doc["ok"] is True and details["written"] is True and details["created"] is True
    assert ANT not in out and "sk-client-for-scripts-0001" not in out
    assert details["client_key"] == {"added": True, "generated": False, "key": "sk-c…0001"}
    assert details["providers"][0]["check"]["status"] == "failed"  # a warning, still written
    assert details["providers"][1]["check"]["status"] == "failed"
    assert details["base_url"] == "http://127.0.0.1:9100"
    data = tomllib.loads(config(home).read_text())
    assert (data["host"], data["port"], data["routing"]["strategy"]) == (
        "0.0.0.0",
        9100,
        "least-busy",
    )
    assert data["api-keys"] == ["sk-client-for-scripts-0001"]
    assert data["claude-api-key"] == [{"api-key": ANT}]
    assert data["openai-compatibility"] == [
        {"name": "ollama", "base-url": "http://localhost:11434/v1"}
    ]


def test_a_rerun_edits_the_commented_file_and_a_second_one_changes_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(home)
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    args = ("--yes", "--offline", "--provider", f"claude={ANT}", "--port", "8401")
    code, out, _ = run(monkeypatch, capsys, *args)
    assert code == 0, out
    text = path.read_text()
    for line in COMMENTED.splitlines():
        assert line.replace("8400", "8401") in text
    assert f'api-key = "{ANT}"' in text
    assert ANT not in out.split("Point your tools")[0]  # the diff shows it masked
    assert "+port = 8401  # not the default on purpose" in out
    before = path.stat().st_mtime_ns
    code, out, _ = run(monkeypatch, capsys, *args)
    assert code == 0 and "nothing to change" in out
    assert path.stat().st_mtime_ns == before


def test_warnings_of_failed_key_checks_go_to_stderr(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "--yes", "--provider", f"claude={ANT}")
    assert code == 0
    assert "warning: Claude API key (Anthropic): api.anthropic.com answered HTTP 401" in err


def test_dry_run_writes_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, "--yes", "--dry-run", "--port", "9999", "--json")
    assert code == 0
    assert json.loads(out)["details"]["written"] is False
    assert not config(home).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--strategy", "fastest"), "--strategy 'fastest'"),
        (("--provider", "nosuch=k"), "unknown provider"),
        (("--client-key", "sk-0123456789", "--generate-key"), "exclude each other"),
    ],
)
def test_wrong_flags_are_usage_errors(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: Sequence[str],
    message: str,
) -> None:
    code, _, err = run(monkeypatch, capsys, "--yes", *args)
    assert code == 2 and message in err


def test_a_yaml_config_is_not_edited(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "config" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("port: 1\n")
    code, _, err = run(monkeypatch, capsys, "--yes")
    assert code == 1 and "setup edits TOML files" in err
    assert path.read_text() == "port: 1\n"


def test_service_yes_installs_it_after_writing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("systemd units")
    calls: list[list[str]] = []

    def runner(argv: Sequence[str]) -> RunResult:
        calls.append(list(argv))
        return RunResult(0)

    monkeypatch.setattr(servicectl, "run_command", runner)
    code, out, _ = run(monkeypatch, capsys, "--yes", "--offline", "--service")
    assert code == 0, out
    assert "Service written:" in out and "journalctl --user -u cliproxy -f" in out
    assert calls[-1] == ["systemctl", "--user", "enable", "--now", "cliproxy.service"]
    assert (home / "user/.config/systemd/user/cliproxy.service").exists()

    monkeypatch.setattr(
        servicectl, "run_command", lambda argv: RunResult(1, "", "Failed to connect to bus\n")
    )
    code, out, _ = run(
        monkeypatch, capsys, "--yes", "--offline", "--service", "--port", "9001", "--json"
    )
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert doc["details"]["written"] is True  # the config was written all the same
    assert "Failed to connect to bus" in doc["details"]["service"]["error"]
