"""One cheap upstream call per provider key, to catch a mistyped key before it is saved.

Each check lists the models (free, and what every key may do), except Vertex express mode,
which has no list call for API keys: there it counts the tokens of one word (also free).
A failure is a warning: the user decides whether to keep the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from cliproxyctl.wizard.answers import COMPAT, ProviderAnswer
from daemon.config.known import ENV_PREFIX
from daemon.providers import claude, codex, gemini, vertex

DEFAULT_TIMEOUT = 6.0
VERTEX_PROBE_MODEL = "gemini-2.5-flash"


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: str  # "ok", "failed" or "skipped"
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True, slots=True)
class Probe:
    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any] | None = None


def probe_for(answer: ProviderAnswer, key: str) -> Probe:
    """The request that checks *key* for the provider of *answer*."""
    if answer.family == "claude":
        headers = {"x-api-key": key, "anthropic-version": claude.DEFAULT_VERSION}
        return Probe("GET", f"{claude.DEFAULT_BASE_URL}/v1/models?limit=1", headers)
    if answer.family == "gemini":
        url = f"{gemini.DEFAULT_BASE_URL}/{gemini.API_VERSION}/models?pageSize=1"
        return Probe("GET", url, {"x-goog-api-key": key})
    if answer.family == "vertex":
        url = (
            f"{vertex.DEFAULT_BASE_URL}/{vertex.API_VERSION}/publishers/google/models/"
            f"{VERTEX_PROBE_MODEL}:countTokens"
        )
        body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
        return Probe("POST", url, {"x-goog-api-key": key}, body)
    if answer.family == "codex":
        return Probe("GET", f"{codex.DEFAULT_BASE_URL}/models", {"authorization": f"Bearer {key}"})
    if answer.family == COMPAT and answer.base_url:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return Probe("GET", f"{answer.base_url.rstrip('/')}/models", headers)
    raise ValueError(f"no check for provider family {answer.family!r}")


def check_key(
    answer: ProviderAnswer,
    environ: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> CheckResult:
    """Check the key of *answer* with one request; never raises for an upstream problem."""
    key = answer.api_key
    if key.startswith(ENV_PREFIX):
        name = key[len(ENV_PREFIX) :]
        if not environ.get(name):
            return CheckResult("skipped", f"not checked: ${name} is not set here")
        key = environ[name]
    probe = probe_for(answer, key)
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.request(
                probe.method, probe.url, headers=probe.headers, json=probe.json
            )
    except httpx.TimeoutException:
        return CheckResult("failed", f"no answer from {_host(probe.url)} within {timeout:g}s")
    except httpx.HTTPError as error:
        return CheckResult("failed", f"could not reach {_host(probe.url)}: {error}")
    if response.is_success:
        return CheckResult("ok", "key accepted" + _count(response))
    return CheckResult(
        "failed", f"{_host(probe.url)} answered HTTP {response.status_code}{_reason(response)}"
    )


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def _count(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    models = data.get("data", data.get("models")) if isinstance(data, dict) else None
    if isinstance(models, list) and len(models) > 1:
        return f" ({len(models)} models listed)"
    return ""


def _reason(response: httpx.Response) -> str:
    """The upstream's own error message, short, when it gave one."""
    try:
        data = response.json()
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    if not isinstance(message, str) or not message.strip():
        return ""
    message = " ".join(message.split())
    return ": " + (message if len(message) <= 160 else message[:157] + "…")
