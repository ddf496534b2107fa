"""Check, Report and the id catalogue."""

from __future__ import annotations

from pathlib import Path

from jsonschema import Draft202012Validator

from cliproxyctl.doctor import load_schema
from cliproxyctl.doctor.model import (
    CATALOGUE,
    Check,
    Fixed,
    Repaired,
    Report,
    Status,
    fail,
    ok,
    skipped,
    warn,
    worst,
)
from tests.support.doctor import assert_valid


def test_worst_ranks_fail_over_warn_over_ok() -> None:
    assert worst([]) is Status.OK
    assert worst([Status.OK, Status.WARN]) is Status.WARN
    assert worst([Status.WARN, Status.FAIL, Status.OK]) is Status.FAIL


def test_as_dict_has_every_field_and_data_only_when_set() -> None:
    plain = warn("config.valid", "hmm", "do this").as_dict()
    assert plain == {
        "id": "config.valid",
        "status": "warn",
        "message": "hmm",
        "fix": "do this",
        "subject": None,
        "skipped": False,
    }
    assert ok("python.packages", "fine", data={"typer": "1"}).as_dict()["data"] == {"typer": "1"}


def test_skipped_is_ok_and_says_why() -> None:
    check = skipped("daemon.version", "the daemon is not running")
    assert check.status is Status.OK and check.skipped
    assert check.message == "skipped: the daemon is not running"


def test_repairs_stay_out_of_equality_and_json() -> None:
    repaired = Check("x.y", Status.FAIL, "m", repair=lambda: Repaired("done"))
    assert repaired == Check("x.y", Status.FAIL, "m")
    assert "repair" not in repaired.as_dict()


def test_report_counts_and_strictness() -> None:
    report = Report([ok("a.b", "1"), warn("a.c", "2"), ok("a.d", "3")])
    assert report.summary() == {"ok": 2, "warn": 1, "fail": 0}
    assert not report.failed()
    assert report.failed(strict=True)
    report.checks.append(fail("a.e", "4"))
    assert report.failed()


def test_details_validate_against_the_schema() -> None:
    report = Report([ok("a.b", "1"), fail("credentials.file", "x", "y", subject="f.json")])
    report.fixed.append(Fixed("paths.auth_dir", "/tmp/x", "chmod 0700 /tmp/x"))
    report.secrets.append("sk-never-shown")
    details = report.details(strict=True)
    assert details["strict"] is True and details["summary"]["fail"] == 1
    assert "sk-never-shown" not in str(details)
    document = {
        "schema_version": "cliproxyctl.response.v1",
        "command": "doctor",
        "ok": False,
        "timestamp": "2026-01-01T00:00:00Z",
        "details": details,
    }
    assert_valid(document)


def test_catalogue_ids_follow_the_schema_pattern() -> None:
    for id in CATALOGUE:
        assert id.count(".") == 1 and id == id.lower(), id


def test_the_readme_lists_every_check_id() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    missing = [id for id in CATALOGUE if f"`{id}`" not in readme]
    assert not missing, missing


def test_the_shipped_schema_is_a_valid_json_schema() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["command"] == {"const": "doctor"}
