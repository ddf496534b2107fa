"""cliproxyctl.units: the systemd unit and launchd plist texts."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest

from cliproxyctl.units import (
    LAUNCHD_LABEL,
    ServiceSpec,
    launchd_plist_path,
    render_launchd,
    render_systemd,
    systemd_quote,
    systemd_unit_path,
)

SPEC = ServiceSpec(
    argv=(
        "/opt/cli proxy/bin/cliproxyctl",
        "--config",
        "/home/u/.config/cliproxy/config.toml",
        "serve",
    ),
    environment=(("CLIPROXY_DATA_DIR", "/home/u/.local/share/cliproxy"), ("ODD", "50% $HOME")),
    writable_paths=(Path("/home/u/.config/cliproxy"), Path("/home/u/my data")),
    runtime_directory="cliproxy",
    log_file=Path("/home/u/.local/state/cliproxy/log/daemon.out"),
)


def settings(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_quoting_escapes_specifiers_and_quotes_only_when_needed() -> None:
    assert systemd_quote("/usr/bin/cliproxyctl") == "/usr/bin/cliproxyctl"
    assert systemd_quote("a b") == '"a b"'
    assert systemd_quote('say "hi"\\') == '"say \\"hi\\"\\\\"'
    assert systemd_quote("50%") == "50%%"
    assert systemd_quote("$HOME", command=True) == '"$$HOME"'
    assert systemd_quote("$HOME") == '"$HOME"'


def test_a_user_unit_runs_serve_restarts_on_failure_and_is_hardened() -> None:
    text = render_systemd(SPEC)
    found = settings(text)
    assert found["ExecStart"] == [
        '"/opt/cli proxy/bin/cliproxyctl" --config /home/u/.config/cliproxy/config.toml serve'
    ]
    assert found["Restart"] == ["on-failure"]
    assert found["WantedBy"] == ["default.target"]
    for option in ("NoNewPrivileges", "PrivateTmp", "ProtectKernelTunables", "RestrictSUIDSGID"):
        assert found[option] == ["yes"], option
    assert found["ProtectSystem"] == ["strict"]
    assert found["ProtectHome"] == ["read-only"]
    assert found["ReadWritePaths"] == ["-/home/u/.config/cliproxy", '"-/home/u/my data"']
    assert found["RuntimeDirectory"] == ["cliproxy"]
    assert found["Environment"] == [
        "CLIPROXY_DATA_DIR=/home/u/.local/share/cliproxy",
        '"ODD=50%% $HOME"',
    ]
    assert "User" not in found and "CapabilityBoundingSet" not in found


def test_a_system_unit_names_its_user_and_drops_capabilities() -> None:
    spec = ServiceSpec(
        argv=("/usr/bin/cliproxyctl", "serve"), system=True, user="alice", group="staff"
    )
    found = settings(render_systemd(spec))
    assert (found["User"], found["Group"]) == (["alice"], ["staff"])
    assert found["CapabilityBoundingSet"] == [""]
    assert found["WantedBy"] == ["multi-user.target"]


def test_without_the_sandbox_or_with_a_folder_in_tmp_the_namespace_options_go() -> None:
    bare = settings(render_systemd(ServiceSpec(argv=("/bin/x",), sandbox=False)))
    assert "ProtectSystem" not in bare and "PrivateTmp" not in bare and "ReadWritePaths" not in bare
    assert bare["NoNewPrivileges"] == ["yes"]
    in_tmp = settings(render_systemd(ServiceSpec(argv=("/bin/x",), private_tmp=False)))
    assert "PrivateTmp" not in in_tmp and in_tmp["ProtectSystem"] == ["strict"]


def test_the_launchd_plist_keeps_the_service_alive_after_failures() -> None:
    plist = plistlib.loads(render_launchd(SPEC).encode())
    assert plist["Label"] == LAUNCHD_LABEL
    assert plist["ProgramArguments"] == list(SPEC.argv)
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["EnvironmentVariables"]["ODD"] == "50% $HOME"
    assert plist["StandardErrorPath"] == str(SPEC.log_file)
    assert "UserName" not in plist
    daemon = plistlib.loads(
        render_launchd(ServiceSpec(argv=("/x",), system=True, user="bob")).encode()
    )
    assert daemon["UserName"] == "bob"


def test_unit_paths_follow_xdg_and_home() -> None:
    assert systemd_unit_path(True) == Path("/etc/systemd/system/cliproxy.service")
    assert systemd_unit_path(False, {"HOME": "/h"}) == Path(
        "/h/.config/systemd/user/cliproxy.service"
    )
    assert systemd_unit_path(False, {"HOME": "/h", "XDG_CONFIG_HOME": "/x"}) == Path(
        "/x/systemd/user/cliproxy.service"
    )
    assert launchd_plist_path(False, {"HOME": "/h"}) == Path(
        f"/h/Library/LaunchAgents/{LAUNCHD_LABEL}.plist"
    )
    assert launchd_plist_path(True).parent == Path("/Library/LaunchDaemons")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("system", [False, True])
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path, system: bool) -> None:
    program = tmp_path / "cliproxyctl"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    spec = ServiceSpec(
        argv=(str(program), "--config", str(tmp_path / "config.toml"), "serve"),
        environment=(("CLIPROXY_RUNTIME_DIR", "/run/cliproxy"),),
        writable_paths=(tmp_path,),
        system=system,
        user="root" if system else None,
        runtime_directory="cliproxy",
    )
    unit = tmp_path / "cliproxy.service"
    unit.write_text(render_systemd(spec))
    args = ["systemd-analyze", "verify", "--man=no", *([] if system else ["--user"]), str(unit)]
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, env=env)
    if done.returncode != 0 and "Failed to initialize manager" in done.stderr:
        pytest.skip(f"systemd-analyze cannot run here: {done.stderr.strip()}")
    # verify exits 0 on unknown keys and bad values, but names the file and line of each.
    problems = [line for line in done.stderr.splitlines() if str(unit) in line]
    assert done.returncode == 0 and not problems, done.stderr
