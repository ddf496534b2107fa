"""What the router knows about each credential, as plain data for /v1/metrics/providers,
the control /status and `cliproxyctl status`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from daemon.masking import mask_secret
from daemon.providers.base import Credential
from daemon.routing.router import Router


def provider_metrics(router: Router, credentials: Sequence[Credential]) -> list[dict[str, Any]]:
    """One row per provider (family and entry), each with its credentials' state."""
    now = router.clock.time()
    cooling: dict[str, list[dict[str, Any]]] = {}
    for entry in router.cooldowns.snapshot():
        cooling.setdefault(entry.credential, []).append(
            {
                "model": entry.model,
                "until": entry.until,
                "seconds_left": max(0.0, round(entry.until - now, 1)),
                "reason": entry.reason,
                "kind": str(entry.kind),
            }
        )
    providers: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for credential in credentials:
        requests, failures = router.health.counts(credential.id)
        cools = cooling.get(credential.id, [])
        active = any(c["seconds_left"] > 0 for c in cools)
        row = {
            "id": credential.id,
            "key": mask_secret(credential.api_key) if credential.api_key else None,
            "state": str(router.health.state(credential.id, cooling=active)),
            "priority": credential.priority,
            "weight": credential.weight,
            "in_flight": router.in_flight.get(credential.id),
            "requests": requests,
            "failures": failures,
            "p50_ms": _round(router.health.p50_ms(credential.id)),
            "p95_ms": _round(router.health.p95_ms(credential.id)),
            "cooling": cools,
        }
        providers.setdefault((credential.family, credential.owner), []).append(row)
    return [
        {"provider": owner or family, "family": family, "credentials": rows}
        for (family, owner), rows in providers.items()
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
