"""Output for people (rich) and for scripts (one JSON document in the v1 envelope).

This is the one place secrets are redacted before anything is shown.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from daemon.masking import mask_secret

SCHEMA_VERSION = "cliproxyctl.response.v1"

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def envelope(command: str, ok: bool, details: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "ok": ok,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "details": details,
    }


def print_json(command: str, ok: bool, details: Any) -> None:
    sys.stdout.write(json.dumps(envelope(command, ok, details), indent=2, default=str) + "\n")
    sys.stdout.flush()


mask = mask_secret  # the daemon's rule, so the CLI and the logs show a secret the same way


def redact(value: Any, secrets: set[str]) -> Any:
    """A copy of `value` (dataclasses, dicts, lists, strings) with every secret masked."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret and secret in value:
                value = value.replace(secret, mask(secret))
        return value
    return value


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
