"""run_doctor: groups in order, crashes contained, repairs applied and checked again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cliproxyctl.doctor import CATALOGUE, GROUPS, ProbeResult, Snapshot, run_checks, run_doctor
from cliproxyctl.doctor.model import Check, Repaired, Status, fail, ok
from tests.support.doctor import FakeProber, make_env, private_home, write_config


@pytest.fixture
def home() -> Iterator[Path]:
    yield from private_home()


def test_a_crashing_group_becomes_one_failed_check(home: Path) -> None:
    def broken(snap: Snapshot) -> list[Check]:
        raise RuntimeError("boom")

    def fine(snap: Snapshot) -> list[Check]:
        return [ok("a.b", "fine")]

    checks = run_checks(make_env(home), [broken, fine])
    assert [c.id for c in checks] == [f"doctor.{__name__.rsplit('.', 1)[-1]}", "a.b"]
    assert checks[0].status is Status.FAIL and "RuntimeError: boom" in checks[0].message


def test_fix_runs_repairs_then_checks_again(home: Path) -> None:
    marker = home / "fixed"

    def group(snap: Snapshot) -> list[Check]:
        if marker.exists():
            return [ok("a.b", "now fine")]

        def repair() -> Repaired:
            marker.touch()
            return Repaired("made it fine", secret="sk-secret")

        return [fail("a.b", "broken", "repair it", subject="thing", repair=repair)]

    env = make_env(home)
    assert run_doctor(env, groups=[group]).checks[0].status is Status.FAIL
    assert not marker.exists()
    report = run_doctor(env, fix=True, groups=[group])
    assert [c.status for c in report.checks] == [Status.OK]
    assert [(f.id, f.subject, f.message) for f in report.fixed] == [
        ("a.b", "thing", "made it fine")
    ]
    assert report.secrets == ["sk-secret"]


def test_a_repair_that_fails_is_reported_not_raised(home: Path) -> None:
    def group(snap: Snapshot) -> list[Check]:
        def repair() -> Repaired:
            raise PermissionError("not allowed")

        return [fail("a.b", "broken", repair=repair)]

    report = run_doctor(make_env(home), fix=True, groups=[group])
    assert report.fixed[0].message == "could not repair: not allowed"
    assert report.checks[0].status is Status.FAIL


def test_the_network_is_probed_once_even_when_checks_run_twice(home: Path) -> None:
    prober = FakeProber({"https://api.example.test": ProbeResult(True, "HTTP 200")})
    env = make_env(home, prober=prober)
    write_config(
        env,
        '[[claude-api-key]]\napi-key = "sk-ant-0123456789abcdef"\n'
        'base-url = "https://api.example.test"\n',
    )
    env.config_path.chmod(0o644)  # something for --fix to do
    report = run_doctor(env, fix=True)
    assert report.fixed and len(prober.calls) == 1


def test_every_default_check_id_is_catalogued(home: Path) -> None:
    env = make_env(home)
    write_config(env, 'api-keys = ["your-api-key-1"]\n')
    ids = {check.id for check in run_checks(env, GROUPS)}
    assert ids <= set(CATALOGUE), ids - set(CATALOGUE)
