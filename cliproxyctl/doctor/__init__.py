"""`cliproxyctl doctor`: checks of the installation, the config, the files, the daemon, the
credentials and the network, each with a stable id, a status (ok, warn, fail), a message and a fix.

    report = run_doctor(DoctorEnv(paths, config_path, environ), fix=False)
    report.details()   # the `details` of the JSON envelope, described by schema.json

Modules: model (Check, Report), env (what a run looks at), probe (network and sockets), runner,
and one module per group of checks: system, configuration, paths, daemon, credentials, network.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from cliproxyctl.doctor.env import DoctorEnv, Snapshot
from cliproxyctl.doctor.model import CATALOGUE, Check, Fixed, Repaired, Report, Status
from cliproxyctl.doctor.probe import HttpProber, Prober, ProbeResult
from cliproxyctl.doctor.runner import GROUPS, run_checks, run_doctor

__all__ = [
    "CATALOGUE",
    "GROUPS",
    "Check",
    "DoctorEnv",
    "Fixed",
    "HttpProber",
    "ProbeResult",
    "Prober",
    "Repaired",
    "Report",
    "Snapshot",
    "Status",
    "load_schema",
    "run_checks",
    "run_doctor",
]


def load_schema() -> dict[str, Any]:
    """The JSON Schema of `cliproxyctl doctor --json` output (shipped as schema.json)."""
    text = resources.files(__name__).joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
