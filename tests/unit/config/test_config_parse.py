"""Line lookups for TOML and YAML key paths, key spelling, and duration parsing."""

from __future__ import annotations

import pytest
import yaml

from daemon.config.errors import format_key
from daemon.config.parse import toml_key_lines, yaml_key_line
from daemon.config.values import parse_duration

TOML = """\
# comment = 1
host = "x"
routing.strategy = "random"

[tls]
enable = true
"key" = "k"

[[claude-api-key]]
api-key = "a"
doc = \"\"\"
fake = 1
\"\"\"

[[claude-api-key]]
api-key = "b"

[[claude-api-key.models]]
name = "m0"

[[claude-api-key.models]]
name = "m1"

[remote-management]  # trailing comment
secret-key = "s"
"""


def test_toml_key_lines() -> None:
    index = toml_key_lines(TOML)
    assert index[("host",)] == 2
    assert index[("routing", "strategy")] == 3
    assert index[("tls",)] == 5
    assert index[("tls", "key")] == 7
    assert index[("claude-api-key", 0)] == 9
    assert index[("claude-api-key", 0, "api-key")] == 10
    assert ("claude-api-key", 0, "fake") not in index
    assert ("fake",) not in index
    assert index[("claude-api-key", 1, "api-key")] == 16
    assert index[("claude-api-key", 1, "models", 0, "name")] == 19
    assert index[("claude-api-key", 1, "models", 1, "name")] == 22
    assert index[("remote-management", "secret-key")] == 25


def test_yaml_key_line_finds_deepest_known_part() -> None:
    text = "a: 1\nlist:\n  - x: 1\n  - x: 2\n    y:\n      z: 3\n"
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert yaml_key_line(root, ("a",)) == 1
    assert yaml_key_line(root, ("list", 1)) == 4
    assert yaml_key_line(root, ("list", 1, "y", "z")) == 6
    assert yaml_key_line(root, ("list", 1, "missing")) == 4
    assert yaml_key_line(root, ("list", 7)) == 2
    assert yaml_key_line(root, ("nope",)) is None
    assert yaml_key_line(None, ("a",)) is None


def test_format_key() -> None:
    assert format_key(("claude-api-key", 1, "base-url")) == "claude-api-key[1].base-url"
    assert format_key(("api-keys", 0)) == "api-keys[0]"
    assert format_key(()) == ""


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("250ms", 0.25),
        ("1.5h", 5400.0),
        ("3600", 3600.0),
        (" 45 ", 45.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "5 minutes", "1d", "h", "10x"])
def test_parse_duration_rejects(text: str) -> None:
    assert parse_duration(text) is None
