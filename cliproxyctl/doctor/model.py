"""What a doctor run produces: one Check per finding, and the Report that gathers them.

A Check's `id` is stable (scripts match on it); checks that repeat per item (one per credential
file, one per provider URL) share an id and differ by `subject`. A Check may carry a `repair`:
what `--fix` may do about it. Repairs only ever do things that are safe to do unasked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Every check id, with what it checks (the man page and README list these; ids never change
# meaning). `doctor.<group>` is reported only when a group of checks crashes (a bug).
CATALOGUE: dict[str, str] = {
    "python.version": "the Python running cliproxyctl is new enough",
    "python.packages": "every required package is installed, new enough (versions in data)",
    "clock.system": "the system clock is plausible (a year from 2024 to 2100)",
    "config.found": "the config file exists (--fix writes the commented template)",
    "config.valid": "the config parses and validates; findings strict mode refuses warn",
    "client.keys": "client API keys are configured, long, and none is an example key",
    "paths.config_dir": "the config folder is yours, writable, not writable by others",
    "paths.config_file": "the config file is not readable by others (--fix: 0600)",
    "paths.data_dir": "the data folder is yours, writable, not writable by others",
    "paths.auth_dir": "the credential folder is 0700 (--fix tightens it)",
    "paths.auth_files": "the credential files are yours and 0600 (--fix tightens them)",
    "paths.runtime_dir": "the runtime folder (control socket, pid file) is private",
    "paths.log_dir": "the log folder is yours, writable, not writable by others",
    "listen.port": "the configured host:port is free, or served by our daemon",
    "control.socket": "the daemon answers on its control socket (stale: --fix removes it)",
    "daemon.version": "the running daemon is the same version as cliproxyctl",
    "clock.drift": "the daemon's clock agrees with this one",
    "credentials.file": "per auth file: expired (fail); expiring within 24 h, no refresh "
    "token, disabled, no type (warn)",
    "providers.reachable": "per provider base URL: resolvable and answering HTTP in time",
}


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


_RANK = {Status.OK: 0, Status.WARN: 1, Status.FAIL: 2}


def worst(statuses: Iterable[Status]) -> Status:
    """The most serious of `statuses` (OK for none)."""
    return max(statuses, key=_RANK.__getitem__, default=Status.OK)


@dataclass(frozen=True, slots=True)
class Repaired:
    """What a repair did: said in `details.fixed`; `secret` (a new client key) only to people."""

    message: str
    secret: str | None = None


Repair = Callable[[], Repaired]


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    status: Status
    message: str
    fix: str | None = None
    subject: str | None = None
    skipped: bool = False
    data: dict[str, Any] | None = None
    repair: Repair | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "message": self.message,
            "fix": self.fix,
            "subject": self.subject,
            "skipped": self.skipped,
        }
        if self.data is not None:
            found["data"] = self.data
        return found


def ok(id: str, message: str, **kwargs: Any) -> Check:
    return Check(id, Status.OK, message, **kwargs)


def warn(id: str, message: str, fix: str | None = None, **kwargs: Any) -> Check:
    return Check(id, Status.WARN, message, fix, **kwargs)


def fail(id: str, message: str, fix: str | None = None, **kwargs: Any) -> Check:
    return Check(id, Status.FAIL, message, fix, **kwargs)


def skipped(id: str, why: str, subject: str | None = None) -> Check:
    """A check that does not apply here: ok, marked skipped, saying why."""
    return Check(id, Status.OK, f"skipped: {why}", subject=subject, skipped=True)


@dataclass(frozen=True, slots=True)
class Fixed:
    id: str
    subject: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "subject": self.subject, "message": self.message}


@dataclass(slots=True)
class Report:
    checks: list[Check]
    fixed: list[Fixed] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # shown once to people, never in JSON
    offline: bool = False

    def summary(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for check in self.checks:
            counts[check.status.value] += 1
        return counts

    def failed(self, strict: bool = False) -> bool:
        """Whether the run failed: a check failed, or (strict) one warned."""
        limit = Status.WARN if strict else Status.FAIL
        return any(_RANK[check.status] >= _RANK[limit] for check in self.checks)

    def details(self, strict: bool = False) -> dict[str, Any]:
        """`details` of the JSON envelope; see schema.json beside this file."""
        return {
            "checks": [check.as_dict() for check in self.checks],
            "summary": self.summary(),
            "fixed": [item.as_dict() for item in self.fixed],
            "strict": strict,
            "offline": self.offline,
        }
