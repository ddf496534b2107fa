"""listen.port, control.socket, daemon.version, clock.drift: the running daemon, if any."""

from __future__ import annotations

import errno
import socket
from urllib.parse import urlsplit

from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Check, Repaired, fail, ok, skipped, warn
from cliproxyctl.doctor.probe import SocketState, bind_error, in_use, listener_pids, socket_state
from daemon.paths import MAX_SOCKET_PATH
from daemon.version import __version__

MAX_DRIFT_SECONDS = 30.0


def checks(snap: Snapshot) -> list[Check]:
    return [listen_port(snap), control_socket(snap), daemon_version(snap), clock_drift(snap)]


def _same_host(a: str, b: str) -> bool:
    aliases = {"localhost": "127.0.0.1", "::1": "::1", "ip6-localhost": "::1"}
    return aliases.get(a.strip("[]"), a.strip("[]")) == aliases.get(b.strip("[]"), b.strip("[]"))


def listen_port(snap: Snapshot) -> Check:
    settings = snap.settings
    if settings is None:
        return skipped("listen.port", "the config file does not load")
    host, port = settings.host, settings.port
    where = f"{host}:{port}"
    if port == 0:
        return ok("listen.port", "port 0: the daemon takes a free port at each start")
    status = snap.daemon
    if status is not None:
        listen = urlsplit(str(status.get("listen", "")))
        if listen.port == port:
            if listen.hostname is None or _same_host(listen.hostname, host):
                return ok(
                    "listen.port", f"{where} is served by our daemon (pid {status.get('pid')})"
                )
            return warn(
                "listen.port",
                f"the daemon listens on {status['listen']}, the config says {where}",
                "`cliproxyctl restart` applies the new address",
            )
    error = bind_error(host, port)
    if error is None:
        if status is not None:
            return warn(
                "listen.port",
                f"the daemon listens on {status.get('listen')}, the config says {where}",
                "`cliproxyctl restart` applies the new port",
            )
        return ok("listen.port", f"{where} is free")
    config = snap.env.config_path
    if in_use(error):
        pids = listener_pids(port)
        who = f" (pid {', '.join(map(str, pids))})" if pids else ""
        return fail(
            "listen.port",
            f"{where} is held by another process{who}",
            f"stop that process (`ss -ltnp 'sport = :{port}'` or `lsof -iTCP:{port} "
            f"-sTCP:LISTEN` names it) or set another `port` in {config}",
        )
    if isinstance(error, socket.gaierror):
        return fail(
            "listen.port",
            f"cannot resolve the listen host {host!r}: {error}",
            f"set `host` in {config} to an address of this machine (127.0.0.1 by default)",
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return fail(
            "listen.port",
            f"not allowed to listen on {where}: ports below 1024 need privileges",
            f"set a `port` of 1024 or more in {config}",
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return fail(
            "listen.port",
            f"{host} is not an address of this machine",
            f"set `host` in {config} to 127.0.0.1 (or an address this machine has)",
        )
    return fail(
        "listen.port",
        f"cannot listen on {where}: {error.strerror or error}",
        f"check `host` and `port` in {config}",
    )


def control_socket(snap: Snapshot) -> Check:
    path = snap.env.paths.control_socket
    if len(str(path)) > MAX_SOCKET_PATH:
        return fail(
            "control.socket",
            f"the control socket path is too long for a Unix socket ({len(str(path))} bytes): "
            f"{path}",
            "set CLIPROXY_RUNTIME_DIR to a shorter folder",
        )
    state = socket_state(path)
    if state is SocketState.ABSENT:
        return warn(
            "control.socket",
            f"the daemon is not running (no socket at {path})",
            "`cliproxyctl start` starts it",
        )
    if state is SocketState.STALE:

        def remove() -> Repaired:
            if socket_state(path) is not SocketState.STALE:
                return Repaired(f"left {path} alone: it is no longer stale")
            path.unlink()
            return Repaired(f"removed the stale control socket {path}")

        return warn(
            "control.socket",
            f"stale control socket {path}: nobody answers on it (a daemon that died)",
            "`cliproxyctl doctor --fix` removes it (`cliproxyctl start` replaces it too)",
            repair=remove,
        )
    status = snap.daemon
    if state is SocketState.LIVE and status is not None:
        return ok("control.socket", f"the daemon answers on {path} (pid {status.get('pid')})")
    return fail(
        "control.socket",
        f"{path} exists but no cliproxy daemon of yours answers on it",
        f"see who holds it (`ls -l {path}`; `cliproxyctl status`); remove it if nothing should",
    )


def daemon_version(snap: Snapshot) -> Check:
    status = snap.daemon
    if status is None:
        return skipped("daemon.version", "the daemon is not running")
    running = str(status.get("version"))
    if running != __version__:
        return fail(
            "daemon.version",
            f"the daemon runs cliproxy {running}, this cliproxyctl is {__version__}",
            "`cliproxyctl restart` runs the installed version",
        )
    return ok("daemon.version", f"the daemon and cliproxyctl are both {__version__}")


def clock_drift(snap: Snapshot) -> Check:
    status = snap.daemon
    if status is None:
        return skipped("clock.drift", "the daemon is not running")
    try:
        theirs = float(status["started_at"]) + float(status["uptime_seconds"])
    except (KeyError, TypeError, ValueError):
        return skipped("clock.drift", "the daemon does not report its time")
    drift = theirs - snap.daemon_asked_at
    if abs(drift) > MAX_DRIFT_SECONDS:
        side = "ahead of" if drift > 0 else "behind"
        return warn(
            "clock.drift",
            f"the daemon's clock is {abs(drift):.0f}s {side} this one",
            "restart the daemon (`cliproxyctl restart`) and keep the clock synced (NTP)",
            data={"drift_seconds": round(drift, 3)},
        )
    return ok(
        "clock.drift",
        f"the daemon's clock agrees with this one ({drift:+.1f}s)",
        data={"drift_seconds": round(drift, 3)},
    )
