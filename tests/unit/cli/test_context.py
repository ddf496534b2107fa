from __future__ import annotations

from pathlib import Path

import pytest

from cliproxyctl.context import make_context


def test_explicit_config_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLIPROXY_HOME", str(tmp_path))
    monkeypatch.setenv("CLIPROXY_CONFIG", str(tmp_path / "from-env.toml"))
    assert make_context(tmp_path / "explicit.yaml").config_path == tmp_path / "explicit.yaml"
    assert make_context(None).config_path == tmp_path / "from-env.toml"


def test_paths_follow_cliproxy_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLIPROXY_CONFIG", raising=False)
    monkeypatch.setenv("CLIPROXY_HOME", str(tmp_path))
    context = make_context(None)
    assert context.paths.control_socket == tmp_path / "run" / "control.sock"
    assert context.config_path == tmp_path / "config" / "config.toml"
    assert context.environ["CLIPROXY_HOME"] == str(tmp_path)
