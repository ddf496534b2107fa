"""Run the real daemon and CLI as subprocesses, each test in its own private set of folders."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CLIENT_KEY = "sk-test-client-key-0123456789abcdef"


def base_config(port: int = 0, keys: tuple[str, ...] = (CLIENT_KEY,), extra: str = "") -> str:
    quoted = ", ".join(f'"{k}"' for k in keys)
    return f'host = "127.0.0.1"\nport = {port}\napi-keys = [{quoted}]\ndrain-timeout = 10\n{extra}'


@dataclass
class Sandbox:
    """CLIPROXY_* folders for one test; the runtime dir is short so the socket path fits."""

    home: Path
    runtime: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.home / "config" / "config.toml"

    @property
    def socket(self) -> Path:
        return self.runtime / "control.sock"

    @property
    def pid_file(self) -> Path:
        return self.runtime / "daemon.pid"

    def write_config(self, text: str) -> None:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.config.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.config)

    def cli(
        self, *args: str, timeout: float = 60, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run `cliproxyctl ARGS` as a real process."""
        return subprocess.run(
            [sys.executable, "-m", "cliproxyctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=check,
        )

    def popen_serve(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "cliproxyctl", "serve"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )

    def control(self) -> httpx.Client:
        return httpx.Client(
            transport=httpx.HTTPTransport(uds=str(self.socket)),
            base_url="http://cliproxy",
            timeout=5,
        )

    def status(self) -> dict[str, Any]:
        with self.control() as client:
            result: dict[str, Any] = client.get("/status").json()
            return result

    def wait_ready(self, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.socket.exists():
                try:
                    return self.status()
                except httpx.TransportError:
                    pass
            time.sleep(0.05)
        raise AssertionError(f"daemon did not answer within {timeout}s")

    def stop_quietly(self) -> None:
        """Best-effort cleanup: the daemon must never outlive its test."""
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def make_sandbox(base: Path) -> Iterator[Sandbox]:
    runtime = Path(tempfile.mkdtemp(prefix="cpx-", dir="/tmp"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPROXY_")}
    env.update(
        CLIPROXY_HOME=str(base / "home"),
        CLIPROXY_RUNTIME_DIR=str(runtime / "run"),
        NO_COLOR="1",
        COLUMNS="200",
    )
    box = Sandbox(home=base / "home", runtime=runtime / "run", env=env)
    try:
        yield box
    finally:
        box.stop_quietly()
        shutil.rmtree(runtime, ignore_errors=True)
