"""CLI errors carry their exit code, as click's exceptions do.

CliError            exit 1   something failed
├── NotRunning      exit 1   no daemon answers on the control socket
└── DaemonFailed    exit 1   the daemon did not start, or did not stop in time
UsageError          exit 2   the command line itself is wrong
"""

from __future__ import annotations

from typing import Any, ClassVar


class CliError(Exception):
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotRunning(CliError):
    pass


class DaemonFailed(CliError):
    pass


class UsageError(CliError):
    exit_code = 2
