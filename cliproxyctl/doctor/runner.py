"""Run the check groups, repair what is safe when asked, and check again.

    report = run_doctor(DoctorEnv(paths, config_path, os.environ), fix=True)

A group is a function of a Snapshot returning its checks, in a stable order. With `fix`, every
check that is not ok and carries a repair is repaired, then every group runs again on a fresh
snapshot (network answers are remembered, so nothing is probed twice) and the report shows
the state after the repairs, with what was done in `fixed`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from cliproxyctl.doctor import configuration, credentials, daemon, network, paths, system
from cliproxyctl.doctor.env import DoctorEnv, Snapshot
from cliproxyctl.doctor.model import Check, Fixed, Report, Status, fail
from cliproxyctl.doctor.probe import Prober, ProbeResult

Group = Callable[[Snapshot], list[Check]]

GROUPS: tuple[Group, ...] = (
    system.checks,
    configuration.checks,
    paths.checks,
    daemon.checks,
    credentials.checks,
    network.checks,
)


class _RememberingProber:
    """Asks the wrapped prober once per (url, timeout, proxy)."""

    def __init__(self, inner: Prober) -> None:
        self._inner = inner
        self._answers: dict[tuple[str, float, str | None], ProbeResult] = {}
        self._lock = threading.Lock()

    def probe(self, url: str, timeout: float, proxy: str | None) -> ProbeResult:
        key = (url, timeout, proxy)
        with self._lock:
            known = self._answers.get(key)
        if known is None:
            known = self._inner.probe(url, timeout, proxy)
            with self._lock:
                self._answers[key] = known
        return known


def run_checks(env: DoctorEnv, groups: Sequence[Group] = GROUPS) -> list[Check]:
    """One pass over `groups`; a group that crashes becomes one failed check, not a traceback."""
    snap = Snapshot(env)
    found: list[Check] = []
    for group in groups:
        try:
            found.extend(group(snap))
        except Exception as error:
            name = group.__module__.rsplit(".", 1)[-1]
            found.append(
                fail(
                    f"doctor.{name}",
                    f"the {name} checks crashed: {type(error).__name__}: {error}",
                    "please report this as a bug in cliproxy",
                )
            )
    return found


def run_doctor(env: DoctorEnv, *, fix: bool = False, groups: Sequence[Group] = GROUPS) -> Report:
    env = replace(env, prober=_RememberingProber(env.prober))
    report = Report(run_checks(env, groups), offline=env.offline)
    if not fix:
        return report
    for check in report.checks:
        if check.repair is None or check.status is Status.OK:
            continue
        try:
            done = check.repair()
        except OSError as error:
            report.fixed.append(Fixed(check.id, check.subject, f"could not repair: {error}"))
            continue
        report.fixed.append(Fixed(check.id, check.subject, done.message))
        if done.secret is not None:
            report.secrets.append(done.secret)
    if report.fixed:
        report.checks = run_checks(env, groups)
    return report
