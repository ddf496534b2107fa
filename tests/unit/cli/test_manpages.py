"""cliproxyctl(1) from the command tree: complete, escaped, and the same bytes every time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import typer

from cliproxyctl.app import app
from cliproxyctl.doctor import CATALOGUE
from cliproxyctl.manpages import pages, render, roff_text, source_date, walk
from daemon.version import __version__


def test_roff_text_escapes_what_roff_would_read() -> None:
    assert roff_text("--json") == "\\-\\-json"
    assert roff_text("a\\b") == "a\\eb"
    assert roff_text("and so on…") == "and so on\\[u2026]"
    assert roff_text(".TH not a request\n'neither") == "\\&.TH not a request\n\\&'neither"


def test_the_page_has_every_command_option_and_section() -> None:
    page = render(app)
    root = typer.main.get_command(app)
    from typer._click import Context

    for _, ctx in walk(root, Context(root, info_name="cliproxyctl")):
        assert f'.SS "{roff_text(ctx.command_path)}"' in page
    for needle in (
        '.TH CLIPROXYCTL 1 "" "cliproxy ' + __version__,
        ".SH EXIT STATUS",
        ".SH ENVIRONMENT",
        "\\fBCLIPROXY_RUNTIME_DIR\\fR",
        "\\fBCLIPROXY_STRICT_CONFIG\\fR",
        ".SH FILES",
        ".SH DOCTOR JSON",
        "\\-\\-offline",
        "\\-c, \\-\\-config <path>",
    ):
        assert needle in page, needle
    for id in CATALOGUE:
        assert f"\\fB{roff_text(id)}\\fR" in page


def test_rendering_is_deterministic_and_dated_only_on_request() -> None:
    assert render(app) == render(app)
    assert pages(app) == {"cliproxyctl.1": render(app)}
    assert '.TH CLIPROXYCTL 1 "2024-01-01"' in render(app, "2024-01-01")
    assert source_date({"SOURCE_DATE_EPOCH": "1704067200"}) == "2024-01-01"
    assert source_date({}) is None and source_date({"SOURCE_DATE_EPOCH": "soon"}) is None


@pytest.mark.skipif(shutil.which("groff") is None, reason="no groff")
def test_groff_reads_it_without_warnings(tmp_path: Path) -> None:
    page = tmp_path / "cliproxyctl.1"
    page.write_text(render(app))
    result = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(page)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
