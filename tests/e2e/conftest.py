from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: runs the real coding agents (Claude Code, Codex CLI, Gemini CLI) against the daemon",
    )
