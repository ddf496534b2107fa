from __future__ import annotations

import re
import tomllib
from pathlib import Path

from daemon.version import __version__


def test_version_is_semver_and_the_package_reads_it_from_here() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert pyproject["tool"]["hatch"]["version"]["path"] == "daemon/version.py"
