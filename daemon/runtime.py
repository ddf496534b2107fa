"""The daemon's live state: the settings in force (swapped whole on reload) and counters."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.clock import Clock, SystemClock
from daemon.logs import RecentLines, SecretMasker
from daemon.model import Usage
from daemon.version import __version__

if TYPE_CHECKING:
    from daemon.config import Settings


@dataclass(slots=True)
class ReloadResult:
    ok: bool
    at: float
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "at": self.at, "message": self.message}


@dataclass(slots=True)
class Counters:
    total: int = 0
    in_flight: int = 0
    by_status: dict[str, int] = field(default_factory=dict)  # "2xx", "4xx", ...
    unauthorized: int = 0

    def finished(self, status: int) -> None:
        key = f"{status // 100}xx"
        self.by_status[key] = self.by_status.get(key, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "in_flight": self.in_flight,
            "by_status": dict(sorted(self.by_status.items())),
            "unauthorized": self.unauthorized,
        }


@dataclass(slots=True)
class UsageTotals:
    """Token usage since start, in total and per requested model."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    by_model: dict[str, dict[str, int]] = field(default_factory=dict)

    def record(self, model: str, usage: Usage) -> None:
        self.requests += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cached_tokens += usage.cached_tokens
        self.reasoning_tokens += usage.reasoning_tokens
        row = self.by_model.setdefault(
            model,
            {
                "requests": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "cached_tokens": 0,
                "reasoning_tokens": 0,
            },
        )
        row["requests"] += 1
        row["input_tokens"] += usage.input_tokens
        row["output_tokens"] += usage.output_tokens
        row["cached_tokens"] += usage.cached_tokens
        row["reasoning_tokens"] += usage.reasoning_tokens

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "by_model": {k: dict(v) for k, v in sorted(self.by_model.items())},
        }


@dataclass(slots=True)
class DaemonState:
    """Everything the proxy and control apps share; passed in, never global."""

    settings: Settings
    config_path: Path | None = None
    clock: Clock = field(default_factory=SystemClock)
    masker: SecretMasker = field(default_factory=SecretMasker)
    recent_logs: RecentLines = field(default_factory=RecentLines)
    counters: Counters = field(default_factory=Counters)
    usage: UsageTotals = field(default_factory=UsageTotals)
    started_at: float = 0.0
    listen: str = ""
    last_reload: ReloadResult | None = None
    config_warnings: list[str] = field(default_factory=list)
    draining: bool = False

    def __post_init__(self) -> None:
        self.started_at = self.started_at or self.clock.time()
        self.masker.update(self.settings.secrets())

    def apply(self, settings: Settings) -> None:
        """Put new settings in force; requests already running keep the ones they started with."""
        self.settings = settings
        self.masker.update(settings.secrets())

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "pid": os.getpid(),
            "uptime_seconds": round(self.clock.time() - self.started_at, 3),
            "started_at": self.started_at,
            "listen": self.listen,
            "config_path": str(self.config_path) if self.config_path else None,
            "config_warnings": list(self.config_warnings),
            "last_reload": self.last_reload.as_dict() if self.last_reload else None,
            "requests": self.counters.as_dict(),
            "usage": self.usage.as_dict(),
        }
