"""Install, remove and inspect the cliproxy system service (systemd on Linux, launchd on macOS).

    plan = build_plan(paths, config_path, environ, system=False)
    details = install(plan, run_command)

Every call to systemctl or launchctl goes through a `Runner`, so tests use a fake one.
Installing is idempotent: an unchanged file is not rewritten, and the service is only
restarted when its definition changed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cliproxyctl.errors import CliError
from cliproxyctl.units import (
    LAUNCHD_LABEL,
    SERVICE_NAME,
    SYSTEMD_UNIT,
    ServiceSpec,
    launchd_plist_path,
    render_launchd,
    render_systemd,
    systemd_unit_path,
)
from daemon.config import ConfigError, load_config
from daemon.fileio import atomic_write
from daemon.paths import Paths

PINNED_ENV = ("CLIPROXY_STRICT_CONFIG",)


class ServiceError(CliError):
    pass


@dataclass(frozen=True, slots=True)
class RunResult:
    returncode: int
    stdout: str = ""
    stderr: str = ""


Runner = Callable[[Sequence[str]], RunResult]


def run_command(argv: Sequence[str]) -> RunResult:
    """The real runner: run *argv*, capture its output, never raise for a failure."""
    try:
        done = subprocess.run(  # noqa: S603 - systemctl/launchctl with our own arguments
            list(argv), capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError:
        return RunResult(127, "", f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired:
        return RunResult(124, "", f"{argv[0]}: no answer within 60s")
    return RunResult(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True, slots=True)
class ServicePlan:
    manager: str  # "systemd" or "launchd"
    system: bool
    path: Path  # the unit file or plist
    content: str
    spec: ServiceSpec

    @property
    def scope(self) -> str:
        return "system" if self.system else "user"

    def systemctl(self, *args: str) -> list[str]:
        return ["systemctl", *([] if self.system else ["--user"]), *args]

    @property
    def launchd_target(self) -> str:
        domain = "system" if self.system else f"gui/{os.getuid()}"
        return f"{domain}/{LAUNCHD_LABEL}"

    def logs_hint(self) -> list[str]:
        if self.manager == "systemd":
            return [f"journalctl{'' if self.system else ' --user'} -u {SERVICE_NAME} -f"]
        log = self.spec.log_file
        return ([f"tail -f {log}"] if log else []) + ["cliproxyctl logs -f"]


def detect_manager(platform: str = sys.platform) -> str:
    if platform.startswith("linux"):
        return "systemd"
    if platform == "darwin":
        return "launchd"
    raise ServiceError(f"no service support on {platform}: run `cliproxyctl serve` yourself")


def cliproxyctl_argv() -> list[str]:
    """How to run this cliproxyctl from a service: the script next to our interpreter."""
    beside = Path(sys.executable).parent / "cliproxyctl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside.absolute())]
    found = shutil.which("cliproxyctl")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "cliproxyctl"]


def build_plan(
    paths: Paths,
    config_path: Path,
    environ: Mapping[str, str],
    *,
    system: bool = False,
    user: str | None = None,
    sandbox: bool = True,
    manager: str | None = None,
    unit_path: Path | None = None,
    program: Sequence[str] | None = None,
) -> ServicePlan:
    """What `install` would write, for the paths the CLI uses (so the two agree)."""
    manager = manager or detect_manager()
    runtime_directory = None
    account = group = None
    if system:
        account = service_user(environ, user)
        group = _primary_group(account)
        paths, config_path = _paths_of(account, paths, config_path, environ)
        if manager == "systemd" and not _explicit_runtime(environ):
            runtime_directory = SERVICE_NAME
            paths = replace(paths, runtime_dir=Path("/run") / SERVICE_NAME)
    elif manager == "systemd" and paths.runtime_dir == _xdg_runtime(environ):
        runtime_directory = SERVICE_NAME  # systemd creates $XDG_RUNTIME_DIR/cliproxy for us
    config_path = config_path.expanduser().absolute()
    writable = [paths.config_dir, paths.data_dir, paths.log_dir]
    if config_path.parent not in writable:
        writable.append(config_path.parent)
    auth_dir = _auth_dir(config_path, environ)
    if auth_dir is not None and auth_dir not in writable:
        writable.append(auth_dir)
    if runtime_directory is None:
        writable.append(paths.runtime_dir)
    environment = [
        ("CLIPROXY_CONFIG_DIR", str(paths.config_dir)),
        ("CLIPROXY_DATA_DIR", str(paths.data_dir)),
        ("CLIPROXY_RUNTIME_DIR", str(paths.runtime_dir)),
        ("CLIPROXY_LOG_DIR", str(paths.log_dir)),
    ]
    environment += [(name, environ[name]) for name in PINNED_ENV if environ.get(name)]
    temp_roots = {Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp")}  # noqa: S108
    spec = ServiceSpec(
        argv=(*(program or cliproxyctl_argv()), "--config", str(config_path), "serve"),
        environment=tuple(environment),
        writable_paths=tuple(p.absolute() for p in writable),
        system=system,
        user=account,
        group=group,
        runtime_directory=runtime_directory,
        private_tmp=not any(root in p.parents for p in writable for root in temp_roots),
        sandbox=sandbox,
        log_file=paths.log_dir / "daemon.out",
    )
    if manager == "systemd":
        path = unit_path or systemd_unit_path(system, dict(environ))
        content = render_systemd(spec)
    else:
        path = unit_path or launchd_plist_path(system, dict(environ))
        content = render_launchd(spec)
    return ServicePlan(manager, system, path, content, spec)


def service_user(environ: Mapping[str, str], explicit: str | None) -> str:
    """The account a system service runs as: --user, else who ran sudo, else ourselves."""
    name = explicit
    if name is None and os.geteuid() == 0:
        name = environ.get("SUDO_USER")
    if name is None:
        name = pwd.getpwuid(os.geteuid()).pw_name
    if name == "root" and explicit is None:
        raise ServiceError("refusing to run the proxy as root; pass --user NAME")
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise ServiceError(f"no such user: {name}") from None
    return name


def install(plan: ServicePlan, runner: Runner, *, start: bool = True) -> dict[str, Any]:
    """Write the unit (when it changed) and enable and start it; details for the output."""
    existed = plan.path.exists()
    changed = not existed or plan.path.read_text(encoding="utf-8") != plan.content
    try:
        for folder in plan.spec.writable_paths:  # ReadWritePaths must exist to be writable
            if not folder.exists():
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                if plan.spec.user and os.geteuid() == 0:
                    entry = pwd.getpwnam(plan.spec.user)
                    os.chown(folder, entry.pw_uid, entry.pw_gid)
        if changed:
            atomic_write(plan.path, plan.content, mode=0o644)
    except OSError as error:
        raise _os_error(plan, error) from None
    ran: list[dict[str, Any]] = []
    if plan.manager == "systemd":
        steps = [plan.systemctl("daemon-reload")] if changed else []
        if start:
            steps.append(plan.systemctl("enable", "--now", SYSTEMD_UNIT))
            if existed and changed:
                steps.append(plan.systemctl("try-restart", SYSTEMD_UNIT))
    else:
        steps = _launchd_install_steps(plan, runner, changed, start)
    for argv in steps:
        _run(runner, argv, ran, plan, written=changed)
    return {
        **_describe(plan),
        "created": not existed,
        "changed": changed,
        "started": start,
        "commands": ran,
        "logs": plan.logs_hint(),
    }


def uninstall(plan: ServicePlan, runner: Runner) -> dict[str, Any]:
    """Stop and disable the service and remove its file; a no-op when it is not installed."""
    if not plan.path.exists():
        return {**_describe(plan), "removed": False, "commands": []}
    ran: list[dict[str, Any]] = []
    if plan.manager == "systemd":
        _run(runner, plan.systemctl("disable", "--now", SYSTEMD_UNIT), ran, plan, check=False)
        _unlink(plan)
        _run(runner, plan.systemctl("daemon-reload"), ran, plan, check=False)
    else:
        _run(runner, ["launchctl", "bootout", plan.launchd_target], ran, plan, check=False)
        _unlink(plan)
    return {**_describe(plan), "removed": True, "commands": ran}


def status(plan: ServicePlan, runner: Runner) -> dict[str, Any]:
    """Whether the file is installed (and current), and what the service manager says."""
    installed = plan.path.exists()
    current = installed and plan.path.read_text(encoding="utf-8") == plan.content
    details: dict[str, Any] = {**_describe(plan), "installed": installed, "up_to_date": current}
    if plan.manager == "systemd":
        active = runner(plan.systemctl("is-active", SYSTEMD_UNIT))
        enabled = runner(plan.systemctl("is-enabled", SYSTEMD_UNIT))
        details["active"] = active.stdout.strip() or _first_line(active.stderr) or "unknown"
        details["enabled"] = enabled.stdout.strip() or _first_line(enabled.stderr) or "unknown"
    else:
        shown = runner(["launchctl", "print", plan.launchd_target])
        loaded = shown.returncode == 0
        running = loaded and "state = running" in shown.stdout
        details["active"] = "active" if running else ("inactive" if loaded else "not loaded")
        details["enabled"] = "loaded" if loaded else "not loaded"
    details["logs"] = plan.logs_hint()
    return details


def _launchd_install_steps(
    plan: ServicePlan, runner: Runner, changed: bool, start: bool
) -> list[list[str]]:
    if not start:
        return []
    domain = plan.launchd_target.rsplit("/", 1)[0]
    loaded = runner(["launchctl", "print", plan.launchd_target]).returncode == 0
    steps: list[list[str]] = []
    if loaded and changed:
        steps.append(["launchctl", "bootout", plan.launchd_target])
    if changed or not loaded:
        steps.append(["launchctl", "bootstrap", domain, str(plan.path)])
    steps += [
        ["launchctl", "enable", plan.launchd_target],
        ["launchctl", "kickstart", plan.launchd_target],
    ]
    return steps


def _run(
    runner: Runner,
    argv: list[str],
    ran: list[dict[str, Any]],
    plan: ServicePlan,
    *,
    written: bool = True,
    check: bool = True,
) -> None:
    result = runner(argv)
    ran.append({"argv": argv, "returncode": result.returncode})
    if result.returncode == 0 or not check:
        return
    message = f"`{' '.join(argv)}` failed (exit {result.returncode})"
    if written:
        message = f"wrote {plan.path}, but {message}"
    output = _first_line(result.stderr) or _first_line(result.stdout)
    if output:
        message += f": {output}"
    if "bus" in result.stderr.lower() or result.returncode == 127:
        message += "\n  (no systemd session for this user here: a container, or an ssh login?)"
    raise ServiceError(
        message, {**_describe(plan), "written": written, "commands": ran, "stderr": result.stderr}
    )


def _unlink(plan: ServicePlan) -> None:
    try:
        plan.path.unlink()
    except OSError as error:
        raise _os_error(plan, error) from None


def _os_error(plan: ServicePlan, error: OSError) -> ServiceError:
    hint = " (a system service needs root: run it with sudo)" if plan.system else ""
    where = error.filename or plan.path
    return ServiceError(f"{where}: {error.strerror or error}{hint}", _describe(plan))


def _describe(plan: ServicePlan) -> dict[str, Any]:
    return {"manager": plan.manager, "scope": plan.scope, "path": str(plan.path)}


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _xdg_runtime(environ: Mapping[str, str]) -> Path | None:
    xdg = environ.get("XDG_RUNTIME_DIR")
    return Path(xdg) / SERVICE_NAME if xdg else None


def _explicit_runtime(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("CLIPROXY_RUNTIME_DIR") or environ.get("CLIPROXY_HOME"))


def _paths_of(
    user: str, paths: Paths, config_path: Path, environ: Mapping[str, str]
) -> tuple[Paths, Path]:
    """The folders of *user* when that is not us (sudo): the XDG defaults under their home,
    unless CLIPROXY_* variables name the folders explicitly."""
    entry = pwd.getpwnam(user)
    if entry.pw_uid == os.geteuid() or any(k.startswith("CLIPROXY_") for k in environ):
        return paths, config_path
    home = Path(entry.pw_dir)
    theirs = Paths(
        config_dir=home / ".config" / SERVICE_NAME,
        data_dir=home / ".local" / "share" / SERVICE_NAME,
        runtime_dir=paths.runtime_dir,
        log_dir=home / ".local" / "state" / SERVICE_NAME / "log",
    )
    if config_path.parent == paths.config_dir:  # the default file, not a --config one
        config_path = theirs.config_dir / config_path.name
    return theirs, config_path


def _primary_group(user: str) -> str | None:
    import grp

    try:
        return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    except KeyError:
        return None


def _auth_dir(config_path: Path, environ: Mapping[str, str]) -> Path | None:
    """The config's auth-dir when it sets one (the daemon writes refreshed tokens there)."""
    if not config_path.exists():
        return None
    try:
        settings = load_config(config_path, environ).settings
    except ConfigError:
        return None
    if not settings.auth_dir:
        return None
    return Path(settings.auth_dir).expanduser().absolute()
