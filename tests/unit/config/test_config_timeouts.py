from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import ConfigError, UpstreamTimeouts, load_config


def load(tmp_path: Path, text: str) -> UpstreamTimeouts:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path, {}).settings.upstream_timeouts


def test_defaults_when_absent(tmp_path: Path) -> None:
    assert load(tmp_path, "") == UpstreamTimeouts()


def test_each_timeout_is_read(tmp_path: Path) -> None:
    got = load(
        tmp_path,
        "[upstream-timeouts]\nconnect = 1\nfirst-byte = 2.5\nnon-stream = 30\nidle = 4\n",
    )
    assert got == UpstreamTimeouts(connect=1.0, first_byte=2.5, non_stream=30.0, idle=4.0)


def test_zero_timeout_is_refused_with_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "[upstream-timeouts]\nfirst-byte = 0\n")
    assert caught.value.key == "upstream-timeouts.first-byte"


def test_keepalive_can_be_switched_off(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("stream-keepalive-seconds: 0\n")
    assert load_config(path, {}).settings.stream_keepalive_seconds == 0.0
