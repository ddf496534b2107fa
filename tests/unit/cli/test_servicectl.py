"""cliproxyctl.servicectl: plans, idempotent installs and status, through a fake runner."""

from __future__ import annotations

import os
import plistlib
import pwd
from collections.abc import Sequence
from pathlib import Path

import pytest

from cliproxyctl import servicectl
from cliproxyctl.servicectl import RunResult, ServiceError, ServicePlan, build_plan
from daemon.paths import Paths

PROGRAM = ("/usr/local/bin/cliproxyctl",)
ME = pwd.getpwuid(os.geteuid()).pw_name


class FakeRunner:
    """Records every command; answers from a table of (argv prefix → result)."""

    def __init__(self, answers: dict[tuple[str, ...], RunResult] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def __call__(self, argv: Sequence[str]) -> RunResult:
        self.calls.append(list(argv))
        for prefix, result in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return result
        return RunResult(0)


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(
        tmp_path / "config", tmp_path / "data", tmp_path / "xdg" / "cliproxy", tmp_path / "logs"
    )


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(tmp_path / "xdg")}


def user_plan(paths: Paths, environ: dict[str, str], **kwargs: object) -> ServicePlan:
    config = paths.config_dir / "config.toml"
    return build_plan(paths, config, environ, manager="systemd", program=PROGRAM, **kwargs)  # type: ignore[arg-type]


def test_a_user_plan_pins_the_clis_folders_and_lets_systemd_make_the_runtime_dir(
    paths: Paths, environ: dict[str, str], tmp_path: Path
) -> None:
    plan = user_plan(paths, environ)
    assert plan.path == tmp_path / "home/.config/systemd/user/cliproxy.service"
    spec = plan.spec
    assert spec.argv == (*PROGRAM, "--config", str(paths.config_dir / "config.toml"), "serve")
    assert spec.runtime_directory == "cliproxy"
    assert dict(spec.environment)["CLIPROXY_RUNTIME_DIR"] == str(paths.runtime_dir)
    assert dict(spec.environment)["CLIPROXY_DATA_DIR"] == str(paths.data_dir)
    assert spec.writable_paths == (paths.config_dir, paths.data_dir, paths.log_dir)
    assert "RuntimeDirectory=cliproxy" in plan.content
    assert plan.logs_hint() == ["journalctl --user -u cliproxy -f"]


def test_a_runtime_dir_of_our_own_is_writable_and_one_in_tmp_turns_private_tmp_off(
    tmp_path: Path, environ: dict[str, str]
) -> None:
    paths = Paths(tmp_path / "c", tmp_path / "d", Path("/tmp/cliproxy-test-run"), tmp_path / "l")
    plan = user_plan(paths, environ)
    assert plan.spec.runtime_directory is None
    assert Path("/tmp/cliproxy-test-run") in plan.spec.writable_paths
    assert plan.spec.private_tmp is False
    assert "PrivateTmp" not in plan.content


def test_the_configs_auth_dir_is_writable_too(
    paths: Paths, environ: dict[str, str], tmp_path: Path
) -> None:
    paths.config_dir.mkdir(parents=True)
    (paths.config_dir / "config.toml").write_text(f'auth-dir = "{tmp_path}/auths"\n')
    assert tmp_path / "auths" in user_plan(paths, environ).spec.writable_paths


def test_a_system_plan_runs_as_a_named_user_with_a_systemd_runtime_dir(
    paths: Paths, environ: dict[str, str]
) -> None:
    plan = user_plan(paths, environ, system=True, user=ME)
    assert plan.path == Path("/etc/systemd/system/cliproxy.service")
    assert plan.spec.user == ME
    assert dict(plan.spec.environment)["CLIPROXY_RUNTIME_DIR"] == "/run/cliproxy"
    assert plan.systemctl("is-active") == ["systemctl", "is-active"]
    assert plan.logs_hint() == ["journalctl -u cliproxy -f"]


def test_system_services_refuse_root_and_unknown_users(
    paths: Paths, environ: dict[str, str]
) -> None:
    if os.geteuid() == 0:
        with pytest.raises(ServiceError, match="refusing to run the proxy as root"):
            user_plan(paths, environ, system=True)
    with pytest.raises(ServiceError, match="no such user"):
        user_plan(paths, environ, system=True, user="no-such-user-here")


def test_install_writes_enables_and_starts_then_is_idempotent(
    paths: Paths, environ: dict[str, str]
) -> None:
    plan = user_plan(paths, environ)
    runner = FakeRunner()
    first = servicectl.install(plan, runner)
    assert first["created"] and first["changed"]
    assert runner.calls == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", "cliproxy.service"],
    ]
    assert plan.path.read_text() == plan.content
    assert oct(plan.path.stat().st_mode & 0o777) == "0o644"
    assert all(folder.is_dir() for folder in plan.spec.writable_paths)

    runner.calls.clear()
    again = servicectl.install(plan, runner)
    assert not again["created"] and not again["changed"]
    assert runner.calls == [["systemctl", "--user", "enable", "--now", "cliproxy.service"]]

    runner.calls.clear()
    moved = build_plan(
        paths,
        paths.config_dir / "config.toml",
        environ,
        manager="systemd",
        program=("/opt/new/cliproxyctl",),
    )
    changed = servicectl.install(moved, runner)
    assert changed["changed"] and not changed["created"]
    assert runner.calls[-1] == ["systemctl", "--user", "try-restart", "cliproxy.service"]


def test_install_without_start_only_reloads(paths: Paths, environ: dict[str, str]) -> None:
    runner = FakeRunner()
    details = servicectl.install(user_plan(paths, environ), runner, start=False)
    assert runner.calls == [["systemctl", "--user", "daemon-reload"]]
    assert details["started"] is False


def test_a_failing_systemctl_is_an_error_that_says_the_file_was_written(
    paths: Paths, environ: dict[str, str]
) -> None:
    runner = FakeRunner(
        {("systemctl",): RunResult(1, "", "Failed to connect to bus: No medium found\n")}
    )
    plan = user_plan(paths, environ)
    with pytest.raises(ServiceError) as caught:
        servicectl.install(plan, runner)
    assert "daemon-reload` failed (exit 1): Failed to connect to bus" in caught.value.message
    assert "no systemd session" in caught.value.message
    assert caught.value.details["written"] is True
    assert plan.path.exists()


def test_uninstall_stops_removes_and_is_a_no_op_the_second_time(
    paths: Paths, environ: dict[str, str]
) -> None:
    plan = user_plan(paths, environ)
    servicectl.install(plan, FakeRunner())
    runner = FakeRunner({("systemctl", "--user", "disable"): RunResult(1, "", "not loaded")})
    details = servicectl.uninstall(plan, runner)
    assert details["removed"] is True and not plan.path.exists()
    assert runner.calls == [
        ["systemctl", "--user", "disable", "--now", "cliproxy.service"],
        ["systemctl", "--user", "daemon-reload"],
    ]
    runner.calls.clear()
    assert servicectl.uninstall(plan, runner)["removed"] is False
    assert runner.calls == []


def test_status_reports_the_file_and_what_systemctl_says(
    paths: Paths, environ: dict[str, str]
) -> None:
    plan = user_plan(paths, environ)
    runner = FakeRunner(
        {
            ("systemctl", "--user", "is-active"): RunResult(3, "inactive\n"),
            ("systemctl", "--user", "is-enabled"): RunResult(
                1, "", "Failed to get unit file state\n"
            ),
        }
    )
    before = servicectl.status(plan, runner)
    assert (before["installed"], before["up_to_date"], before["active"]) == (
        False,
        False,
        "inactive",
    )
    assert before["enabled"] == "Failed to get unit file state"
    servicectl.install(plan, FakeRunner())
    after = servicectl.status(
        plan, FakeRunner({("systemctl", "--user", "is-active"): RunResult(0, "active\n")})
    )
    assert (after["installed"], after["up_to_date"], after["active"]) == (True, True, "active")


def test_launchd_bootstraps_enables_and_kicks_and_reports_running(
    paths: Paths, environ: dict[str, str], tmp_path: Path
) -> None:
    config = paths.config_dir / "config.toml"
    plan = build_plan(paths, config, environ, manager="launchd", program=PROGRAM)
    assert plan.path == tmp_path / "home/Library/LaunchAgents/io.github.cliproxy.plist"
    assert plistlib.loads(plan.content.encode())["ProgramArguments"][-1] == "serve"
    target = f"gui/{os.getuid()}/io.github.cliproxy"
    runner = FakeRunner({("launchctl", "print"): RunResult(113, "", "not found")})
    servicectl.install(plan, runner)
    assert runner.calls == [
        ["launchctl", "print", target],
        ["launchctl", "bootstrap", f"gui/{os.getuid()}", str(plan.path)],
        ["launchctl", "enable", target],
        ["launchctl", "kickstart", target],
    ]
    changed = build_plan(paths, config, environ, manager="launchd", program=("/opt/x",))
    loaded = FakeRunner({("launchctl", "print"): RunResult(0, "state = running\n")})
    servicectl.install(changed, loaded)
    assert loaded.calls[1] == ["launchctl", "bootout", target]
    assert servicectl.status(changed, loaded)["active"] == "active"
    assert servicectl.uninstall(changed, loaded)["removed"] is True
    assert changed.logs_hint() == [f"tail -f {paths.log_dir / 'daemon.out'}", "cliproxyctl logs -f"]


def test_platforms_and_the_program_path() -> None:
    assert servicectl.detect_manager("linux") == "systemd"
    assert servicectl.detect_manager("darwin") == "launchd"
    with pytest.raises(ServiceError, match="no service support on win32"):
        servicectl.detect_manager("win32")
    argv = servicectl.cliproxyctl_argv()
    assert Path(argv[0]).is_absolute()
    assert argv[-1] == "cliproxyctl" or argv[-1].endswith("cliproxyctl")


def test_the_real_runner_captures_and_never_raises() -> None:
    assert servicectl.run_command(["sh", "-c", "echo out; echo err >&2; exit 3"]) == RunResult(
        3, "out\n", "err\n"
    )
    assert servicectl.run_command(["no-such-command-xyz"]).returncode == 127


def test_a_file_that_cannot_be_written_is_an_error_not_a_traceback(
    paths: Paths, environ: dict[str, str], tmp_path: Path
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    plan = build_plan(
        paths,
        paths.config_dir / "config.toml",
        environ,
        manager="systemd",
        program=PROGRAM,
        unit_path=blocked / "cliproxy.service",
    )
    with pytest.raises(ServiceError, match="blocked"):
        servicectl.install(plan, FakeRunner())
