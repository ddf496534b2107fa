"""Routing and resilience through the real daemon: pools of credentials of one provider, all
pointing at ONE mock upstream with different API keys and serving the same public model, where
the mock fails chosen keys (tests/support/mock_upstream, `script_key`).

Covered: every kind of upstream failure moves the request on to the next credential; a cooled
credential is not called before its reset and is probed (and cleared) after it; a stream broken
after its first byte ends well-formed; everything cooling is a 429 model_cooldown in the caller's
shape; fallback chains; metrics, control /status and the CLI; least-busy under concurrency; and
cooldowns kept across a restart (save-cooldown-status).

The health layer is kept out of the way (a 1 s window, rates needing 1000 requests) so that one
test's failures do not steer the next test's picks; it has unit tests of its own.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.daemon import CLIENT_KEY, Sandbox, base_config, make_sandbox
from tests.support.mock_upstream import MockConfig, MockUpstream, RecordedRequest, run_mock
from tests.unit.formats.anthropic.wellformed import check_stream as check_anthropic
from tests.unit.formats.gemini.wellformed import check_stream as check_gemini
from tests.unit.formats.openai_chat.wellformed import check_stream as check_chat
from tests.unit.formats.openai_responses.wellformed import check_stream as check_responses

pytestmark = pytest.mark.integration

UPSTREAM_MODEL = "mock-model"  # what every pool's public model is an alias of
BROKEN_MODEL = "mock-reset"  # the mock's script: a few events, then a TCP reset
FIRST_BYTE_TIMEOUT = 1.0


@dataclass(frozen=True)
class Pool:
    """Credentials of one provider serving one public model, each with its own upstream key."""

    model: str
    section: str  # the config section, or "openai-compatibility/<name>"
    keys: tuple[str, ...]
    ids: tuple[str, ...]
    client: str  # the client API that speaks the provider's own format

    @property
    def size(self) -> int:
        return len(self.keys)


def _pool(model: str, section: str, tag: str, size: int, client: str, first: int = 0) -> Pool:
    keys = tuple(f"sk-{tag}-{i}" for i in range(size))
    if section.startswith("openai-compatibility/"):
        name = section.partition("/")[2]
        ids = tuple(f"openai-compatibility[{name}][{i}]" for i in range(size))
    else:
        ids = tuple(f"{section}[{first + i}]" for i in range(size))
    return Pool(model, section, keys, ids, client)


CLAUDE = _pool("pool-claude", "claude-api-key", "claude", 3, "anthropic")
FALLBACK_MAIN = _pool("fb-main", "claude-api-key", "fbmain", 2, "anthropic", first=3)
FALLBACK_BACKUP = _pool("fb-backup", "claude-api-key", "fbbackup", 1, "anthropic", first=5)
GEMINI = _pool("pool-gemini", "gemini-api-key", "gemini", 3, "gemini")
CODEX = _pool("pool-codex", "codex-api-key", "codex", 3, "responses")
CHAT = _pool("pool-chat", "openai-compatibility/chat", "chat", 3, "chat")
BUSY = _pool("pool-busy", "openai-compatibility/busy", "busy", 5, "chat")
POOLS = (CLAUDE, FALLBACK_MAIN, FALLBACK_BACKUP, GEMINI, CODEX, CHAT, BUSY)


def routing_config(mock_url: str) -> str:
    def models(pool: Pool) -> str:
        return (
            f'models = [{{name = "{UPSTREAM_MODEL}", alias = "{pool.model}"}}, '
            f'{{name = "{BROKEN_MODEL}", alias = "{pool.model}-reset"}}]\n'
        )

    bases = {
        "claude-api-key": mock_url,
        "gemini-api-key": mock_url,
        "codex-api-key": f"{mock_url}/v1",
    }
    sections: list[str] = []
    for pool in POOLS:
        if pool.section.startswith("openai-compatibility/"):
            entries = ", ".join(f'{{api-key = "{key}"}}' for key in pool.keys)
            sections.append(
                f'[[openai-compatibility]]\nname = "{pool.section.partition("/")[2]}"\n'
                f'base-url = "{mock_url}/v1"\napi-key-entries = [{entries}]\n{models(pool)}'
            )
        else:
            for key in pool.keys:
                sections.append(
                    f'[[{pool.section}]]\napi-key = "{key}"\n'
                    f'base-url = "{bases[pool.section]}"\n{models(pool)}'
                )
    return f"""request-retry = 3
max-retry-interval = 0
save-cooldown-status = true

[upstream-timeouts]
connect = 2
first-byte = {FIRST_BYTE_TIMEOUT}
non-stream = 5
idle = 5

[health-tracking]
window = "1s"
min-requests = 1000

[routing]
strategy = "least-busy"

[fallback-chains]
"{FALLBACK_MAIN.model}" = ["{FALLBACK_BACKUP.model}"]

""" + "\n".join(sections)


# ------------------------------------------------------------------------ client requests


def _chat(model: str, stream: bool, text: str) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": text}]}
    return "/v1/chat/completions", body | ({"stream": True} if stream else {})


def _responses(model: str, stream: bool, text: str) -> tuple[str, dict[str, Any]]:
    return "/v1/responses", {"model": model, "input": text, "stream": stream}


def _messages(model: str, stream: bool, text: str) -> tuple[str, dict[str, Any]]:
    body = {"model": model, "max_tokens": 32, "messages": [{"role": "user", "content": text}]}
    return "/v1/messages", body | {"stream": stream}


def _gemini(model: str, stream: bool, text: str) -> tuple[str, dict[str, Any]]:
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/v1beta/models/{model}:{action}", {"contents": [{"parts": [{"text": text}]}]}


REQUESTS: dict[str, Callable[[str, bool, str], tuple[str, dict[str, Any]]]] = {
    "chat": _chat,
    "responses": _responses,
    "anthropic": _messages,
    "gemini": _gemini,
}
STREAM_CHECKS: dict[str, Callable[[bytes], None]] = {
    "chat": check_chat,
    "responses": check_responses,
    "anthropic": check_anthropic,
    "gemini": check_gemini,
}


@dataclass
class Proxy:
    """The running daemon: its sandbox, and a client for its listen address."""

    box: Sandbox
    listen: str = ""
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.connect()

    def connect(self) -> None:
        self.listen = str(self.box.status()["listen"])
        self.http = httpx.Client(
            base_url=self.listen, headers={"authorization": f"Bearer {CLIENT_KEY}"}, timeout=20
        )

    def call(
        self, model: str, client: str, *, stream: bool = False, text: str = "hi"
    ) -> httpx.Response:
        path, body = REQUESTS[client](model, stream, text)
        return self.http.post(path, json=body)

    def ok(self, pool: Pool, *, client: str | None = None, stream: bool = False) -> None:
        """One request to `pool` that must succeed, served as the pool's model."""
        client = client or pool.client
        answer = self.call(pool.model, client, stream=stream)
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-cliproxy-model"] == pool.model
        if stream:
            STREAM_CHECKS[client](answer.content)
        else:
            assert b"echo: hi" in answer.content, answer.text

    def metrics(self) -> dict[str, dict[str, Any]]:
        """/v1/metrics/providers, by credential id."""
        answer = self.http.get("/v1/metrics/providers")
        assert answer.status_code == 200, answer.text
        return rows(answer.json()["providers"])

    def reset_all(self) -> None:
        with self.box.control() as control:
            assert control.post("/reset-quota", json={}).status_code == 200


def rows(providers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for provider in providers for row in provider["credentials"]}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockUpstream]:
    keys = tuple(key for pool in POOLS for key in pool.keys)
    with run_mock(MockConfig(api_keys=keys)) as upstream:
        yield upstream


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, mock: MockUpstream) -> Iterator[Proxy]:
    for box in make_sandbox(tmp_path_factory.mktemp("routing")):
        box.write_config(base_config(extra=routing_config(mock.base_url)))
        started = box.cli("start")
        assert started.returncode == 0, started.stderr
        running = Proxy(box)
        try:
            yield running
        finally:
            running.http.close()


@pytest.fixture(autouse=True)
def fresh(proxy: Proxy, mock: MockUpstream) -> Iterator[None]:
    mock.clear_scripts()
    proxy.reset_all()
    mock.clear()
    yield
    mock.clear_scripts()


def calls(mock: MockUpstream, key: str) -> list[RecordedRequest]:
    return [r for r in mock.requests if r.api_key == key]


def hit(proxy: Proxy, mock: MockUpstream, pool: Pool, key: str, *, stream: bool = False) -> None:
    """Send successful requests until the (scripted) `key` has had one more, and only one."""
    before = len(calls(mock, key))
    for _ in range(pool.size + 1):
        proxy.ok(pool, stream=stream)
        if len(calls(mock, key)) > before:
            break
    assert len(calls(mock, key)) == before + 1, mock.by_key()
    assert calls(mock, key)[-1].keyed, "the request met the key's script"


def not_called_again(proxy: Proxy, mock: MockUpstream, pool: Pool, key: str) -> None:
    for _ in range(2 * pool.size):
        proxy.ok(pool)
    assert len(calls(mock, key)) == 1, mock.by_key()


def cooling(proxy: Proxy, credential: str) -> dict[str, Any]:
    row = proxy.metrics()[credential]
    assert row["state"] == "cooldown", row
    assert len(row["cooling"]) == 1, row
    entry: dict[str, Any] = row["cooling"][0]
    return entry


def probe_after_reset(proxy: Proxy, mock: MockUpstream, pool: Pool, key: str, until: float) -> None:
    """Once `until` has passed, the next requests reach the key again; its success clears it."""
    mock.clear_scripts(key)
    wait = until - time.time()
    assert wait < 4, "the hint was meant to be short"
    time.sleep(max(0.0, wait) + 0.1)
    for _ in range(pool.size + 1):
        proxy.ok(pool)
        if len(calls(mock, key)) == 2:
            break
    probe = calls(mock, key)
    assert len(probe) == 2 and probe[1].status == 200, mock.by_key()
    assert proxy.metrics()[pool.ids[pool.keys.index(key)]]["cooling"] == []


# ------------------------------------------------------------------------ 429 and reset hints


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(time.time() + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


OPENAI_429 = {"error": {"message": "Rate limit reached.", "type": "requests", "code": None}}


@dataclass(frozen=True)
class Hint:
    pool: Pool
    scope: str  # the model the cooldown is for ("*": the whole credential)
    script: Callable[[], dict[str, Any]]  # script_key keyword arguments, built when used


HINTS = {
    "retry-after": Hint(
        CHAT, UPSTREAM_MODEL, lambda: {"body": OPENAI_429, "headers": {"Retry-After": "2"}}
    ),
    "openai-x-ratelimit-reset": Hint(
        CHAT,
        UPSTREAM_MODEL,
        lambda: {
            "body": OPENAI_429,
            "headers": {
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "2s",
                "x-ratelimit-remaining-tokens": "9000",
                "x-ratelimit-reset-tokens": "1m",  # not exhausted: not the binding limit
            },
        },
    ),
    "anthropic-ratelimit-reset": Hint(
        CLAUDE,
        UPSTREAM_MODEL,
        # The builder's headers, without its Retry-After: the reset stamps decide.
        lambda: {"retry_after": 3, "headers": {"retry-after": ""}},
    ),
    "gemini-retryinfo": Hint(
        GEMINI,
        UPSTREAM_MODEL,
        lambda: {
            "body": {
                "error": {
                    "code": 429,
                    "message": "Resource has been exhausted (e.g. check quota).",
                    "status": "RESOURCE_EXHAUSTED",
                    "details": [
                        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}
                    ],
                }
            }
        },
    ),
    "codex-resets-in-seconds": Hint(
        CODEX,
        "*",  # a usage limit is the account's: every model cools
        lambda: {
            "body": {
                "error": {
                    "type": "usage_limit_reached",
                    "message": "The usage limit has been reached",
                    "plan_type": "plus",
                    "resets_in_seconds": 2,
                }
            }
        },
    ),
}


@pytest.mark.parametrize("name", list(HINTS))
def test_a_429_moves_on_and_the_credential_rests_exactly_as_long_as_the_hint_says(
    proxy: Proxy, mock: MockUpstream, name: str
) -> None:
    hint = HINTS[name]
    pool = hint.pool
    key, credential = pool.keys[0], pool.ids[0]
    mock.script_key(key, 429, **hint.script())  # each carries only the hint under test
    hit(proxy, mock, pool, key)
    assert calls(mock, key)[0].status == 429
    entry = cooling(proxy, credential)
    assert entry["model"] == hint.scope
    assert entry["reason"].startswith("429")
    left = entry["until"] - time.time()
    assert 1.2 < left <= 3.0, entry  # the hint, not the 1 s backoff of a 429 without one
    not_called_again(proxy, mock, pool, key)
    probe_after_reset(proxy, mock, pool, key, entry["until"])


# ------------------------------------------------------------------------ other failures


@dataclass(frozen=True)
class Kind:
    script: dict[str, Any]
    scope: str
    kind: str
    reason: str
    stream: bool = False


KINDS = {
    "403": Kind({"status": 403}, "*", "forbidden", "403 permission_error"),
    "404": Kind({"status": 404}, UPSTREAM_MODEL, "model_unsupported", "404 not_found_error"),
    "500": Kind({"status": 500}, UPSTREAM_MODEL, "transient", "500 api_error"),
    "connection-reset": Kind({"mode": "reset"}, UPSTREAM_MODEL, "transient", "reset:", True),
    "stalled-first-byte": Kind({"mode": "stall"}, UPSTREAM_MODEL, "transient", "timeout:", True),
    "401": Kind({"status": 401}, "*", "auth", "401 authentication_error"),  # last: it errors
}


@pytest.mark.parametrize("name", list(KINDS))
def test_a_failing_credential_is_passed_over_and_not_called_again(
    proxy: Proxy, mock: MockUpstream, name: str
) -> None:
    case = KINDS[name]
    key, credential = CLAUDE.keys[1], CLAUDE.ids[1]
    mock.script_key(key, **case.script)
    started = time.monotonic()
    hit(proxy, mock, CLAUDE, key, stream=case.stream)
    if name == "stalled-first-byte":
        assert calls(mock, key)[0].disconnected  # the daemon gave up on it...
        assert time.monotonic() - started < FIRST_BYTE_TIMEOUT + 3  # ...at its first-byte limit
    entry = cooling(proxy, credential)
    assert (entry["model"], entry["kind"]) == (case.scope, case.kind)
    assert entry["reason"].startswith(case.reason), entry
    not_called_again(proxy, mock, CLAUDE, key)


# ------------------------------------------------------------------------ after the first byte


@pytest.mark.parametrize("client", list(REQUESTS))
def test_a_stream_broken_mid_way_ends_well_formed_and_is_not_retried(
    proxy: Proxy, mock: MockUpstream, client: str
) -> None:
    answer = proxy.call(f"{CLAUDE.model}-reset", client, stream=True)
    assert answer.status_code == 200
    STREAM_CHECKS[client](answer.content)
    assert b"error" in answer.content  # it ends with the format's error event
    assert [r.model for r in mock.requests] == [BROKEN_MODEL]  # no silent retry


# ------------------------------------------------------------------------ nothing left


def test_every_credential_cooling_is_a_429_model_cooldown_in_the_callers_shape(
    proxy: Proxy, mock: MockUpstream
) -> None:
    for key in GEMINI.keys:
        mock.script_key(key, 429, retry_after=30)
    first = proxy.call(GEMINI.model, "gemini")
    assert first.status_code == 429  # this request met the upstream's own 429s
    assert mock.by_key() == dict.fromkeys(GEMINI.keys, 1)
    mock.clear()
    for client in REQUESTS:
        answer = proxy.call(GEMINI.model, client)
        assert answer.status_code == 429, answer.text
        assert 25 <= int(answer.headers["retry-after"]) <= 30
        body = answer.json()
        if client in ("chat", "responses"):
            assert body["error"]["code"] == "model_cooldown"
            message = body["error"]["message"]
        elif client == "anthropic":
            assert body["type"] == "error"
            assert body["error"]["type"] == "rate_limit_error"
            message = body["error"]["message"]
        else:
            assert body["error"]["status"] == "RESOURCE_EXHAUSTED"
            assert body["error"]["details"][0]["retryDelay"].endswith("s")
            message = body["error"]["message"]
        assert GEMINI.model in message and "(gemini)" in message and "cooling down" in message
    assert mock.requests == []  # nobody was called
    every = proxy.metrics()
    assert all(every[c]["state"] == "cooldown" for c in GEMINI.ids)


def test_a_fallback_chain_serves_another_model_and_says_which(
    proxy: Proxy, mock: MockUpstream
) -> None:
    proxy.ok(FALLBACK_MAIN)  # while it serves, the model itself answers
    for key in FALLBACK_MAIN.keys:
        mock.script_key(key, 429, retry_after=30)
    mock.clear()
    for _ in range(2):
        answer = proxy.call(FALLBACK_MAIN.model, "anthropic")
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-cliproxy-model"] == FALLBACK_BACKUP.model
        assert b"echo: hi" in answer.content
    # The first request tried both credentials of the model; the second went straight on.
    assert mock.by_key() == {**dict.fromkeys(FALLBACK_MAIN.keys, 1), FALLBACK_BACKUP.keys[0]: 2}


# ------------------------------------------------------------------------ visibility


def test_metrics_status_and_the_cli_show_a_cooling_credential_and_reset_clears_it(
    proxy: Proxy, mock: MockUpstream
) -> None:
    key, credential = CLAUDE.keys[0], CLAUDE.ids[0]
    mock.script_key(key, 401)
    hit(proxy, mock, CLAUDE, key)
    mock.clear_scripts(key)  # from here on only the cooldown keeps it out
    assert httpx.get(f"{proxy.listen}/v1/metrics/providers").status_code == 401  # key needed
    raw = proxy.http.get("/v1/metrics/providers")
    assert key not in raw.text
    entry = cooling(proxy, credential)
    assert entry["kind"] == "auth" and entry["model"] == "*"
    assert 1700 < entry["until"] - time.time() <= 1800
    assert entry["reason"].startswith("401")
    row = proxy.metrics()[credential]
    assert row["requests"] >= 1 and row["failures"] >= 1

    status = rows(proxy.box.status()["providers"])[credential]
    assert status["state"] == "cooldown"
    assert [{**c, "seconds_left": 0} for c in status["cooling"]] == [
        {**c, "seconds_left": 0} for c in row["cooling"]
    ]
    shown = proxy.box.cli("status")
    assert shown.returncode == 0, shown.stderr
    line = next(line for line in shown.stdout.splitlines() if credential in line)
    assert "cooldown" in line and "401" in line
    as_json = json.loads(proxy.box.cli("status", "--json").stdout)
    assert rows(as_json["details"]["providers"])[credential]["state"] == "cooldown"

    cleared = proxy.box.cli("auth", "reset", credential, "--json")
    assert cleared.returncode == 0, cleared.stderr
    doc = json.loads(cleared.stdout)
    assert doc["ok"] is True and doc["command"] == "auth reset"
    assert doc["details"] == {"cleared": 1, "credential": credential}
    assert proxy.metrics()[credential]["cooling"] == []

    unknown = proxy.box.cli("auth", "reset", "claude-api-key[99]", "--json")
    assert unknown.returncode == 1
    assert "no credential 'claude-api-key[99]'" in json.loads(unknown.stdout)["details"]["error"]
    mock.clear()
    mock.script_key(CLAUDE.keys[2], 500)
    hit(proxy, mock, CLAUDE, CLAUDE.keys[2])
    everything = proxy.box.cli("auth", "reset", "--all")
    assert everything.returncode == 0, everything.stderr
    assert "cleared 1 cooldown(s) of every credential" in everything.stdout
    assert all(row["cooling"] == [] for row in proxy.metrics().values())


# ------------------------------------------------------------------------ concurrency


async def _post_all(proxy: Proxy, texts: list[str], spacing: float = 0.0) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        base_url=proxy.listen,
        headers={"authorization": f"Bearer {CLIENT_KEY}"},
        timeout=20,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
    ) as client:
        tasks = []
        for text in texts:
            path, body = _chat(BUSY.model, False, text)
            tasks.append(asyncio.ensure_future(client.post(path, json=body)))
            if spacing:
                await asyncio.sleep(spacing)
        return list(await asyncio.gather(*tasks))


def _sent_text(record: RecordedRequest) -> str:
    messages = record.body["messages"]
    text: str = messages[-1]["content"]
    return text


def test_least_busy_spreads_50_concurrent_requests_evenly_losing_none(
    proxy: Proxy, mock: MockUpstream
) -> None:
    for key in BUSY.keys:
        mock.script_key(key, mode="ok", delay=0.2)  # slow enough for all to overlap
    texts = [f"request-{n:02d}" for n in range(50)]
    answers = asyncio.run(_post_all(proxy, texts))
    for text, answer in zip(texts, answers, strict=True):
        assert answer.status_code == 200, answer.text
        assert answer.json()["choices"][0]["message"]["content"] == f"echo: {text}"
    per_key = mock.by_key()
    assert sum(per_key.values()) == 50 and set(per_key) == set(BUSY.keys)
    assert all(8 <= count <= 12 for count in per_key.values()), per_key
    per_request = Counter(_sent_text(r) for r in mock.requests)
    assert per_request == dict.fromkeys(texts, 1)  # none lost, none sent twice


def test_least_busy_counts_a_request_waiting_for_its_answer_as_busy(
    proxy: Proxy, mock: MockUpstream
) -> None:
    slow = BUSY.keys[0]
    mock.script_key(slow, mode="ok", delay=1.5)  # a non-stream answer: headers come last
    texts = [f"staggered-{n:02d}" for n in range(20)]
    answers = asyncio.run(_post_all(proxy, texts, spacing=0.04))
    assert all(answer.status_code == 200 for answer in answers)
    per_key = mock.by_key()
    assert per_key[slow] == 1, per_key  # busy all the while the others were used
    assert sum(per_key.values()) == 20


# ------------------------------------------------------------------------ across a restart


def test_a_cooldown_survives_a_restart_with_save_cooldown_status(
    proxy: Proxy, mock: MockUpstream
) -> None:
    key, credential = CLAUDE.keys[2], CLAUDE.ids[2]
    mock.script_key(key, 403)
    hit(proxy, mock, CLAUDE, key)
    before = cooling(proxy, credential)
    pid = proxy.box.status()["pid"]
    restarted = proxy.box.cli("restart", "--json")
    assert restarted.returncode == 0, restarted.stderr
    proxy.http.close()
    proxy.connect()
    assert proxy.box.status()["pid"] != pid
    after = cooling(proxy, credential)
    assert after["until"] == pytest.approx(before["until"], abs=0.01)
    assert (after["reason"], after["kind"], after["model"]) == (
        before["reason"],
        "forbidden",
        "*",
    )
    not_called_again(proxy, mock, CLAUDE, key)
