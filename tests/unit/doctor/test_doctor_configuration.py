"""config.found (and its repair), config.valid, client.keys."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cliproxyctl.doctor.configuration import (
    client_keys,
    config_found,
    config_valid,
    is_loopback,
)
from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Status
from daemon.config import load_config
from tests.support.doctor import make_env, private_home, write_config

KEY = "sk-test-client-key-0123456789abcdef"


@pytest.fixture
def home() -> Iterator[Path]:
    yield from private_home()


def snap_with(home: Path, text: str) -> Snapshot:
    env = make_env(home)
    write_config(env, text)
    return Snapshot(env)


def test_a_missing_config_fails_and_the_repair_writes_the_template(home: Path) -> None:
    env = make_env(home)
    check = config_found(Snapshot(env))
    assert check.status is Status.FAIL and check.repair is not None
    assert config_valid(Snapshot(env)).skipped and client_keys(Snapshot(env)).skipped
    done = check.repair()
    assert done.secret and done.secret not in done.message
    assert stat.S_IMODE(env.config_path.stat().st_mode) == 0o600
    assert done.secret in load_config(env.config_path, {}).settings.api_keys
    assert config_found(Snapshot(env)).status is Status.OK


def test_config_valid_fails_on_errors_and_warns_on_unknown_keys(home: Path) -> None:
    broken = config_valid(snap_with(home, "port = 'high'\n"))
    assert broken.status is Status.FAIL and "port" in broken.message
    odd = config_valid(snap_with(home, f'api-keys = ["{KEY}"]\nno-such-key = 1\n'))
    assert odd.status is Status.WARN and "no-such-key" in odd.message
    assert any("no-such-key" in finding for finding in (odd.data or {})["warnings"])
    assert config_valid(snap_with(home, f'api-keys = ["{KEY}"]\n')).status is Status.OK


def test_client_keys(home: Path) -> None:
    example = client_keys(snap_with(home, 'api-keys = ["your-api-key-1"]\n'))
    assert example.status is Status.FAIL and "your-api-key-1" in example.message
    assert client_keys(snap_with(home, "api-keys = []\n")).status is Status.WARN
    exposed = client_keys(snap_with(home, 'host = "0.0.0.0"\n'))
    assert exposed.status is Status.FAIL and "0.0.0.0" in exposed.message
    assert client_keys(snap_with(home, 'api-keys = ["short"]\n')).status is Status.WARN
    good = client_keys(snap_with(home, f'api-keys = ["{KEY}"]\n'))
    assert good.status is Status.OK and KEY not in good.message
    assert client_keys(snap_with(home, "port = [\n")).skipped


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")
