"""python.version, python.packages, clock.system: the interpreter, the libraries, the clock."""

from __future__ import annotations

import re
import sys
import time
from importlib import metadata

from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Check, fail, ok

DIST = "cliproxy"
# Used when the distribution's metadata is not there (running from a bare source tree).
FALLBACK_REQUIRES = (
    "typer>=0.15",
    "rich>=13.7",
    "httpx>=0.27",
    "uvicorn>=0.30",
    "starlette>=0.40",
    "platformdirs>=4.2",
    "tomlkit>=0.13",
    "pyyaml>=6.0",
    "aiohttp>=3.10",
)
REINSTALL = "reinstall cliproxy: python3 -m pip install --upgrade cliproxy (or `pip install -e .`)"
MIN_YEAR, MAX_YEAR = 2024, 2100

_REQUIREMENT = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:>=\s*([^,;\s]+))?"
)


def checks(snap: Snapshot) -> list[Check]:
    return [python_version(), python_packages(), clock_system(snap)]


def version_tuple(text: str) -> tuple[int, ...]:
    """The leading numeric release of a version string: "0.29.2rc1" → (0, 29, 2)."""
    match = re.match(r"\d+(?:\.\d+)*", text.strip())
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def parse_requirement(line: str) -> tuple[str, str | None] | None:
    """(name, minimum) of a requirement line; None for an extra's requirement."""
    _, _, marker = line.partition(";")
    if "extra" in marker:
        return None
    match = _REQUIREMENT.match(line)
    return (match.group(1), match.group(2)) if match else None


def _requirements() -> list[str]:
    try:
        return list(metadata.requires(DIST) or ())
    except metadata.PackageNotFoundError:
        return list(FALLBACK_REQUIRES)


def _requires_python() -> str:
    try:
        found = metadata.metadata(DIST)["Requires-Python"]
    except (metadata.PackageNotFoundError, KeyError):
        return ">=3.11"
    return str(found or ">=3.11")


def python_version(current: tuple[int, ...] | None = None) -> Check:
    running = current or tuple(sys.version_info[:3])
    shown = ".".join(map(str, running))
    needed = _requires_python().removeprefix(">=").strip()
    if running < version_tuple(needed):
        return fail(
            "python.version",
            f"Python {shown} is older than the {needed} cliproxy needs",
            f"install Python {needed} or newer and reinstall cliproxy with it",
        )
    return ok("python.version", f"Python {shown} ({sys.executable})")


def python_packages(requirements: list[str] | None = None) -> Check:
    versions: dict[str, str] = {}
    problems: list[str] = []
    for line in _requirements() if requirements is None else requirements:
        parsed = parse_requirement(line)
        if parsed is None:
            continue
        name, minimum = parsed
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is missing")
            continue
        versions[name] = installed
        if minimum and version_tuple(installed) < version_tuple(minimum):
            problems.append(f"{name} {installed} is older than {minimum}")
    if problems:
        return fail("python.packages", "; ".join(problems), REINSTALL, data=versions)
    shown = ", ".join(f"{name} {version}" for name, version in versions.items())
    return ok("python.packages", shown or "no requirements found", data=versions)


def clock_system(snap: Snapshot) -> Check:
    now = snap.env.clock()
    year = time.gmtime(now).tm_year
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return fail(
            "clock.system",
            f"the system clock says {stamp}: certificates and token expiry cannot be checked",
            "set the system time (e.g. `timedatectl set-ntp true`)",
        )
    return ok("clock.system", f"system clock {stamp}")
