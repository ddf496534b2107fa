"""The daemon's lifecycle: two listeners in one process and one event loop.

start:   load config → refuse unsafe binds → take the lock → bind both sockets ourselves
         (the control socket 0600 in a 0700 folder) → pid file → serve
run:     the proxy on TCP, the control app on the Unix socket; SIGHUP or a changed config
         file reloads; SIGTERM/SIGINT or POST /shutdown drain
stop:    stop accepting, let in-flight requests and streams finish up to `drain-timeout`,
         then close; a second SIGINT forces it; socket, pid file and lock are removed
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import gc
import ipaddress
import logging
import math
import os
import signal
import socket
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from daemon.app import ProxyApp
from daemon.clock import Clock, SystemClock
from daemon.config import ConfigError, Settings, load_config
from daemon.control import ControlHooks, build_control_app
from daemon.dataplane.plane import DataPlane
from daemon.dataplane.routes import build_routes
from daemon.fileio import atomic_write
from daemon.logs import configure_logging, set_debug
from daemon.paths import MAX_SOCKET_PATH, Paths, ensure_private_dir
from daemon.peercred import same_user_only
from daemon.protocols import fastest_http_protocol, quiet_access_log
from daemon.runtime import DaemonState, ReloadResult
from daemon.watch import watch_file

log = logging.getLogger("cliproxy.daemon")

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


class StartupError(Exception):
    """The daemon cannot start; the message says why and what to do."""

    exit_code = 1


class AlreadyRunning(StartupError):
    exit_code = 3


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: the Daemon owns signals for both."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind_safety(settings: Settings) -> None:
    """Refuse to expose the proxy beyond this machine without client keys."""
    if not settings.api_keys and not is_loopback(settings.host):
        raise StartupError(
            f"refusing to listen on {settings.host}:{settings.port} with no api-keys: anyone who "
            "can reach it could spend your accounts. Add a key under api-keys (cliproxyctl setup "
            "generates one) or listen on 127.0.0.1."
        )


class Daemon:
    def __init__(
        self,
        config_path: Path,
        paths: Paths,
        environ: Mapping[str, str],
        *,
        clock: Clock | None = None,
        watch_interval: float = 1.0,
    ) -> None:
        self.config_path = config_path
        self.paths = paths
        self.environ = environ
        self.clock = clock or SystemClock()
        self.watch_interval = watch_interval
        self.stopping = asyncio.Event()
        self._servers: list[_Server] = []
        self._lock_file: IO[str] | None = None
        self.state: DaemonState | None = None
        self._plane: DataPlane | None = None

    # ------------------------------------------------------------------ entry points

    def run(self) -> int:
        """Serve until told to stop; the process exit code."""
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            loop_factory = None
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(self.serve())
        return 0

    async def serve(self) -> None:
        settings, warnings = self._load_initial()
        check_bind_safety(settings)
        self._take_lock()
        try:
            await self._serve_locked(settings, warnings)
        finally:
            self._release_lock()

    def request_shutdown(self) -> None:
        """Begin draining (idempotent); a second request while draining forces the exit."""
        if self.stopping.is_set():
            for server in self._servers:
                server.force_exit = True
            return
        log.info("shutting down: draining in-flight requests")
        self.stopping.set()
        if self.state is not None:
            self.state.draining = True
        for server in self._servers:
            server.should_exit = True

    async def reload(self) -> ReloadResult:
        """Re-read the config; apply it if valid, else keep the running one and say why."""
        assert self.state is not None
        state = self.state
        try:
            loaded = load_config(self.config_path, self.environ)
            check_bind_safety(loaded.settings)
            if self._plane is not None:
                self._plane.apply(loaded.settings)
        except (ConfigError, StartupError, ValueError) as error:
            result = ReloadResult(
                False, self.clock.time(), f"refused, running config kept: {error}"
            )
            log.error("config reload %s", result.message)
        else:
            previous = state.settings
            state.apply(loaded.settings)
            state.config_warnings = list(loaded.warnings)
            set_debug(loaded.settings.debug)
            for warning in loaded.warnings:
                log.warning("%s", warning)
            pending = [
                name
                for name, before, after in (
                    ("host", previous.host, loaded.settings.host),
                    ("port", previous.port, loaded.settings.port),
                    ("tls", previous.tls, loaded.settings.tls),
                    ("logging-to-file", previous.logging_to_file, loaded.settings.logging_to_file),
                )
                if before != after
            ]
            message = "applied"
            if pending:
                message += f"; {', '.join(pending)} take effect after a restart"
            result = ReloadResult(True, self.clock.time(), message)
            log.info("config reload %s", message)
        state.last_reload = result
        return result

    # ------------------------------------------------------------------ start-up steps

    def _load_initial(self) -> tuple[Settings, list[str]]:
        if not self.config_path.exists():
            raise StartupError(
                f"no config file at {self.config_path}; run `cliproxyctl setup` or "
                "`cliproxyctl serve` once to create one"
            )
        try:
            loaded = load_config(self.config_path, self.environ)
        except ConfigError as error:
            raise StartupError(f"invalid config: {error}") from error
        return loaded.settings, list(loaded.warnings)

    def _take_lock(self) -> None:
        ensure_private_dir(self.paths.runtime_dir)
        handle = open(self.paths.lock_file, "a+")  # noqa: SIM115 - held for the daemon's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            pid = _read_pid(self.paths.pid_file)
            who = f" (pid {pid})" if pid else ""
            raise AlreadyRunning(
                f"a cliproxy daemon{who} already owns {self.paths.control_socket}; "
                "use `cliproxyctl status` or `cliproxyctl stop`"
            ) from None
        os.chmod(self.paths.lock_file, 0o600)
        self._lock_file = handle

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    async def _serve_locked(self, settings: Settings, warnings: list[str]) -> None:
        state = DaemonState(settings=settings, config_path=self.config_path, clock=self.clock)
        state.config_warnings = warnings
        self.state = state
        configure_logging(
            state.masker,
            state.recent_logs,
            debug=settings.debug,
            log_file=self.paths.log_file if settings.logging_to_file else None,
            max_total_mb=settings.logs_max_total_size_mb,
        )
        for warning in warnings:
            log.warning("%s", warning)
        try:
            plane = DataPlane(state, cooldown_file=self.paths.data_dir / "cooldowns.json")
        except ValueError as error:
            raise StartupError(f"invalid provider configuration: {error}") from error
        self._plane = plane
        proxy_sock = _bind_tcp(settings.host, settings.port)
        control_sock = self._bind_control_socket()
        host, port = proxy_sock.getsockname()[:2]
        scheme = "https" if settings.tls.enable else "http"
        state.listen = f"{scheme}://{_format_host(host)}:{port}"
        atomic_write(self.paths.pid_file, f"{os.getpid()}\n", mode=0o600)

        proxy = _Server(
            uvicorn.Config(
                ProxyApp(state, build_routes(plane), on_shutdown=plane.close),
                http=quiet_access_log(fastest_http_protocol()),
                log_config=None,
                access_log=True,
                # The proxy is the edge: X-Forwarded-* from clients are not to be trusted.
                proxy_headers=False,
                lifespan="on",
                timeout_graceful_shutdown=math.ceil(settings.drain_timeout),
                ssl_certfile=settings.tls.cert if settings.tls.enable else None,
                ssl_keyfile=settings.tls.key if settings.tls.enable else None,
                server_header=False,
            )
        )
        hooks = ControlHooks(
            reload=self.reload,
            shutdown=self.request_shutdown,
            stopping=self.stopping,
            providers=plane.metrics,
            models=plane.served_models,
            reset_quota=plane.reset_quota,
        )
        control = _Server(
            uvicorn.Config(
                build_control_app(state, hooks),
                http=same_user_only(H11Protocol),
                log_config=None,
                # False here would unhook uvicorn.access for the proxy too (it is process-wide).
                access_log=True,
                lifespan="off",
                timeout_graceful_shutdown=max(math.ceil(settings.drain_timeout), 1),
                server_header=False,
            )
        )
        self._servers = [proxy, control]
        loop = asyncio.get_running_loop()
        self._install_signals(loop)
        watcher = asyncio.create_task(
            watch_file(self.config_path, self.reload, self.stopping, interval=self.watch_interval)
        )
        _tune_garbage_collector()
        log.info("cliproxy listening on %s (control: %s)", state.listen, self.paths.control_socket)
        try:
            await asyncio.gather(proxy.serve([proxy_sock]), control.serve([control_sock]))
        finally:
            self.stopping.set()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            self._remove_signals(loop)
            for path in (self.paths.control_socket, self.paths.pid_file):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            log.info("cliproxy stopped")

    def _bind_control_socket(self) -> socket.socket:
        path = self.paths.control_socket
        if len(str(path)) > MAX_SOCKET_PATH:
            raise StartupError(
                f"control socket path is too long for a Unix socket ({len(str(path))} bytes): "
                f"{path}; set CLIPROXY_RUNTIME_DIR to a shorter folder"
            )
        # We hold the lock, so a socket file left here belongs to a daemon that died.
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # born 0600: no window where others could connect
        try:
            sock.bind(str(path))
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        sock.listen(128)
        sock.setblocking(False)
        return sock

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.add_signal_handler(signal.SIGTERM, self.request_shutdown)
        loop.add_signal_handler(signal.SIGINT, self.request_shutdown)
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload()))

    def _remove_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)


def _tune_garbage_collector() -> None:
    """Requests leave no reference cycles (tests/unit/dataplane/test_reference_cycles.py), so
    the collector has nothing to find on the hot path, yet each run walks every object in
    flight: 10–37 ms pauses that landed in p99 (bench/proxy/). Freeze what start-up built, and
    collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)


def _bind_tcp(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise StartupError(f"cannot resolve listen host {host!r}: {error}") from error
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        hint = " (another process holds it)" if error.errno == errno.EADDRINUSE else ""
        raise StartupError(f"cannot listen on {host}:{port}: {error.strerror}{hint}") from error
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _format_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def serve(config_path: Path, paths: Paths, environ: Mapping[str, str]) -> int:
    """Run a daemon in the foreground; prints a start-up failure and returns its exit code."""
    try:
        return Daemon(config_path, paths, environ).run()
    except StartupError as error:
        print(f"cliproxy: {error}", file=sys.stderr)
        return error.exit_code
