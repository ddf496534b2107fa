"""First run: with no config file yet, write a commented default with a fresh client key."""

from __future__ import annotations

import secrets
from pathlib import Path

from daemon.config import default_config_text
from daemon.fileio import atomic_write


def generate_client_key() -> str:
    """A new client API key (256 bits of randomness)."""
    return "sk-cliproxy-" + secrets.token_urlsafe(32)


def ensure_config(path: Path) -> str | None:
    """Create `path` from the default template if missing; return the new key, else None."""
    if path.exists():
        return None
    key = generate_client_key()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, default_config_text(key), mode=0o600)
    return key
