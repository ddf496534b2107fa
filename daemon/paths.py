"""Where cliproxy keeps its files: platformdirs defaults, each overridable by environment.

CLIPROXY_HOME          one folder holding config/, data/, run/ and logs/ (handy for tests)
CLIPROXY_CONFIG_DIR    config.toml / config.yaml
CLIPROXY_DATA_DIR      auths/ (credential files), usage database
CLIPROXY_RUNTIME_DIR   control socket, pid file, lock
CLIPROXY_LOG_DIR       daemon.log
CLIPROXY_CONFIG        the config file itself (the --config flag wins over it)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "cliproxy"
# AF_UNIX paths are limited to 108 bytes on Linux (104 on macOS) including the final NUL.
MAX_SOCKET_PATH = 100


@dataclass(frozen=True, slots=True)
class Paths:
    config_dir: Path
    data_dir: Path
    runtime_dir: Path
    log_dir: Path

    @property
    def default_config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def default_auth_dir(self) -> Path:
        return self.data_dir / "auths"

    @property
    def control_socket(self) -> Path:
        return self.runtime_dir / "control.sock"

    @property
    def pid_file(self) -> Path:
        return self.runtime_dir / "daemon.pid"

    @property
    def lock_file(self) -> Path:
        return self.runtime_dir / "daemon.lock"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "daemon.log"

    @property
    def start_output(self) -> Path:
        """Where a detached daemon's stdout/stderr go (start-up failures before logging is up)."""
        return self.log_dir / "daemon.out"


def default_paths(environ: Mapping[str, str]) -> Paths:
    """The paths in force for this environment."""
    home = environ.get("CLIPROXY_HOME")
    if home:
        base = Path(home).expanduser()
        defaults = Paths(base / "config", base / "data", base / "run", base / "logs")
    else:
        defaults = Paths(
            config_dir=platformdirs.user_config_path(APP_NAME),
            data_dir=platformdirs.user_data_path(APP_NAME),
            runtime_dir=_runtime_dir(environ),
            log_dir=platformdirs.user_log_path(APP_NAME),
        )

    def pick(name: str, default: Path) -> Path:
        value = environ.get(name)
        return Path(value).expanduser() if value else default

    return Paths(
        config_dir=pick("CLIPROXY_CONFIG_DIR", defaults.config_dir),
        data_dir=pick("CLIPROXY_DATA_DIR", defaults.data_dir),
        runtime_dir=pick("CLIPROXY_RUNTIME_DIR", defaults.runtime_dir),
        log_dir=pick("CLIPROXY_LOG_DIR", defaults.log_dir),
    )


def _runtime_dir(environ: Mapping[str, str]) -> Path:
    xdg = environ.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_dir():
        return Path(xdg) / APP_NAME
    run_user = Path(f"/run/user/{os.getuid()}")
    if run_user.is_dir() and os.access(run_user, os.W_OK):
        return run_user / APP_NAME
    # No per-user runtime dir (containers, cron): a private folder in the temp dir.
    return Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}"


def find_config_file(paths: Paths, explicit: str | Path | None, environ: Mapping[str, str]) -> Path:
    """The config file to use: --config, else $CLIPROXY_CONFIG, else config.toml or config.yaml."""
    if explicit:
        return Path(explicit).expanduser()
    if environ.get("CLIPROXY_CONFIG"):
        return Path(environ["CLIPROXY_CONFIG"]).expanduser()
    for name in ("config.toml", "config.yaml", "config.yml"):
        candidate = paths.config_dir / name
        if candidate.exists():
            return candidate
    return paths.default_config_file


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) and make it 0700; refuse one owned by someone else."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.stat()
    if info.st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to uid {info.st_uid}, not to us ({os.getuid()})")
    if info.st_mode & 0o077:
        path.chmod(0o700)
