"""paths.*: existence, owner, writability and permissions, and the chmod repairs."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cliproxyctl.doctor import paths as checks
from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Check, Status
from tests.support.doctor import make_env, private_home, write_config


@pytest.fixture
def home() -> Iterator[Path]:
    yield from private_home()


def by_id(found: list[Check]) -> dict[str, Check]:
    return {check.id: check for check in found}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_folders_are_fine_when_they_can_be_created(home: Path) -> None:
    found = by_id(checks.checks(Snapshot(make_env(home))))
    assert all(check.status is Status.OK for check in found.values()), found
    assert "does not exist yet" in found["paths.auth_dir"].message
    assert found["paths.auth_files"].skipped and found["paths.config_file"].skipped


def test_a_loose_auth_dir_and_files_fail_and_are_tightened(home: Path) -> None:
    env = make_env(home)
    auth = env.paths.default_auth_dir
    auth.mkdir(parents=True)
    auth.chmod(0o755)
    (auth / "claude-a.json").write_text("{}")
    (auth / "claude-a.json").chmod(0o644)
    (auth / "codex-b.json").write_text("{}")
    (auth / "codex-b.json").chmod(0o600)
    found = by_id(checks.checks(Snapshot(env)))
    folder, files = found["paths.auth_dir"], found["paths.auth_files"]
    assert folder.status is Status.FAIL and "0755" in folder.message
    assert files.status is Status.FAIL and "claude-a.json (0644)" in files.message
    assert "codex-b.json" not in files.message
    assert folder.repair is not None and files.repair is not None
    assert folder.repair().message == f"chmod 0700 {auth} (was 0755)"
    assert "chmod 0600" in files.repair().message
    assert mode(auth) == 0o700 and mode(auth / "claude-a.json") == 0o600
    found = by_id(checks.checks(Snapshot(env)))
    assert found["paths.auth_dir"].status is Status.OK
    assert found["paths.auth_files"].status is Status.OK


def test_a_readable_config_file_warns(home: Path) -> None:
    env = make_env(home)
    write_config(env, "port = 8317\n").chmod(0o644)
    check = checks.config_file(Snapshot(env))
    assert check.status is Status.WARN and check.repair is not None
    check.repair()
    assert mode(env.config_path) == 0o600


def test_a_group_writable_log_dir_fails_and_a_loose_runtime_dir_warns(home: Path) -> None:
    env = make_env(home)
    env.paths.log_dir.mkdir(mode=0o777)
    env.paths.log_dir.chmod(0o775)
    env.paths.runtime_dir.mkdir()
    env.paths.runtime_dir.chmod(0o750)
    found = by_id(checks.checks(Snapshot(env)))
    assert found["paths.log_dir"].status is Status.FAIL
    assert found["paths.runtime_dir"].status is Status.WARN


def test_a_file_where_a_folder_belongs_and_someone_elses_folder_fail(home: Path) -> None:
    env = make_env(home)
    env.paths.data_dir.parent.mkdir(exist_ok=True)
    env.paths.data_dir.write_text("oops")
    found = by_id(checks.checks(Snapshot(env)))
    assert found["paths.data_dir"].status is Status.FAIL
    assert "not a folder" in found["paths.data_dir"].message
    stranger = make_env(home, uid=os.getuid() + 4242)
    check = checks.folder("paths.log_dir", home, stranger.uid, checks.NO_WRITE, Status.FAIL)
    assert check.status is Status.FAIL and "belongs to uid" in check.message
