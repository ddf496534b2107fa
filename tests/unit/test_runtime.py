"""daemon.runtime: counters, reload results and the shared daemon state."""

from __future__ import annotations

import os
from pathlib import Path

from daemon.clock import FakeClock
from daemon.config import ProviderKeyEntry, Settings
from daemon.runtime import Counters, DaemonState, ReloadResult
from daemon.version import __version__

CLIENT = "sk-client-key-0123456789"
PROVIDER = "sk-ant-provider-key-abcdefghij"


def test_counters_group_statuses_by_class() -> None:
    counters = Counters()
    for status in (200, 201, 404, 401, 500, 503, 502, 101):
        counters.finished(status)
    assert counters.by_status == {"2xx": 2, "4xx": 2, "5xx": 3, "1xx": 1}
    assert list(counters.as_dict()["by_status"]) == ["1xx", "2xx", "4xx", "5xx"]


def test_counters_as_dict_is_a_copy() -> None:
    counters = Counters()
    counters.finished(200)
    snapshot = counters.as_dict()
    counters.finished(200)
    assert snapshot["by_status"] == {"2xx": 1}


def test_reload_result_as_dict() -> None:
    assert ReloadResult(False, 12.5, "bad").as_dict() == {"ok": False, "at": 12.5, "message": "bad"}


def test_status_uses_the_clock_for_uptime(tmp_path: Path) -> None:
    clock = FakeClock(start=5000.0)
    state = DaemonState(settings=Settings(), clock=clock, config_path=tmp_path / "c.toml")
    assert state.started_at == 5000.0
    clock.advance(61.23456)
    status = state.status()
    expected = {
        "version": __version__,
        "pid": os.getpid(),
        "uptime_seconds": 61.235,
        "started_at": 5000.0,
        "listen": "",
        "config_path": str(tmp_path / "c.toml"),
        "config_warnings": [],
        "last_reload": None,
        "requests": {"total": 0, "in_flight": 0, "by_status": {}, "unauthorized": 0},
    }
    # Other parts of the daemon add their own sections; these are the ones runtime owns.
    assert {key: status[key] for key in expected} == expected


def test_status_reports_reload_warnings_and_counters() -> None:
    state = DaemonState(settings=Settings(), clock=FakeClock(), listen="http://127.0.0.1:1")
    state.last_reload = ReloadResult(True, 3.0, "ok")
    state.config_warnings.append("config.toml:2: unknown key 'x' (ignored)")
    state.counters.total = 2
    state.counters.finished(404)
    status = state.status()
    assert status["config_path"] is None
    assert status["listen"] == "http://127.0.0.1:1"
    assert status["last_reload"] == {"ok": True, "at": 3.0, "message": "ok"}
    assert status["config_warnings"] == ["config.toml:2: unknown key 'x' (ignored)"]
    assert status["requests"]["by_status"] == {"4xx": 1}
    status["config_warnings"].append("changed")
    assert len(state.config_warnings) == 1  # the status is a copy


def test_an_explicit_start_time_is_kept() -> None:
    state = DaemonState(settings=Settings(), clock=FakeClock(start=10.0), started_at=3.0)
    assert state.status()["uptime_seconds"] == 7.0


def test_the_masker_starts_with_the_settings_secrets() -> None:
    state = DaemonState(settings=Settings(api_keys=(CLIENT,)), clock=FakeClock())
    assert CLIENT not in state.masker.mask(f"key {CLIENT}")


def test_apply_swaps_settings_and_updates_the_masker() -> None:
    state = DaemonState(settings=Settings(api_keys=(CLIENT,)), clock=FakeClock())
    new = Settings(
        api_keys=("sk-other-key-000000000",),
        claude_api_key=(ProviderKeyEntry(api_key=PROVIDER),),
    )
    state.apply(new)
    assert state.settings is new
    masked = state.masker.mask(f"{PROVIDER} / {CLIENT}")
    assert PROVIDER not in masked
    # The provider key is now masked whole as a configured secret; the old client key is not
    # configured any more, so only the sk- pattern catches it (keeping its "sk-" prefix).
    assert masked == "sk-a…ghij / sk-clie…6789"
    assert state.masker.mask("x sk-other-key-000000000 x") == "x sk-o…0000 x"


def test_states_do_not_share_mutable_parts() -> None:
    a = DaemonState(settings=Settings(), clock=FakeClock())
    b = DaemonState(settings=Settings(), clock=FakeClock())
    a.counters.total = 5
    a.config_warnings.append("w")
    assert b.counters.total == 0
    assert b.config_warnings == []
    assert a.masker is not b.masker
    assert a.recent_logs is not b.recent_logs
