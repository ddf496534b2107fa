"""os.environ/NAME references, unknown keys (warnings) and the three ways into strict mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- os.environ/NAME ---------------------------------------------------------------------


def test_environment_references_are_resolved(tmp_path: Path) -> None:
    text = (
        'api-keys = ["os.environ/CLIENT_KEY", "plain"]\nport = "os.environ/PORT"\n'
        'debug = "os.environ/DEBUG"\n[[claude-api-key]]\napi-key = "os.environ/ANTHROPIC"\n'
    )
    environ = {"CLIENT_KEY": "from-env", "PORT": "9123", "DEBUG": "true", "ANTHROPIC": "sk-e"}
    s = load_config(write(tmp_path, "c.toml", text), environ).settings
    assert s.api_keys == ("from-env", "plain")
    assert s.port == 9123
    assert s.debug is True
    assert s.claude_api_key[0].api_key == "sk-e"
    assert type(s.api_keys[0]) is str  # not the internal marker subclass


def test_environment_reference_in_yaml(tmp_path: Path) -> None:
    text = "remote-management:\n  secret-key: os.environ/MGMT\n"
    s = load_config(write(tmp_path, "c.yaml", text), {"MGMT": "m-secret"}).settings
    assert s.remote_management.secret_key == "m-secret"


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("c.toml", 'port = 1\n\n[[claude-api-key]]\napi-key = "os.environ/NOPE"\n', 4),
        ("c.yaml", "port: 1\nclaude-api-key:\n  - api-key: os.environ/NOPE\n", 3),
    ],
)
def test_missing_environment_variable(tmp_path: Path, name: str, text: str, line: int) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, {"OTHER": "x"})
    err = info.value
    assert err.key == "claude-api-key[0].api-key"
    assert err.line == line
    assert "NOPE" in str(err)
    assert "not set" in str(err)
    assert str(err).startswith(f"{path}:{line}: claude-api-key[0].api-key: ")


def test_environment_value_of_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="port: expected an integer; got 'eighty'"):
        load_config(write(tmp_path, "c.toml", 'port = "os.environ/P"\n'), {"P": "eighty"})


# --- unknown keys and strict mode ----------------------------------------------------------

UNKNOWN_YAML = """\
port: 8317
routing:
  stratgy: fill-first
claude-api-key:
  - api-key: sk
    bse-url: https://x
colour: blue
"""


def test_unknown_keys_warn_with_full_path_and_line(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "config.yaml", UNKNOWN_YAML), {})
    assert loaded.warnings == [
        "config.yaml:3: unknown key 'routing.stratgy' (ignored; did you mean 'routing.strategy'?)",
        "config.yaml:6: unknown key 'claude-api-key[0].bse-url' "
        "(ignored; did you mean 'claude-api-key[0].base-url'?)",
        "config.yaml:7: unknown key 'colour' (ignored)",
    ]
    assert loaded.settings.routing.strategy == "round-robin"
    assert loaded.settings.claude_api_key[0].base_url is None
    assert "colour" not in loaded.settings.extra


def test_unknown_keys_warn_in_toml(tmp_path: Path) -> None:
    text = '[routing]\nstrategy = "random"\nstratgy = "x"\n\n[[codex-api-key]]\napi-key = "k"\n'
    text += '[[codex-api-key]]\napi-key = "k2"\nbse-url = "u"\n'
    loaded = load_config(write(tmp_path, "config.toml", text), {})
    assert [w.split(" (")[0] for w in loaded.warnings] == [
        "config.toml:3: unknown key 'routing.stratgy'",
        "config.toml:9: unknown key 'codex-api-key[1].bse-url'",
    ]


def test_strict_argument_makes_unknown_keys_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", UNKNOWN_YAML)
    with pytest.raises(ConfigError) as info:
        load_config(path, {}, strict=True)
    assert info.value.key == "routing.stratgy"
    assert info.value.line == 3
    assert "unknown key" in str(info.value)
    assert "strict" in str(info.value)


def test_strict_config_key_in_file(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", "strict-config: true\n" + UNKNOWN_YAML)
    with pytest.raises(ConfigError, match=r"config\.yaml:4: routing\.stratgy: unknown key"):
        load_config(path, {})


@pytest.mark.parametrize("value", ["1", "true", "TRUE"])
def test_strict_from_environment(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "config.yaml", UNKNOWN_YAML)
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(path, {"CLIPROXY_STRICT_CONFIG": value})


def test_strict_environment_other_values_stay_lenient(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", UNKNOWN_YAML)
    loaded = load_config(path, {"CLIPROXY_STRICT_CONFIG": "0"})
    assert len(loaded.warnings) == 3
    assert loaded.settings.strict_config is False


def test_strict_false_argument_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", "strict-config: true\n" + UNKNOWN_YAML)
    loaded = load_config(path, {"CLIPROXY_STRICT_CONFIG": "1"}, strict=False)
    assert len(loaded.warnings) == 3
    assert loaded.settings.strict_config is False


def test_strict_clean_file_loads_and_records_mode(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, "c.toml", "strict-config = true\nport = 1\n"), {})
    assert loaded.warnings == []
    assert loaded.settings.strict_config is True
