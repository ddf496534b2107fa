"""The mock upstream, the daemon and nginx: started once, serving every run."""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.proxy.configs import nginx_modules_without, render_daemon_config, render_nginx_config
from bench.proxy.processes import BenchError, Processes, free_port, pinned, stop_pid, wait_port
from bench.proxy.procfs import children_of
from bench.proxy.scenarios import CLIENT_KEY, LOAD_CORE, MOCK_KEY, PROXY_CORE, REPO

# --------------------------------------------------------------------------- the services


@dataclass(slots=True)
class Target:
    name: str
    url: str  # base URL, no trailing slash
    key: str  # the credential the load presents
    proxy_pids: Callable[[], list[int]] | None  # the proxy under test (None: direct)


@dataclass(slots=True)
class Services:
    mock_pid: int
    mock_url: str
    targets: dict[str, Target] = field(default_factory=dict)
    daemon_affinity: list[int] = field(default_factory=list)
    nginx_version: str = ""


def _first_line(path: Path, process: subprocess.Popen[bytes], timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if "\n" in text:
            return text.split("\n", 1)[0].strip()
        if process.poll() is not None:
            raise BenchError(f"{what} exited with code {process.returncode}: {text[-500:]}")
        time.sleep(0.05)
    raise BenchError(f"{what} printed nothing within {timeout:g}s")


def start_mock(procs: Processes, work: Path) -> tuple[int, str]:
    out = work / "mock.out"
    argv = [sys.executable, "-m", "tests.support.mock_upstream", "--port", "0"]
    argv += ["--api-key", MOCK_KEY]
    with open(out, "wb") as sink:
        process = procs.spawn(
            "mock",
            pinned(LOAD_CORE, argv),
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    url = _first_line(out, process, 30, "the mock upstream")
    if not url.startswith("http://127.0.0.1:"):
        raise BenchError(f"the mock printed {url!r}, not its URL")
    return process.pid, url


def _daemon_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPROXY_")}
    env.update(
        CLIPROXY_HOME=str(work / "home"),
        CLIPROXY_RUNTIME_DIR=str(work / "run"),
        NO_COLOR="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


def start_daemon(procs: Processes, work: Path, mock_url: str) -> tuple[int, str]:
    """`cliproxyctl start` pinned to the proxy core (the daemon inherits the affinity)."""
    config = work / "home" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(render_daemon_config(mock_url))
    env = _daemon_env(work)
    pid_file = work / "run" / "daemon.pid"
    cli = [sys.executable, "-m", "cliproxyctl"]

    def stop() -> None:
        subprocess.run(
            [*cli, "stop"], env=env, cwd=REPO, capture_output=True, timeout=30, check=False
        )
        with contextlib.suppress(OSError, ValueError):
            stop_pid(int(pid_file.read_text()))

    procs.on_close("cliproxy daemon", stop)
    done = subprocess.run(
        pinned(PROXY_CORE, [*cli, "start", "--json", "--timeout", "30"]),
        env=env,
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(
            "cliproxyctl start failed:\n" + (done.stdout + done.stderr).decode(errors="replace")
        )
    details = orjson.loads(done.stdout)["details"]
    return int(details["pid"]), str(details["listen"]).rstrip("/")


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) of `nobody` when we are root, so nginx does not run as root; else None."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return None
    gid = user.pw_gid
    with contextlib.suppress(KeyError):
        gid = grp.getgrnam("nogroup").gr_gid
    return user.pw_uid, gid


def start_nginx(procs: Processes, work: Path, nginx: str, mock_port: int) -> tuple[int, str, str]:
    prefix = work / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    version = subprocess.run(
        [nginx, "-V"], capture_output=True, text=True, timeout=10, check=False
    ).stderr
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx_config(prefix, port, mock_port, nginx_modules_without(version)))
    ids = _unprivileged()
    kwargs: dict[str, Any] = {}
    if ids is not None:
        os.chmod(work, 0o711)  # nobody passes through to its own folder, and no further
        for path in (prefix, prefix / "tmp", conf):
            os.chown(path, ids[0], ids[1])
        kwargs.update(user=ids[0], group=ids[1], extra_groups=[])
    log = prefix / "stderr.log"
    with open(log, "wb") as sink:
        process = procs.spawn(
            "nginx",
            pinned(PROXY_CORE, [nginx, "-p", str(prefix), "-c", str(conf), "-e", "stderr"]),
            stdout=sink,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
    try:
        wait_port(port, process, 15, "nginx")
    except BenchError as error:
        raise BenchError(f"{error}: {log.read_text(errors='replace')[-800:]}") from error
    first = version.splitlines()[0] if version else "nginx"
    return process.pid, f"http://127.0.0.1:{port}", first.removeprefix("nginx version: ")


def start_services(
    procs: Processes, work: Path, targets: Sequence[str], nginx: str | None
) -> Services:
    mock_pid, mock_url = start_mock(procs, work)
    services = Services(mock_pid=mock_pid, mock_url=mock_url)
    if "direct" in targets:
        services.targets["direct"] = Target("direct", mock_url, MOCK_KEY, None)
    if "nginx" in targets and nginx is not None:
        mock_port = int(mock_url.rsplit(":", 1)[1])
        master, url, services.nginx_version = start_nginx(procs, work, nginx, mock_port)
        pids = [master, *children_of(master)]  # the master and its one worker, found once
        services.targets["nginx"] = Target("nginx", url, MOCK_KEY, lambda: pids)
    if "cliproxy" in targets:
        daemon_pid, url = start_daemon(procs, work, mock_url)
        services.daemon_affinity = sorted(os.sched_getaffinity(daemon_pid))
        services.targets["cliproxy"] = Target("cliproxy", url, CLIENT_KEY, lambda: [daemon_pid])
    return services
