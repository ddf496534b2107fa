"""daemon.fileio.atomic_write: private mode, whole replacement, no temp file left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from daemon.fileio import atomic_write


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_text_and_bytes_with_mode_0600(tmp_path: Path) -> None:
    text_file = tmp_path / "a.txt"
    atomic_write(text_file, "héllo\n")
    assert text_file.read_bytes() == "héllo\n".encode()
    assert _mode(text_file) == 0o600

    raw_file = tmp_path / "b.bin"
    atomic_write(raw_file, b"\x00\xff")
    assert raw_file.read_bytes() == b"\x00\xff"
    assert _mode(raw_file) == 0o600


def test_mode_ignores_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        atomic_write(tmp_path / "f", "x", mode=0o644)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "f") == 0o644


def test_replaces_an_existing_file_and_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("old content that is longer than the new one\n")
    target.chmod(0o644)
    inode = target.stat().st_ino
    atomic_write(target, "new\n")
    assert target.read_text() == "new\n"
    assert _mode(target) == 0o600
    assert target.stat().st_ino != inode  # a new file renamed over, not rewritten in place


def test_creates_missing_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "x" / "y" / "z.txt"
    atomic_write(target, "deep")
    assert target.read_text() == "deep"


def test_no_temp_file_is_left_on_success(tmp_path: Path) -> None:
    atomic_write(tmp_path / "f.txt", "1")
    atomic_write(tmp_path / "f.txt", "2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    seen: list[str] = []

    def failing_replace(src: str, dst: object) -> None:
        seen.append(src)
        assert Path(src).read_text() == "new"  # the temp file was complete
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write(target, "new")
    assert len(seen) == 1
    assert Path(seen[0]).parent == tmp_path
    assert Path(seen[0]).name.startswith(".f.txt.")
    assert not Path(seen[0]).exists()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_a_failed_write_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_fsync(fd: int) -> None:
        raise OSError("no space left")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="no space left"):
        atomic_write(tmp_path / "f.txt", "data")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_removes_the_temp_file_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(src: str, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "f.txt", "data")
    assert list(tmp_path.iterdir()) == []
