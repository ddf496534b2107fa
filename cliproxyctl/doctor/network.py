"""providers.reachable: every configured provider base URL answers over HTTP (any status).

One check per distinct (URL, proxy); probes run in parallel, each within the run's timeout, through
the proxy the daemon would use. `--offline` skips them all.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Check, fail, ok, skipped
from cliproxyctl.doctor.probe import ProbeResult
from daemon.config.model import proxy_password

ID = "providers.reachable"
MAX_PARALLEL = 8


def _masked(proxy: str) -> str:
    secret = proxy_password(proxy)
    return proxy.replace(secret, "****") if secret else proxy


def targets(snap: Snapshot) -> list[tuple[str, str | None, list[str]]] | Check:
    """(base URL, proxy or None, credential ids) to probe, or the Check that says why not."""
    if snap.env.offline:
        return skipped(ID, "offline (--offline)")
    settings = snap.settings
    if settings is None:
        return skipped(ID, "the config file does not load")
    from daemon.providers import credentials_from_settings

    try:
        credentials = credentials_from_settings(settings)
    except ValueError as error:
        return fail(ID, str(error), "set `base-url` on that openai-compatibility entry")
    found: dict[tuple[str, str | None], list[str]] = {}
    for credential in credentials:
        proxy = credential.proxy_url if credential.proxy_url is not None else settings.proxy_url
        proxy = None if proxy in (None, "", "direct") else proxy
        found.setdefault((credential.base_url, proxy), []).append(credential.id)
    if not found:
        return ok(ID, "no API-key providers configured")
    return [(url, proxy, ids) for (url, proxy), ids in found.items()]


def checks(snap: Snapshot) -> list[Check]:
    planned = targets(snap)
    if isinstance(planned, Check):
        return [planned]
    timeout = snap.env.timeout
    prober = snap.env.prober
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(planned))) as pool:
        results = list(pool.map(lambda t: prober.probe(t[0], timeout, t[1]), planned))
    return [
        _check(url, proxy, ids, result)
        for (url, proxy, ids), result in zip(planned, results, strict=True)
    ]


def _check(url: str, proxy: str | None, ids: list[str], result: ProbeResult) -> Check:
    via = f" via {_masked(proxy)}" if proxy else ""
    used_by = ", ".join(ids)
    data = {"credentials": ids, "proxy": _masked(proxy) if proxy else None}
    if result.reachable:
        return ok(ID, f"{url}{via} answers ({result.detail})", subject=url, data=data)
    if not result.resolvable:
        return fail(
            ID,
            f"{url}: {result.detail} (used by {used_by})",
            "check the base-url and this machine's DNS",
            subject=url,
            data=data,
        )
    return fail(
        ID,
        f"{url}{via} is unreachable: {result.detail} (used by {used_by})",
        "check the base-url, the network and any proxy-url; `--offline` skips this check",
        subject=url,
        data=data,
    )
