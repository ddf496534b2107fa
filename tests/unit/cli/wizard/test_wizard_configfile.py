"""cliproxyctl.wizard.configfile: read, plan, diff and write the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cliproxyctl.tomledit import ConfigEdit, ProviderEdit
from cliproxyctl.wizard.configfile import (
    ConfigFileError,
    masked_diff,
    plan_change,
    read_current,
    write_change,
)
from daemon.config import default_config_text


def test_read_current_of_no_file_a_yaml_file_and_a_broken_one(tmp_path: Path) -> None:
    assert read_current(tmp_path / "config.toml") == (None, None)
    with pytest.raises(ConfigFileError, match="setup edits TOML files"):
        read_current(tmp_path / "config.yaml")
    broken = tmp_path / "broken.toml"
    broken.write_text("port = = 1\n")
    with pytest.raises(ConfigFileError, match=r"not valid TOML.*move it away"):
        read_current(broken)
    good = tmp_path / "good.toml"
    good.write_text("port = 1\n")
    text, values = read_current(good)
    assert text == "port = 1\n" and values is not None and values.port == 1


def test_a_new_file_is_the_template_with_the_edit(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.toml"
    edit = ConfigEdit(port=9000, add_client_keys=("sk-new-0123456789",), strategy="random")
    change = plan_change(path, edit, {}, None)
    assert change.created and change.changed
    assert change.base_text == default_config_text("sk-new-0123456789")
    assert change.changes == [
        "created from the commented template",
        "port = 9000",
        "routing.strategy = 'random'",
    ]
    diff = masked_diff(change, {"sk-new-0123456789"})
    assert diff.startswith("--- template\n+++ ")
    assert "+port = 9000" in diff and "sk-new-0123456789" not in diff
    write_change(change)
    assert path.read_text() == change.new_text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    with pytest.raises(ConfigFileError, match="needs a client key"):
        plan_change(path, ConfigEdit(), {}, None)


def test_an_edit_that_would_not_load_is_refused(tmp_path: Path) -> None:
    old = 'api-keys = ["sk-0123456789"]\n'
    with pytest.raises(ConfigFileError, match="would not load"):
        plan_change(tmp_path / "c.toml", ConfigEdit(strategy="fastest"), {}, old)


def test_a_file_that_did_not_load_before_only_warns(tmp_path: Path) -> None:
    old = 'api-keys = ["sk-0123456789"]\n\n[[claude-api-key]]\napi-key = "os.environ/UNSET_HERE"\n'
    change = plan_change(tmp_path / "c.toml", ConfigEdit(port=1000), {}, old)
    assert change.warnings and "UNSET_HERE" in change.warnings[0]
    fine = plan_change(tmp_path / "c.toml", ConfigEdit(port=1000), {"UNSET_HERE": "x"}, old)
    assert fine.warnings == []


def test_unchanged_edits_and_the_diff_of_an_existing_file(tmp_path: Path) -> None:
    old = 'port = 8317\napi-keys = ["sk-0123456789"]\n'
    same = plan_change(tmp_path / "c.toml", ConfigEdit(port=8317), {}, old)
    assert not same.changed and same.changes == [] and masked_diff(same, ()) == ""
    edit = ConfigEdit(providers=(ProviderEdit("claude-api-key", "sk-ant-secret-key-1"),))
    change = plan_change(tmp_path / "c.toml", edit, {}, old)
    diff = masked_diff(change, ["sk-ant-secret-key-1", ""])
    assert f"--- {tmp_path / 'c.toml'} (current)" in diff
    assert '+api-key = "sk-a…ey-1"' in diff
