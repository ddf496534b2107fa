"""The committed completions/ and man/ files are what the generator makes from today's CLI.

When this fails after a CLI change, run `python -m cliproxyctl.generate` and commit the result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cliproxyctl.generate import main, outputs, stale, write

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_files_are_up_to_date(tmp_path: Path) -> None:
    written = write(tmp_path, {})
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "completions/_cliproxyctl",
        "completions/cliproxyctl.bash",
        "completions/cliproxyctl.fish",
        "man/cliproxyctl.1",
    ]
    differ = [
        p.relative_to(tmp_path).as_posix()
        for p in written
        if not (ROOT / p.relative_to(tmp_path)).is_file()
        or (ROOT / p.relative_to(tmp_path)).read_bytes() != p.read_bytes()
    ]
    assert not differ, f"out of date: {differ}; run `python -m cliproxyctl.generate`"


def test_two_generations_are_identical() -> None:
    assert outputs({}) == outputs({})


def test_check_mode_reports_stale_files(tmp_path: Path) -> None:
    assert main([str(tmp_path), "--check"]) == 1
    assert main([str(tmp_path)]) == 0
    assert stale(tmp_path, {}) == []
    assert main([str(tmp_path), "--check"]) == 0
    (tmp_path / "man" / "cliproxyctl.1").write_text("old\n")
    assert stale(tmp_path, {}) == ["man/cliproxyctl.1"]


def test_only_dated_runs_read_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")
    assert main([str(tmp_path)]) == 0
    assert '.TH CLIPROXYCTL 1 ""' in (tmp_path / "man" / "cliproxyctl.1").read_text()
    assert main([str(tmp_path), "--dated"]) == 0
    assert '"2024-01-01"' in (tmp_path / "man" / "cliproxyctl.1").read_text()
