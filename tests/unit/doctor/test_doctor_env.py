"""Snapshot: the config state, the settings in force, the auth folder, the daemon's status."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cliproxyctl.doctor.env import Snapshot
from tests.support.doctor import NOW, make_env, private_home, write_config


@pytest.fixture
def home() -> Iterator[Path]:
    yield from private_home()


def test_no_config_file_means_default_settings(home: Path) -> None:
    snap = Snapshot(make_env(home))
    assert not snap.config.exists
    assert snap.settings is not None and snap.settings.port == 8317
    assert snap.auth_dir == home / "data" / "auths"


def test_a_broken_config_has_an_error_and_no_settings(home: Path) -> None:
    env = make_env(home)
    write_config(env, "port = [\n")
    snap = Snapshot(env)
    assert snap.config.exists and snap.config.error
    assert snap.settings is None


def test_a_valid_config_names_its_auth_dir(home: Path) -> None:
    env = make_env(home)
    write_config(env, f'port = 9999\nauth-dir = "{home}/elsewhere"\n')
    snap = Snapshot(env)
    assert snap.settings is not None and snap.settings.port == 9999
    assert snap.auth_dir == home / "elsewhere"


def test_the_daemon_is_asked_only_when_its_socket_exists(home: Path) -> None:
    asked: list[Path] = []

    def status(path: Path) -> dict[str, Any]:
        asked.append(path)
        return {"pid": 1}

    env = make_env(home, status=status)
    assert Snapshot(env).daemon is None and not asked
    env.paths.runtime_dir.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(env.paths.control_socket))
        snap = Snapshot(env)
        assert snap.daemon == {"pid": 1}
        assert snap.daemon == {"pid": 1}
    assert asked == [env.paths.control_socket]
    assert snap.daemon_asked_at == NOW
