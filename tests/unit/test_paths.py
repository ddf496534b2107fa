"""daemon.paths: environment overrides, config file discovery, private folders."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from daemon.paths import APP_NAME, Paths, default_paths, ensure_private_dir, find_config_file


def test_cliproxy_home_puts_every_folder_under_it(tmp_path: Path) -> None:
    paths = default_paths({"CLIPROXY_HOME": str(tmp_path)})
    assert paths == Paths(
        config_dir=tmp_path / "config",
        data_dir=tmp_path / "data",
        runtime_dir=tmp_path / "run",
        log_dir=tmp_path / "logs",
    )
    assert paths.default_config_file == tmp_path / "config" / "config.toml"
    assert paths.default_auth_dir == tmp_path / "data" / "auths"
    assert paths.control_socket == tmp_path / "run" / "control.sock"
    assert paths.pid_file == tmp_path / "run" / "daemon.pid"
    assert paths.lock_file == tmp_path / "run" / "daemon.lock"
    assert paths.log_file == tmp_path / "logs" / "daemon.log"
    assert paths.start_output == tmp_path / "logs" / "daemon.out"


def test_each_folder_override_wins_over_cliproxy_home(tmp_path: Path) -> None:
    environ = {
        "CLIPROXY_HOME": str(tmp_path / "home"),
        "CLIPROXY_CONFIG_DIR": str(tmp_path / "c"),
        "CLIPROXY_DATA_DIR": str(tmp_path / "d"),
        "CLIPROXY_RUNTIME_DIR": str(tmp_path / "r"),
        "CLIPROXY_LOG_DIR": str(tmp_path / "l"),
    }
    paths = default_paths(environ)
    assert paths == Paths(tmp_path / "c", tmp_path / "d", tmp_path / "r", tmp_path / "l")


def test_a_single_override_leaves_the_others_at_home(tmp_path: Path) -> None:
    paths = default_paths({"CLIPROXY_HOME": str(tmp_path), "CLIPROXY_LOG_DIR": "/var/x"})
    assert paths.log_dir == Path("/var/x")
    assert paths.config_dir == tmp_path / "config"
    assert paths.runtime_dir == tmp_path / "run"


def test_empty_overrides_are_ignored(tmp_path: Path) -> None:
    paths = default_paths({"CLIPROXY_HOME": str(tmp_path), "CLIPROXY_CONFIG_DIR": ""})
    assert paths.config_dir == tmp_path / "config"


def test_tilde_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    paths = default_paths({"CLIPROXY_HOME": "~/cpx", "CLIPROXY_DATA_DIR": "~/data"})
    assert paths.config_dir == tmp_path / "cpx" / "config"
    assert paths.data_dir == tmp_path / "data"


def test_runtime_dir_prefers_xdg_runtime_dir(tmp_path: Path) -> None:
    paths = default_paths({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert paths.runtime_dir == tmp_path / APP_NAME


def test_runtime_dir_ignores_an_xdg_dir_that_does_not_exist(tmp_path: Path) -> None:
    paths = default_paths({"XDG_RUNTIME_DIR": str(tmp_path / "missing")})
    assert paths.runtime_dir != tmp_path / "missing" / APP_NAME
    assert paths.runtime_dir.name in (APP_NAME, f"{APP_NAME}-{os.getuid()}")


def test_without_overrides_the_platform_dirs_name_the_app() -> None:
    paths = default_paths({})
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir):
        assert APP_NAME in folder.parts


# --------------------------------------------------------------------------- find_config_file


@pytest.fixture
def home_paths(tmp_path: Path) -> Paths:
    paths = default_paths({"CLIPROXY_HOME": str(tmp_path)})
    paths.config_dir.mkdir(parents=True)
    return paths


def test_explicit_config_wins_over_everything(home_paths: Paths, tmp_path: Path) -> None:
    (home_paths.config_dir / "config.toml").write_text("")
    environ = {"CLIPROXY_CONFIG": str(tmp_path / "env.toml")}
    assert find_config_file(home_paths, tmp_path / "flag.toml", environ) == tmp_path / "flag.toml"
    assert find_config_file(home_paths, str(tmp_path / "s.yaml"), environ) == tmp_path / "s.yaml"


def test_env_config_wins_over_the_folder(home_paths: Paths, tmp_path: Path) -> None:
    (home_paths.config_dir / "config.toml").write_text("")
    environ = {"CLIPROXY_CONFIG": str(tmp_path / "env.toml")}
    assert find_config_file(home_paths, None, environ) == tmp_path / "env.toml"


def test_explicit_and_env_paths_expand_tilde(
    home_paths: Paths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_config_file(home_paths, "~/a.toml", {}) == tmp_path / "a.toml"
    assert find_config_file(home_paths, None, {"CLIPROXY_CONFIG": "~/b.toml"}) == (
        tmp_path / "b.toml"
    )


def test_folder_lookup_order_is_toml_yaml_yml(home_paths: Paths) -> None:
    folder = home_paths.config_dir
    assert find_config_file(home_paths, None, {}) == folder / "config.toml"  # nothing yet
    (folder / "config.yml").write_text("")
    assert find_config_file(home_paths, None, {}) == folder / "config.yml"
    (folder / "config.yaml").write_text("")
    assert find_config_file(home_paths, None, {}) == folder / "config.yaml"
    (folder / "config.toml").write_text("")
    assert find_config_file(home_paths, None, {}) == folder / "config.toml"


def test_empty_explicit_and_env_values_fall_through(home_paths: Paths) -> None:
    (home_paths.config_dir / "config.yaml").write_text("")
    found = find_config_file(home_paths, "", {"CLIPROXY_CONFIG": ""})
    assert found == home_paths.config_dir / "config.yaml"


# --------------------------------------------------------------------------- ensure_private_dir


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_missing_folders_private(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    ensure_private_dir(target)
    assert target.is_dir()
    assert _mode(target) == 0o700


def test_tightens_an_open_folder(tmp_path: Path) -> None:
    target = tmp_path / "open"
    target.mkdir()
    target.chmod(0o755)
    ensure_private_dir(target)
    assert _mode(target) == 0o700


def test_leaves_a_private_folder_alone(tmp_path: Path) -> None:
    target = tmp_path / "tight"
    target.mkdir(mode=0o700)
    target.chmod(0o500)  # stricter than needed: not loosened
    try:
        ensure_private_dir(target)
        assert _mode(target) == 0o500
    finally:
        target.chmod(0o700)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown a folder to another user")
def test_refuses_a_folder_of_another_owner(tmp_path: Path) -> None:
    target = tmp_path / "theirs"
    target.mkdir(mode=0o755)
    os.chown(target, 65534, 65534)
    with pytest.raises(PermissionError, match="belongs to uid 65534"):
        ensure_private_dir(target)
    assert _mode(target) == 0o755  # not touched
