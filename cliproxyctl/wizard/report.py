"""What setup reports: the secrets to mask, and the details of the JSON envelope."""

from __future__ import annotations

import tomllib
from typing import Any

from cliproxyctl.render import mask, redact
from cliproxyctl.tomledit import current_values, parse
from cliproxyctl.wizard.answers import Answers, ProviderAnswer
from cliproxyctl.wizard.clients import client_howtos, proxy_base_url
from cliproxyctl.wizard.configfile import ConfigChange
from cliproxyctl.wizard.keycheck import CheckResult
from daemon.config.known import ENV_PREFIX
from daemon.config.model import proxy_password

_SECRET_KEYS = ("api-key", "api-keys", "secret-key")


def setup_secrets(change: ConfigChange, answers: Answers) -> set[str]:
    """Every key and password in the old and new text and the answers (never shown whole)."""
    found = {p.api_key for p in answers.providers}
    found.add(answers.new_client_key or "")
    for text in (change.old_text or "", change.new_text):
        found |= _file_secrets(text)
    return {s for s in found if s and not s.startswith(ENV_PREFIX)}


def _file_secrets(text: str) -> set[str]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return set()
    found: set[str] = set()

    def walk(value: object, key: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, str(name))
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str):
            if key.endswith(_SECRET_KEYS):
                found.add(value)
            elif key.endswith("url"):
                found.add(proxy_password(value))

    walk(data, "")
    return found


def howto_key(change: ConfigChange, answers: Answers) -> str:
    """The client key the how-to snippets use: the new one, else the file's first one."""
    if answers.new_client_key:
        return answers.new_client_key
    keys = current_values(parse(change.new_text)).api_keys
    key = keys[0] if keys else "<client key>"
    if key.startswith(ENV_PREFIX):
        return "$" + key.removeprefix(ENV_PREFIX)
    return key


def setup_details(
    change: ConfigChange,
    answers: Answers,
    checks: dict[ProviderAnswer, CheckResult],
    *,
    written: bool,
    dry_run: bool,
    service: dict[str, Any] | None,
    secrets: set[str],
) -> dict[str, Any]:
    """The ``details`` of setup's JSON envelope, every secret masked."""
    base_url = proxy_base_url(answers.host, answers.port)
    details: dict[str, Any] = {
        "path": str(change.path),
        "created": change.created and written,
        "changed": change.changed,
        "written": written,
        "dry_run": dry_run,
        "changes": change.changes,
        "warnings": change.warnings,
        "host": answers.host,
        "port": answers.port,
        "base_url": base_url,
        "client_key": {
            "added": answers.new_client_key is not None,
            "generated": answers.generated,
            "key": mask(answers.new_client_key) if answers.new_client_key else None,
        },
        "providers": [_provider(p, checks.get(p)) for p in answers.providers],
        "strategy": answers.strategy,
        "service": service,
        "clients": [
            {"client": h.client, "where": h.where, "snippet": h.snippet}
            for h in client_howtos(base_url, howto_key(change, answers))
        ],
    }
    masked: dict[str, Any] = redact(details, secrets)
    return masked


def _provider(answer: ProviderAnswer, check: CheckResult | None) -> dict[str, Any]:
    return {
        "family": answer.family,
        "name": answer.name,
        "base_url": answer.base_url,
        "api_key": mask(answer.api_key) if answer.api_key else None,
        "check": None if check is None else {"status": check.status, "message": check.message},
    }
