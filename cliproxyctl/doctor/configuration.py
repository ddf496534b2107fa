"""config.found, config.valid, client.keys: the config file and the keys clients must send."""

from __future__ import annotations

import ipaddress

from cliproxyctl.doctor.env import Snapshot
from cliproxyctl.doctor.model import Check, Repaired, fail, ok, skipped, warn
from daemon.bootstrap import ensure_config
from daemon.config import EXAMPLE_API_KEYS

MIN_KEY_LENGTH = 16
NEW_KEY_HINT = (
    "cliproxyctl setup generates one, or: "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
)


def checks(snap: Snapshot) -> list[Check]:
    return [config_found(snap), config_valid(snap), client_keys(snap)]


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def config_found(snap: Snapshot) -> Check:
    path = snap.env.config_path
    if snap.config.exists:
        return ok("config.found", str(path))

    def create() -> Repaired:
        key = ensure_config(path)
        if key is None:
            return Repaired(f"{path} appeared meanwhile; left it alone")
        return Repaired(f"created {path} from the commented template with a new client key", key)

    return fail(
        "config.found",
        f"no config file at {path}",
        "run `cliproxyctl doctor --fix` (or `cliproxyctl start`) to write a commented one "
        "with a new client key",
        repair=create,
    )


def config_valid(snap: Snapshot) -> Check:
    state = snap.config
    if not state.exists:
        return skipped("config.valid", "no config file")
    if state.error is not None:
        return fail(
            "config.valid",
            state.error,
            "correct the file; `cliproxyctl config validate` shows the same finding",
        )
    assert state.loaded is not None
    findings = state.loaded.warnings
    if findings:
        return warn(
            "config.valid",
            f"{len(findings)} finding(s) that strict mode refuses: " + "; ".join(findings),
            "remove or correct these keys (`cliproxyctl config validate --strict` lists them)",
            data={"warnings": list(findings)},
        )
    return ok("config.valid", "valid (strict mode has nothing to add)")


def client_keys(snap: Snapshot) -> Check:
    state = snap.config
    if not state.exists:
        return skipped("client.keys", "no config file")
    settings = snap.settings
    if settings is None:
        return skipped("client.keys", "the config file does not load")
    keys = settings.api_keys
    examples = sorted(key for key in keys if key in EXAMPLE_API_KEYS)
    if examples:
        return fail(
            "client.keys",
            "api-keys still holds the sample file's example key(s) "
            + ", ".join(examples)
            + ": every proxy route answers 403 until they are replaced",
            f"replace them with a key of your own ({NEW_KEY_HINT})",
        )
    if not keys:
        if not is_loopback(settings.host):
            return fail(
                "client.keys",
                f"no api-keys, and host {settings.host} is not loopback: the daemon refuses "
                "to start this way",
                f"add a key under api-keys ({NEW_KEY_HINT}) or listen on 127.0.0.1",
            )
        return warn(
            "client.keys",
            "no api-keys: any program on this machine can use the proxy",
            f"add a key under api-keys ({NEW_KEY_HINT})",
        )
    short = [key for key in keys if len(key) < MIN_KEY_LENGTH]
    if short:
        return warn(
            "client.keys",
            f"{len(short)} of {len(keys)} client key(s) shorter than {MIN_KEY_LENGTH} characters",
            f"use long random keys ({NEW_KEY_HINT})",
        )
    return ok("client.keys", f"{len(keys)} client key(s) configured")
