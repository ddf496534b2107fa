"""The daemon as users run it: cliproxyctl start/status/stop/serve against a real process."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import time
from typing import Any

import httpx
import pytest

from tests.support.daemon import CLIENT_KEY, Sandbox, base_config

pytestmark = pytest.mark.integration


def envelope(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc["schema_version"] == "cliproxyctl.response.v1"
    assert set(doc) == {"schema_version", "command", "ok", "timestamp", "details"}
    return doc


def started(sandbox: Sandbox, config: str | None = None) -> dict[str, Any]:
    sandbox.write_config(config or base_config())
    result = sandbox.cli("start", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    details: dict[str, Any] = envelope(result)["details"]
    return details


def test_start_status_second_start_and_stop(sandbox: Sandbox) -> None:
    details = started(sandbox)
    assert details["listen"].startswith("http://127.0.0.1:")
    pid = details["pid"]

    status = sandbox.cli("status", "--json")
    assert status.returncode == 0
    doc = envelope(status)
    assert doc["ok"] is True
    assert doc["command"] == "status"
    assert doc["details"]["pid"] == pid
    assert doc["details"]["config_path"] == str(sandbox.config)
    assert doc["details"]["running"] is True

    again = sandbox.cli("start")
    assert again.returncode == 1
    assert "already running" in again.stderr

    stopped = sandbox.cli("stop", "--json")
    assert stopped.returncode == 0, stopped.stderr
    assert envelope(stopped)["details"] == {"was_running": True, "pid": pid}
    assert not sandbox.socket.exists()
    assert not sandbox.pid_file.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    gone = sandbox.cli("status", "--json")
    assert gone.returncode == 1
    doc = envelope(gone)
    assert doc["ok"] is False
    assert doc["details"]["running"] is False


def test_socket_and_pid_file_are_private(sandbox: Sandbox) -> None:
    started(sandbox)
    assert stat.S_IMODE(sandbox.socket.stat().st_mode) == 0o600
    assert stat.S_ISSOCK(sandbox.socket.stat().st_mode)
    assert stat.S_IMODE(sandbox.runtime.stat().st_mode) == 0o700
    assert stat.S_IMODE(sandbox.pid_file.stat().st_mode) == 0o600
    assert int(sandbox.pid_file.read_text()) == sandbox.status()["pid"]


def test_a_second_daemon_is_refused_while_the_first_serves(sandbox: Sandbox) -> None:
    started(sandbox)
    second = sandbox.popen_serve()
    _, err = second.communicate(timeout=30)
    assert second.returncode == 3
    assert "already owns" in err
    assert sandbox.status()["pid"] != second.pid  # the first one is untouched


def test_stale_socket_and_pid_file_are_cleaned_up(sandbox: Sandbox) -> None:
    sandbox.runtime.mkdir(parents=True, mode=0o700)
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(sandbox.socket))
    dead.close()  # a socket file nobody listens on, as a crashed daemon leaves behind
    sandbox.pid_file.write_text("999999\n")
    details = started(sandbox)
    assert sandbox.pid_file.read_text().strip() == str(details["pid"])


def test_config_edit_is_applied_live(sandbox: Sandbox) -> None:
    details = started(sandbox)
    url = details["listen"] + "/v1/models"
    new_key = "sk-test-second-key-abcdef0123456789"
    assert httpx.get(url, headers={"Authorization": f"Bearer {new_key}"}).status_code == 401

    with httpx.Client(timeout=5) as long_lived:  # an open keep-alive connection survives reload
        assert long_lived.get(details["listen"] + "/healthz").status_code == 200
        sandbox.write_config(base_config(keys=(CLIENT_KEY, new_key)))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            reload = sandbox.status()["last_reload"]
            if reload and reload["ok"]:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the config change was not picked up")
        response = long_lived.get(url, headers={"Authorization": f"Bearer {new_key}"})
        assert response.status_code == 200  # authenticated now


def test_broken_config_is_refused_and_the_daemon_keeps_serving(sandbox: Sandbox) -> None:
    details = started(sandbox)
    sandbox.write_config(base_config() + "\nport = = 3\n")
    deadline = time.monotonic() + 15
    reload = None
    while time.monotonic() < deadline:
        reload = sandbox.status()["last_reload"]
        if reload:
            break
        time.sleep(0.1)
    assert reload is not None
    assert reload["ok"] is False
    assert "running config kept" in reload["message"]
    assert "config.toml" in reload["message"]
    assert ":6" in reload["message"]
    response = httpx.get(details["listen"] + "/v1/models", headers={"x-api-key": CLIENT_KEY})
    assert response.status_code == 200  # still authenticating with the running config

    # A POST /reload by hand says the same, with a non-2xx status.
    with sandbox.control() as control:
        manual = control.post("/reload")
    assert manual.status_code == 422
    assert manual.json()["ok"] is False


def test_sighup_reloads(sandbox: Sandbox) -> None:
    details = started(sandbox)
    sandbox.write_config(base_config(extra="debug = true\n"))
    os.kill(details["pid"], signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not sandbox.status()["last_reload"]:
        time.sleep(0.05)
    assert sandbox.status()["last_reload"]["ok"] is True


def test_stop_drains_an_in_flight_request(sandbox: Sandbox) -> None:
    details = started(sandbox)
    port = int(details["listen"].rsplit(":", 1)[1])
    body = b'{"model": "m", "messages": []}'
    conn = socket.create_connection(("127.0.0.1", port), timeout=20)
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {CLIENT_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    conn.sendall(head + body[:10])  # the request is now in flight: its body is half sent
    time.sleep(0.3)
    stopper = subprocess.Popen(
        [*sandbox_cli_argv(), "stop", "--json"], env=sandbox.env, stdout=subprocess.PIPE, text=True
    )
    time.sleep(1.0)
    assert stopper.poll() is None, "stop returned while a request was still in flight"
    conn.sendall(body[10:])
    response = b""
    while chunk := conn.recv(65536):
        response += chunk
        if b"\r\n\r\n" in response and response.endswith(b"}"):
            break
    conn.close()
    assert response.startswith(
        b"HTTP/1.1 400"
    )  # a whole, API-shaped answer: no model is configured
    assert json.loads(response.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "model_not_found"
    out, _ = stopper.communicate(timeout=30)
    assert stopper.returncode == 0
    assert json.loads(out)["details"]["was_running"] is True


def sandbox_cli_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "cliproxyctl"]


def test_serve_in_the_foreground_stops_on_sigterm(sandbox: Sandbox) -> None:
    sandbox.write_config(base_config())
    process = sandbox.popen_serve()
    try:
        status = sandbox.wait_ready()
        assert status["pid"] == process.pid
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "draining" in err
    assert "cliproxy stopped" in err
    assert not sandbox.socket.exists()
    assert not sandbox.pid_file.exists()


def test_first_run_creates_a_private_config_and_prints_the_key_once(sandbox: Sandbox) -> None:
    result = sandbox.cli("start")
    assert result.returncode == 0, result.stderr
    key = next(
        line.strip() for line in result.stderr.splitlines() if line.strip().startswith("sk-")
    )
    assert stat.S_IMODE(sandbox.config.stat().st_mode) == 0o600
    listen = sandbox.status()["listen"]
    assert listen.startswith("http://127.0.0.1:")
    assert httpx.get(listen + "/v1/models", headers={"x-api-key": key}).status_code == 200
    logs = sandbox.cli("logs", "--json", "-n", "500")
    assert key not in logs.stdout
    again = sandbox.cli("restart")
    assert again.returncode == 0
    assert key not in again.stderr + again.stdout


def test_non_loopback_without_keys_is_refused(sandbox: Sandbox) -> None:
    sandbox.write_config('host = "0.0.0.0"\nport = 0\napi-keys = []\n')
    result = sandbox.cli("serve", timeout=30)
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0" in result.stderr


def test_port_taken_by_another_process_is_a_clear_error(sandbox: Sandbox) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        sandbox.write_config(base_config(port=holder.getsockname()[1]))
        result = sandbox.cli("start", "--json")
    finally:
        holder.close()
    assert result.returncode == 1
    doc = envelope(result)
    assert doc["ok"] is False
    assert "cannot listen" in doc["details"]["error"]


def test_secrets_are_masked_in_logs(sandbox: Sandbox) -> None:
    details = started(sandbox, base_config(extra="debug = true\n"))
    httpx.get(details["listen"] + f"/v1/models?key={CLIENT_KEY}")
    deadline = time.monotonic() + 5
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = envelope(sandbox.cli("logs", "--json", "-n", "500"))["details"]["lines"]
        if any("/v1/models" in line for line in lines):
            break
        time.sleep(0.1)
    text = "\n".join(lines)
    assert "/v1/models" in text
    assert CLIENT_KEY not in text
    assert "key=sk-t…cdef" in text


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
def test_control_socket_refuses_another_uid(sandbox: Sandbox) -> None:
    started(sandbox)
    # Open the folder and socket up, as a careless chmod would: the uid check still holds.
    os.chmod(sandbox.runtime.parent, 0o755)
    os.chmod(sandbox.runtime, 0o755)
    os.chmod(sandbox.socket, 0o666)
    probe = (
        "import os, socket\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX); s.settimeout(5)\n"
        f"s.connect({str(sandbox.socket)!r})\n"
        "try:\n"
        "    s.sendall(b'GET /status HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
        "    print(repr(s.recv(100)))\n"
        "except OSError as e:\n"
        "    print('refused', type(e).__name__)\n"
    )
    result = subprocess.run(
        [sandbox_cli_argv()[0], "-c", probe], capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 0, result.stderr
    assert "HTTP/1.1" not in result.stdout
    assert result.stdout.strip() in (
        "b''",
        "refused BrokenPipeError",
        "refused ConnectionResetError",
    )
