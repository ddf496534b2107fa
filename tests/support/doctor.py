"""Helpers for doctor tests: a fake network, an environment in private folders, the schema."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from cliproxyctl.doctor import DoctorEnv, ProbeResult, load_schema
from daemon.paths import Paths

NOW = 1_790_000_000.0  # 2026-09-21, a fixed "now" for checks that read the clock


@dataclass
class FakeProber:
    """Answers from a table (url → result); records every call."""

    answers: dict[str, ProbeResult] = field(default_factory=dict)
    calls: list[tuple[str, float, str | None]] = field(default_factory=list)

    def probe(self, url: str, timeout: float, proxy: str | None) -> ProbeResult:
        self.calls.append((url, timeout, proxy))
        return self.answers.get(url, ProbeResult(True, "HTTP 404"))


def private_home() -> Iterator[Path]:
    """A short folder under /tmp (Unix socket paths must stay under ~100 bytes)."""
    base = Path(tempfile.mkdtemp(prefix="cpd-", dir="/tmp"))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def make_env(base: Path, **overrides: Any) -> DoctorEnv:
    paths = Paths(base / "config", base / "data", base / "run", base / "logs")
    values: dict[str, Any] = {
        "paths": paths,
        "config_path": paths.default_config_file,
        "environ": {},
        "clock": lambda: NOW,
        "prober": FakeProber(),
        "status": lambda path: None,
    }
    values.update(overrides)
    return DoctorEnv(**values)


def write_config(env: DoctorEnv, text: str) -> Path:
    env.config_path.parent.mkdir(parents=True, exist_ok=True)
    env.config_path.write_text(text)
    env.config_path.chmod(0o600)
    return env.config_path


def assert_valid(document: dict[str, Any]) -> None:
    """Fail with every schema violation of a `doctor --json` document."""
    validator = Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def parse_output(stdout: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(stdout)
    assert_valid(document)
    return document
