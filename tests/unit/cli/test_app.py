"""cliproxyctl.app: commands that need no daemon, JSON envelopes and exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cliproxyctl import render
from cliproxyctl.app import _command_name, app, main
from cliproxyctl.errors import CliError, NotRunning
from daemon.version import __version__

CLIENT_KEYS = ("sk-client-aaaaaaaaaaaaaaaa", "sk-client-bbbbbbbbbbbbbbbb")
PROVIDER_KEY = "sk-ant-api03-provider-secret-0000"
GEMINI_KEY = "AIzaSyProviderKey000000000000000"
HEADER_TOKEN = "header-token-abcdefgh"
PROXY_PASSWORD = "proxy-password-123"
MANAGEMENT = "management-secret-xyz"
SECRETS = (*CLIENT_KEYS, PROVIDER_KEY, GEMINI_KEY, HEADER_TOKEN, PROXY_PASSWORD, MANAGEMENT)

SECRET_CONFIG = f"""\
port = 0
api-keys = ["{CLIENT_KEYS[0]}", "{CLIENT_KEYS[1]}"]
proxy-url = "http://user:{PROXY_PASSWORD}@127.0.0.1:3128"

[remote-management]
secret-key = "{MANAGEMENT}"

[[claude-api-key]]
api-key = "{PROVIDER_KEY}"
headers = {{ Authorization = "Bearer {HEADER_TOKEN}" }}

[[gemini-api-key]]
api-key = "{GEMINI_KEY}"
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A private CLIPROXY_HOME and an empty runtime dir, for CliRunner and main() alike."""
    for name in list(os.environ):
        if name.startswith("CLIPROXY_"):
            monkeypatch.delenv(name)
    (tmp_path / "run").mkdir()
    values = {
        "CLIPROXY_HOME": str(tmp_path / "home"),
        "CLIPROXY_RUNTIME_DIR": str(tmp_path / "run"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    """Rich wraps at 80 columns when not on a terminal; long tmp paths would be split."""
    saved = (render.console._width, render.err_console._width)
    render.console.width = 1000
    render.err_console.width = 1000
    yield
    render.console._width, render.err_console._width = saved


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def envelope(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    assert set(doc) == {"schema_version", "command", "ok", "timestamp", "details"}
    assert doc["schema_version"] == "cliproxyctl.response.v1"
    return doc


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the console-script entry with `args`; return its exit code."""
    monkeypatch.setattr(sys, "argv", ["cliproxyctl", *args])
    with pytest.raises(SystemExit) as done:
        main()
    code = done.value.code
    assert isinstance(code, int)
    return code


# --------------------------------------------------------------------------- via CliRunner


@pytest.mark.usefixtures("env")
def test_version_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["version", "--json"])
    assert result.exit_code == 0
    doc = envelope(result.stdout)
    assert doc["ok"] is True
    assert doc["command"] == "version"
    assert doc["details"]["version"] == __version__
    assert doc["details"]["python"] == sys.version.split()[0]


@pytest.mark.usefixtures("env")
def test_version_plain(runner: CliRunner) -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cliproxyctl {__version__}"


def test_config_path_defaults_to_the_home_folder(runner: CliRunner, env: dict[str, str]) -> None:
    result = runner.invoke(app, ["config", "path", "--json"])
    assert result.exit_code == 0
    doc = envelope(result.stdout)
    expected = Path(env["CLIPROXY_HOME"]) / "config" / "config.toml"
    assert doc["command"] == "config path"
    assert doc["details"] == {"path": str(expected), "exists": False}
    plain = runner.invoke(app, ["config", "path"])
    assert plain.stdout.strip() == f"{expected}  (not created yet)"


def test_config_path_finds_a_yaml_file(runner: CliRunner, env: dict[str, str]) -> None:
    yaml = write(Path(env["CLIPROXY_HOME"]) / "config" / "config.yaml", "port: 1\n")
    doc = envelope(runner.invoke(app, ["config", "path", "--json"]).stdout)
    assert doc["details"] == {"path": str(yaml), "exists": True}
    assert runner.invoke(app, ["config", "path"]).stdout.strip() == str(yaml)


@pytest.mark.usefixtures("env")
def test_config_flag_and_env_choose_the_file(runner: CliRunner, tmp_path: Path) -> None:
    flag = write(tmp_path / "flag.toml", "")
    from_env = tmp_path / "env.toml"
    result = runner.invoke(
        app, ["--config", str(flag), "config", "path", "--json"], env={"CLIPROXY_CONFIG": "x"}
    )
    assert envelope(result.stdout)["details"] == {"path": str(flag), "exists": True}
    result = runner.invoke(
        app, ["config", "path", "--json"], env={"CLIPROXY_CONFIG": str(from_env)}
    )
    assert envelope(result.stdout)["details"] == {"path": str(from_env), "exists": False}


@pytest.mark.usefixtures("env")
def test_config_validate_valid(runner: CliRunner, tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", 'port = 1\napi-keys = ["k"]\n')
    result = runner.invoke(app, ["-c", str(config), "config", "validate"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"valid: {config}"
    doc = envelope(runner.invoke(app, ["-c", str(config), "config", "validate", "--json"]).stdout)
    assert doc["ok"] is True
    assert doc["command"] == "config validate"
    assert doc["details"] == {"path": str(config), "valid": True, "warnings": []}


@pytest.mark.usefixtures("env")
def test_config_validate_with_a_warning(runner: CliRunner, tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", "port = 1\nbogus-key = 1\n")
    result = runner.invoke(app, ["-c", str(config), "config", "validate"])
    assert result.exit_code == 0
    assert "warning: " in result.stdout
    assert "unknown key 'bogus-key'" in result.stdout
    assert result.stdout.strip().endswith(f"valid: {config}")
    doc = envelope(runner.invoke(app, ["-c", str(config), "config", "validate", "--json"]).stdout)
    assert doc["ok"] is True
    assert len(doc["details"]["warnings"]) == 1
    assert "c.toml:2" in doc["details"]["warnings"][0]


@pytest.mark.usefixtures("env")
def test_config_validate_strict_turns_the_warning_into_an_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = write(tmp_path / "c.toml", "port = 1\nbogus-key = 1\n")
    result = runner.invoke(app, ["-c", str(config), "config", "validate", "--strict"])
    assert isinstance(result.exception, CliError)
    assert "bogus-key" in result.exception.message
    assert result.exception.details == {"path": str(config), "valid": False}


@pytest.mark.usefixtures("env")
def test_config_show_masks_every_secret(runner: CliRunner, tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", SECRET_CONFIG)
    result = runner.invoke(app, ["--config", str(config), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.stdout
    doc = envelope(result.stdout)
    assert doc["command"] == "config show"
    settings = doc["details"]["settings"]
    assert doc["details"]["path"] == str(config)
    assert settings["api_keys"] == ["sk-c…aaaa", "sk-c…bbbb"]
    assert settings["claude_api_key"][0]["api_key"] == "sk-a…0000"
    assert settings["claude_api_key"][0]["headers"]["Authorization"].startswith("Bear")
    assert settings["gemini_api_key"][0]["api_key"] == "AIza…0000"
    assert settings["remote_management"]["secret_key"] == "mana…-xyz"
    assert "127.0.0.1:3128" in settings["proxy_url"]
    assert settings["port"] == 0  # non-secrets untouched

    plain = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert plain.exit_code == 0
    for secret in SECRETS:
        assert secret not in plain.stdout
    assert "sk-c…aaaa" in plain.stdout


@pytest.mark.usefixtures("env")
def test_status_without_a_daemon_is_not_running(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty-run"
    empty.mkdir()
    result = runner.invoke(app, ["status", "--json"], env={"CLIPROXY_RUNTIME_DIR": str(empty)})
    assert isinstance(result.exception, NotRunning)
    assert result.exception.details == {"running": False}
    assert str(empty / "control.sock") in result.exception.message
    assert result.stdout == ""


# --------------------------------------------------------------------------- via main(): exit codes


@pytest.mark.usefixtures("env")
def test_main_version_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "version", "--json") == 0
    assert envelope(capsys.readouterr().out)["details"]["version"] == __version__


@pytest.mark.usefixtures("env")
def test_main_status_without_a_daemon_exits_1_with_ok_false(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "status", "--json") == 1
    doc = envelope(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["command"] == "status"
    assert doc["details"]["running"] is False
    assert "not running" in doc["details"]["error"]


@pytest.mark.usefixtures("env")
def test_main_status_without_a_daemon_plain(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "status") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: the daemon is not running")


@pytest.mark.usefixtures("env")
def test_main_stop_without_a_daemon_is_fine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "stop", "--json") == 0
    assert envelope(capsys.readouterr().out)["details"] == {"was_running": False}


@pytest.mark.usefixtures("env")
def test_main_logs_without_a_daemon_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "logs", "--json") == 1
    doc = envelope(capsys.readouterr().out)
    assert (doc["command"], doc["ok"]) == ("logs", False)


@pytest.mark.usefixtures("env")
def test_main_invalid_config_exits_1_with_a_json_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write(tmp_path / "bad.toml", "port = 1\nport = = 3\n")
    assert run_main(monkeypatch, "-c", str(config), "config", "validate", "--json") == 1
    doc = envelope(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["command"] == "config validate"
    assert doc["details"]["valid"] is False
    assert doc["details"]["path"] == str(config)
    assert "bad.toml" in doc["details"]["error"]


@pytest.mark.usefixtures("env")
def test_main_invalid_config_plain(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write(tmp_path / "bad.toml", 'port = "not a number"\n')
    assert run_main(monkeypatch, "--config", str(config), "config", "validate") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: ")
    assert "port" in err


@pytest.mark.usefixtures("env")
def test_main_missing_config_file_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.toml"
    assert run_main(monkeypatch, "-c", str(missing), "config", "show", "--json") == 1
    doc = envelope(capsys.readouterr().out)
    assert doc["command"] == "config show"
    assert doc["details"] == {
        "error": f"no config file at {missing}",
        "path": str(missing),
        "valid": False,
    }


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    "args",
    [["no-such-command"], ["status", "--no-such-option"], ["config", "nope"], []],
)
def test_main_usage_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert run_main(monkeypatch, *args) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "Usage:" in out + err


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["status", "--json"], "status"),
        (["--config", "/x.toml", "config", "validate", "--json"], "config validate"),
        (["-c", "config", "config", "show"], "config show"),
        (["config", "--json"], "config"),
        (["--json"], "cliproxyctl"),
        ([], "cliproxyctl"),
        (["logs", "-n", "5", "--json"], "logs"),
    ],
)
def test_command_name_for_error_envelopes(argv: list[str], name: str) -> None:
    assert _command_name(argv) == name
