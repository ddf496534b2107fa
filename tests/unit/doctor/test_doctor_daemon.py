"""listen.port, control.socket (and removing a stale one), daemon.version, clock.drift."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cliproxyctl.doctor.daemon import clock_drift, control_socket, daemon_version, listen_port
from cliproxyctl.doctor.env import DoctorEnv, Snapshot
from cliproxyctl.doctor.model import Status
from daemon.version import __version__
from tests.support.doctor import NOW, make_env, private_home, write_config


@pytest.fixture
def home() -> Iterator[Path]:
    yield from private_home()


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield holder.getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def running(
    home: Path, status: dict[str, Any], config: str = ""
) -> tuple[DoctorEnv, socket.socket]:
    """An env whose control socket is live and answers `status`."""
    env = make_env(home, status=lambda path: status)
    write_config(env, config)
    env.paths.runtime_dir.mkdir(parents=True, exist_ok=True)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(env.paths.control_socket))
    listener.listen(1)
    return env, listener


def test_a_free_port_and_port_zero_are_fine(home: Path) -> None:
    env = make_env(home)
    write_config(env, f"port = {free_port()}\n")
    assert listen_port(Snapshot(env)).status is Status.OK
    write_config(env, "port = 0\n")
    assert "port 0" in listen_port(Snapshot(env)).message


def test_a_port_held_by_another_process_fails_with_the_fix(home: Path, held_port: int) -> None:
    env = make_env(home)
    write_config(env, f"port = {held_port}\n")
    check = listen_port(Snapshot(env))
    assert check.status is Status.FAIL and "held by another process" in check.message
    assert check.fix and f"sport = :{held_port}" in check.fix


def test_the_port_our_daemon_serves_is_fine(home: Path, held_port: int) -> None:
    status = {"pid": 42, "listen": f"http://127.0.0.1:{held_port}", "version": __version__}
    env, listener = running(home, status, f"port = {held_port}\n")
    with listener:
        check = listen_port(Snapshot(env))
        assert check.status is Status.OK and "pid 42" in check.message
        write_config(env, f"port = {free_port()}\n")
        moved = listen_port(Snapshot(env))
        assert moved.status is Status.WARN and "restart" in (moved.fix or "")


def test_control_socket_states_and_the_stale_socket_repair(home: Path) -> None:
    env = make_env(home)
    assert control_socket(Snapshot(env)).status is Status.WARN  # not running
    env.paths.runtime_dir.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(env.paths.control_socket))
    stale = control_socket(Snapshot(env))
    assert stale.status is Status.WARN and "stale" in stale.message
    assert stale.repair is not None
    assert stale.repair().message.startswith("removed the stale control socket")
    assert not env.paths.control_socket.exists()


def test_a_live_socket_that_is_not_our_daemon_fails(home: Path) -> None:
    env, listener = running(home, {})
    with listener:
        env = make_env(home)  # status answers None
        assert control_socket(Snapshot(env)).status is Status.FAIL


def test_version_and_clock_of_a_running_daemon(home: Path) -> None:
    status = {"pid": 7, "version": __version__, "started_at": NOW - 100, "uptime_seconds": 100.0}
    env, listener = running(home, status)
    with listener:
        snap = Snapshot(env)
        assert control_socket(snap).status is Status.OK
        assert daemon_version(snap).status is Status.OK
        assert clock_drift(snap).status is Status.OK
        status.update(version="0.0.1", started_at=NOW + 500)
        snap = Snapshot(env)
        assert daemon_version(snap).status is Status.FAIL
        drift = clock_drift(snap)
        assert drift.status is Status.WARN and "600s ahead" in drift.message


def test_daemon_checks_skip_when_it_is_not_running(home: Path) -> None:
    snap = Snapshot(make_env(home))
    assert daemon_version(snap).skipped and clock_drift(snap).skipped
