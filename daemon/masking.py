"""How a secret is shown when it must be shown at all: the one rule the daemon's logs, its
metrics and the CLI's output share (kept free of imports so the CLI pays nothing for it)."""

from __future__ import annotations


def mask_secret(value: str) -> str:
    """A recognisable but useless form of a secret: its first and last few characters."""
    if len(value) <= 12:
        return "****"
    return f"{value[:4]}…{value[-4:]}"
