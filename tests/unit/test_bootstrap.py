"""daemon.bootstrap: the first-run config with a fresh client key."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from daemon.bootstrap import ensure_config, generate_client_key
from daemon.config import load_config


def test_generated_keys_are_long_random_and_url_safe() -> None:
    keys = {generate_client_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert re.fullmatch(r"sk-cliproxy-[A-Za-z0-9_-]{43}", key)


def test_ensure_config_writes_a_private_valid_config(tmp_path: Path) -> None:
    path = tmp_path / "config" / "nested" / "config.toml"
    key = ensure_config(path)
    assert key is not None
    assert key.startswith("sk-cliproxy-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    loaded = load_config(path, {}, strict=True)
    assert loaded.settings.api_keys == (key,)
    assert loaded.warnings == []
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_ensure_config_leaves_an_existing_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("port = 1\n")
    path.chmod(0o644)
    assert ensure_config(path) is None
    assert path.read_text() == "port = 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_second_call_returns_none_and_keeps_the_first_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    first = ensure_config(path)
    assert first is not None
    text = path.read_text()
    assert ensure_config(path) is None
    assert path.read_text() == text
    assert first in text
