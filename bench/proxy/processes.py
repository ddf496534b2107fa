"""Starting and stopping the bench's processes, pinning them, finding the tools."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- processes


class Processes:
    """Every process the bench starts, and how to stop each; `close` stops them all, last first."""

    def __init__(self) -> None:
        self._stops: list[tuple[str, Callable[[], None]]] = []

    def spawn(self, name: str, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        process = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self._stops.append((name, lambda: stop_process(process)))
        return process

    def on_close(self, name: str, stop: Callable[[], None]) -> None:
        self._stops.append((name, stop))

    def close(self) -> None:
        while self._stops:
            name, stop = self._stops.pop()
            try:
                stop()
            except Exception as error:  # keep stopping the others
                print(f"bench: stopping {name} failed: {error}", file=sys.stderr)


def stop_process(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(grace)


def stop_pid(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds, a process that is not our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with code {process.returncode} during start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise BenchError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:g}s")


def pinned(core: int, argv: Sequence[str]) -> list[str]:
    return ["taskset", "-c", str(core), *argv]


class BenchError(Exception):
    """The bench cannot run; the message says why."""


def find_tool(binary: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for folder in ("/usr/sbin", "/usr/local/sbin", "/sbin", str(Path(sys.executable).parent)):
        candidate = Path(folder) / binary
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def ensure_tool(binary: str, package: str, install: bool, log: Callable[[str], None]) -> str | None:
    """The path of `binary`, installing Debian's `package` when it is missing and we may."""
    found = find_tool(binary)
    if found or not install:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log(f"{binary} is missing: install it with `apt-get install {package}`")
        return None
    log(f"{binary} is missing: apt-get install {package}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "env": env}
    subprocess.run(["apt-get", "update", "-q"], timeout=600, check=False, **quiet)
    done = subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", package],
        timeout=600,
        check=False,
        **quiet,
    )
    if done.returncode != 0:
        log(f"apt-get install {package} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return find_tool(binary)
