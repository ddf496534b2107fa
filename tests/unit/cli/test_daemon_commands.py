"""The daemon commands' own logic (integration tests drive them against a real daemon)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cliproxyctl.commands.daemon import _pid_alive, _tail


def test_tail_shows_the_last_lines_or_says_there_was_nothing(tmp_path: Path) -> None:
    log = tmp_path / "daemon.out"
    assert _tail(log) == "(no output)"
    log.write_text("".join(f"line {n}\n" for n in range(50)))
    assert _tail(log, lines=3) == "line 47\nline 48\nline 49"


def test_pid_alive_tells_a_live_process_from_a_finished_one() -> None:
    assert _pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not _pid_alive(child.pid)


def test_stop_with_no_daemon_is_a_success_that_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPROXY_")}
    env["CLIPROXY_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "cliproxyctl", "stop", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert '"was_running": false' in result.stdout
