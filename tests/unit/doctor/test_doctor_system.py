"""python.version, python.packages, clock.system."""

from __future__ import annotations

from pathlib import Path

from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Status
from cliproxyctl.doctor.system import (
    clock_system,
    parse_requirement,
    python_packages,
    python_version,
    version_tuple,
)
from tests.support.doctor import make_env


def test_version_tuple_takes_the_numeric_release() -> None:
    assert version_tuple("0.29.2") == (0, 29, 2)
    assert version_tuple("2.0rc1") == (2, 0)
    assert version_tuple("dev") == ()


def test_parse_requirement() -> None:
    assert parse_requirement("typer>=0.15") == ("typer", "0.15")
    assert parse_requirement("httpx[http2] >= 0.27") == ("httpx", "0.27")
    assert parse_requirement("sniffio") == ("sniffio", None)
    assert parse_requirement('uvloop>=0.19; extra == "speed"') is None


def test_python_version() -> None:
    assert python_version().status is Status.OK
    old = python_version((3, 8, 10))
    assert old.status is Status.FAIL and "3.8.10" in old.message


def test_python_packages_reports_versions_missing_and_old() -> None:
    good = python_packages(["typer>=0.1", "httpx>=0.1"])
    assert good.status is Status.OK and set(good.data or {}) == {"typer", "httpx"}
    bad = python_packages(["typer>=999", "no-such-package-cliproxy>=1"])
    assert bad.status is Status.FAIL
    assert "typer" in bad.message and "older than 999" in bad.message
    assert "no-such-package-cliproxy is missing" in bad.message
    assert python_packages().status is Status.OK  # the real installation


def test_clock_system_wants_a_plausible_year(tmp_path: Path) -> None:
    assert clock_system(Snapshot(make_env(tmp_path))).status is Status.OK
    check = clock_system(Snapshot(make_env(tmp_path, clock=lambda: 0.0)))
    assert check.status is Status.FAIL and "1970-01-01" in check.message
