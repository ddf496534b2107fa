"""Service definitions for `cliproxyctl service install`: a systemd unit or a launchd plist.

Pure rendering: `ServiceSpec` says what to run and which folders it writes; `render_systemd`
and `render_launchd` turn it into file text. Deciding the spec and installing it is
`cliproxyctl.servicectl`'s job.
"""

from __future__ import annotations

import plistlib
import re
from dataclasses import dataclass, field
from pathlib import Path

SERVICE_NAME = "cliproxy"
SYSTEMD_UNIT = f"{SERVICE_NAME}.service"
LAUNCHD_LABEL = "io.github.cliproxy"
DESCRIPTION = "cliproxy: one local endpoint for the OpenAI, Anthropic and Gemini APIs"

_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    argv: tuple[str, ...]  # absolute program path first
    environment: tuple[tuple[str, str], ...] = ()
    writable_paths: tuple[Path, ...] = ()  # opened up under ProtectSystem=strict/ProtectHome
    system: bool = False  # a system unit (or launchd daemon) rather than a per-user one
    user: str | None = None  # system services: the account it runs as
    group: str | None = None
    runtime_directory: str | None = None  # systemd RuntimeDirectory= (created on start)
    private_tmp: bool = True  # off when one of our folders lives in /tmp
    sandbox: bool = True  # namespace-based hardening (needs user namespaces in user units)
    log_file: Path | None = None  # launchd: where stdout and stderr go
    stop_timeout: int = 60  # seconds; the daemon drains in-flight requests first
    notes: tuple[str, ...] = field(default=())


def systemd_quote(value: str, *, command: bool = False) -> str:
    """One word of a systemd setting, quoted when needed; % (specifiers) escaped, and $ too in
    a *command* line (the only place systemd expands variables)."""
    escaped = value.replace("%", "%%")
    if command:
        escaped = escaped.replace("$", "$$")
    if _PLAIN.match(escaped):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_systemd(spec: ServiceSpec) -> str:
    """The text of ``cliproxy.service``."""
    lines = [
        "# Written by `cliproxyctl service install`; re-run it rather than editing this file",
        "# (or put overrides in `systemctl" + ("" if spec.system else " --user") + " edit "
        f"{SERVICE_NAME}`).",
        "[Unit]",
        f"Description={DESCRIPTION}",
        "Documentation=man:cliproxyctl(1)",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(systemd_quote(arg, command=True) for arg in spec.argv),
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "RestartSec=2",
        f"TimeoutStopSec={spec.stop_timeout}",
    ]
    if spec.user:
        lines.append(f"User={spec.user}")
    if spec.group:
        lines.append(f"Group={spec.group}")
    lines += [f"Environment={systemd_quote(f'{k}={v}')}" for k, v in spec.environment]
    if spec.runtime_directory:
        lines += [f"RuntimeDirectory={spec.runtime_directory}", "RuntimeDirectoryMode=0700"]
    lines += ["", "# Hardening", "UMask=0077", "NoNewPrivileges=yes", "LockPersonality=yes"]
    lines += ["RestrictRealtime=yes", "RestrictSUIDSGID=yes", "SystemCallArchitectures=native"]
    lines.append("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6")
    if spec.system:
        lines.append("CapabilityBoundingSet=")
    if spec.sandbox:
        if spec.private_tmp:
            lines.append("PrivateTmp=yes")
        lines += [
            "PrivateDevices=yes",
            "ProtectSystem=strict",
            "ProtectHome=read-only",
            *(f"ReadWritePaths={systemd_quote(f'-{path}')}" for path in spec.writable_paths),
            "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes",
            "ProtectKernelLogs=yes",
            "ProtectControlGroups=yes",
            "ProtectClock=yes",
            "ProtectHostname=yes",
            "RestrictNamespaces=yes",
        ]
    lines += ["", "[Install]", f"WantedBy={'multi-user' if spec.system else 'default'}.target"]
    return "\n".join(lines) + "\n"


def render_launchd(spec: ServiceSpec, label: str = LAUNCHD_LABEL) -> str:
    """The text of the launchd property list (a LaunchAgent, or a LaunchDaemon with a user)."""
    plist: dict[str, object] = {
        "Label": label,
        "ProgramArguments": list(spec.argv),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},  # restart on failure, not after a clean stop
        "ThrottleInterval": 5,
        "ExitTimeOut": spec.stop_timeout,
        "Umask": 0o077,
    }
    if spec.environment:
        plist["EnvironmentVariables"] = dict(spec.environment)
    if spec.user:
        plist["UserName"] = spec.user
    if spec.group:
        plist["GroupName"] = spec.group
    if spec.log_file is not None:
        plist["StandardOutPath"] = str(spec.log_file)
        plist["StandardErrorPath"] = str(spec.log_file)
    return plistlib.dumps(plist, sort_keys=False).decode()


def systemd_unit_path(system: bool, environ: dict[str, str] | None = None) -> Path:
    """``/etc/systemd/system/cliproxy.service``, or the user's ``$XDG_CONFIG_HOME/systemd/user``."""
    if system:
        return Path("/etc/systemd/system") / SYSTEMD_UNIT
    env = environ or {}
    home = Path(env.get("HOME") or Path.home())
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return config_home / "systemd" / "user" / SYSTEMD_UNIT


def launchd_plist_path(system: bool, environ: dict[str, str] | None = None) -> Path:
    """``~/Library/LaunchAgents/<label>.plist``, or ``/Library/LaunchDaemons`` for --system."""
    if system:
        return Path("/Library/LaunchDaemons") / f"{LAUNCHD_LABEL}.plist"
    home = Path((environ or {}).get("HOME") or Path.home())
    return home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
