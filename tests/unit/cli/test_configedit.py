"""cliproxyctl.configedit: one key of config.toml changed only when the result loads."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from tomlkit.toml_document import TOMLDocument

from cliproxyctl.configedit import ConfigFileError, check_loads, edit_key
from cliproxyctl.tomlpath import KeyPath, parse_path, set_value, unset_value

TEXT = """\
# my proxy
api-keys = ["sk-local-0123456789abcdef"]

[routing]
strategy = "round-robin"   # spread evenly
"""


def setter(value: Any) -> Any:
    def apply(doc: TOMLDocument, path: KeyPath) -> Any:
        return set_value(doc, path, value)

    return apply


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(TEXT)
    path.chmod(0o644)
    return path


def test_a_change_that_loads_is_written_atomically_and_privately(config: Path) -> None:
    change = edit_key(config, {}, parse_path("routing.strategy"), setter("fill-first"))
    assert (change.key, change.old, change.new, change.changed) == (
        "routing.strategy",
        "round-robin",
        "fill-first",
        True,
    )
    assert config.read_text() == TEXT.replace("round-robin", "fill-first")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert [p.name for p in config.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_the_same_value_again_changes_nothing_and_writes_nothing(config: Path) -> None:
    os.utime(config, (1, 1))
    change = edit_key(config, {}, parse_path("routing.strategy"), setter("round-robin"))
    assert not change.changed
    assert config.stat().st_mtime == 1


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "routing.strateg",
            "fill-first",
            r"routing\.strateg is not a key.*did you mean routing\.strategy\?",
        ),
        (
            "routing.strategy",
            "bogus",
            r"would not load: config\.toml:5: routing\.strategy: expected one of",
        ),
        ("request-retry", "many", "would not load"),
        ("routing", "x", "is a table"),
    ],
)
def test_an_edit_that_would_not_load_leaves_the_file_alone(
    config: Path, key: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigFileError, match=message):
        edit_key(config, {}, parse_path(key), setter(value))
    assert config.read_text() == TEXT


def test_unknown_keys_already_in_the_file_do_not_block_other_edits(config: Path) -> None:
    config.write_text("mystery = 1\n" + TEXT)
    change = edit_key(config, {}, parse_path("request-retry"), setter(5))
    assert change.changed
    assert any("unknown key 'mystery'" in w for w in change.warnings)


def test_unset_brings_the_default_back(config: Path) -> None:
    change = edit_key(config, {}, parse_path("routing.strategy"), unset_value)
    assert (change.old, change.new) == ("round-robin", None)
    assert "strategy" not in config.read_text()
    assert "# my proxy" in config.read_text()


def test_only_toml_files_are_edited_and_a_missing_one_is_named(tmp_path: Path) -> None:
    yaml = tmp_path / "config.yaml"
    yaml.write_text("port: 8317\n")
    with pytest.raises(ConfigFileError, match="edits TOML files"):
        edit_key(yaml, {}, parse_path("port"), setter(9000))
    with pytest.raises(ConfigFileError, match=r"no config file at .*setup"):
        edit_key(tmp_path / "absent.toml", {}, parse_path("port"), setter(9000))


def test_check_loads_tolerates_a_file_that_was_already_broken_here() -> None:
    broken = 'api-keys = ["os.environ/UNSET_HERE"]\nport = "x"\n'
    assert check_loads(broken, broken, {})[0].startswith("the config does not load here")
    with pytest.raises(ConfigFileError, match="would not load"):
        check_loads(broken, TEXT, {})
