"""What a doctor run looks at (`DoctorEnv`, injectable) and what it learns once per pass
(`Snapshot`: the loaded config, the daemon's status), shared by every check group."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cliproxyctl.doctor.probe import HttpProber, Prober, daemon_status
from daemon.config import ConfigError, LoadedConfig, Settings, load_config
from daemon.paths import Paths


@dataclass(frozen=True, slots=True)
class DoctorEnv:
    paths: Paths
    config_path: Path
    environ: Mapping[str, str]
    clock: Callable[[], float] = time.time  # wall time, seconds since the epoch
    prober: Prober = field(default_factory=HttpProber)
    status: Callable[[Path], dict[str, Any] | None] = daemon_status
    offline: bool = False
    timeout: float = 3.0  # seconds for each network probe
    uid: int = field(default_factory=os.getuid)


@dataclass(frozen=True, slots=True)
class ConfigState:
    exists: bool
    loaded: LoadedConfig | None = None
    error: str | None = None


class Snapshot:
    """Facts gathered lazily, at most once per pass (a pass after repairs takes a new one)."""

    def __init__(self, env: DoctorEnv) -> None:
        self.env = env

    @cached_property
    def config(self) -> ConfigState:
        path = self.env.config_path
        if not path.exists():
            return ConfigState(exists=False)
        try:
            return ConfigState(True, loaded=load_config(path, self.env.environ))
        except ConfigError as error:
            return ConfigState(True, error=str(error))
        except OSError as error:
            return ConfigState(True, error=f"cannot read {path}: {error.strerror or error}")

    @property
    def settings(self) -> Settings | None:
        """The settings in force: the file's, the defaults when there is no file yet, or None
        when the file is broken (checks that need them are skipped)."""
        state = self.config
        if state.loaded is not None:
            return state.loaded.settings
        return Settings() if not state.exists else None

    @property
    def auth_dir(self) -> Path:
        settings = self.settings
        if settings is not None and settings.auth_dir:
            return Path(settings.auth_dir).expanduser()
        return self.env.paths.default_auth_dir

    @cached_property
    def _daemon(self) -> tuple[dict[str, Any] | None, float]:
        before = self.env.clock()
        socket = self.env.paths.control_socket
        status = self.env.status(socket) if socket.exists() else None
        return status, (before + self.env.clock()) / 2

    @property
    def daemon(self) -> dict[str, Any] | None:
        """The running daemon's /status, or None."""
        return self._daemon[0]

    @property
    def daemon_asked_at(self) -> float:
        """Our wall clock when the daemon answered (to compare with the daemon's clock)."""
        return self._daemon[1]
