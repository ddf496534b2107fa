"""daemon.dataplane.attempts.AttemptLoop: retries before the first byte, cooldown waits, fallback
chains and their bounds, against the real router and a scripted in-memory upstream pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

import aiohttp
import orjson
import pytest

from daemon.asgi import Message
from daemon.clock import SystemClock
from daemon.config import Settings
from daemon.dataplane.attempts import AttemptLoop, Budget, Opened, Prepared
from daemon.dataplane.upstream import UpstreamPool, UpstreamTimeout, UpstreamUnreachable
from daemon.dataplane.watch import ClientWatch
from daemon.errors import ModelCooldown, UpstreamFailed, render_error
from daemon.formats.base import codec_for
from daemon.model import WireFormat
from daemon.providers.base import Credential, UpstreamRequest
from daemon.routing.registry import ModelRegistry, Resolution, Target
from daemon.routing.router import Router
from daemon.routing.types import ALL_MODELS
from daemon.state.memory import MemoryStore

UPSTREAM = "up-model"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Outcome:
    """One scripted answer: a status (headers, body), or an exception; after `delay` seconds."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b"{}"
    error: BaseException | None = None
    delay: float = 0.0


class FakeResponse:
    def __init__(self, outcome: Outcome) -> None:
        self.status = outcome.status
        self.headers = dict(outcome.headers)
        self.body = outcome.body
        self.closed = False

    def close(self) -> None:
        self.closed = True


def anthropic_error(status: int, kind: str, message: str = "scripted") -> bytes:
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})


RATE_LIMITED = Outcome(429, {"retry-after": "30"}, anthropic_error(429, "rate_limit_error"))
UNAUTHORIZED = Outcome(401, {}, anthropic_error(401, "authentication_error"))
SERVER_ERROR = Outcome(500, {}, anthropic_error(500, "api_error"))
BAD_REQUEST = Outcome(400, {}, anthropic_error(400, "invalid_request_error", "bad field"))


class FakePool(UpstreamPool):
    """Answers per credential (the `key` header) from a queue of outcomes; 200 when empty."""

    def __init__(self) -> None:
        super().__init__()
        self.script: dict[str, list[Outcome]] = {}
        self.calls: list[str] = []
        self.responses: list[FakeResponse] = []
        self.in_flight_seen: list[int] = []
        self.router: Router | None = None

    def answer(self, credential: str, *outcomes: Outcome) -> None:
        self.script.setdefault(credential, []).extend(outcomes)

    async def open(self, request: UpstreamRequest, proxy_url: str | None) -> aiohttp.ClientResponse:
        credential = request.headers["credential"]
        self.calls.append(credential)
        if self.router is not None:
            self.in_flight_seen.append(self.router.in_flight.get(credential))
        queue = self.script.get(credential) or []
        outcome = queue.pop(0) if queue else Outcome()
        if outcome.delay:
            await asyncio.sleep(outcome.delay)
        if outcome.error is not None:
            raise outcome.error
        response = FakeResponse(outcome)
        self.responses.append(response)
        return cast(aiohttp.ClientResponse, response)

    async def read_body(self, response: aiohttp.ClientResponse, limit: int) -> bytes:
        return cast(FakeResponse, response).body


def credential(index: int, model: str = "pool") -> Credential:
    return Credential(
        id=f"claude-api-key[{index}]",
        family="claude",
        api_key=f"sk-{index}",
        base_url="http://127.0.0.1:9",
        models=((model, UPSTREAM),),
    )


@dataclass
class Harness:
    loop: AttemptLoop
    pool: FakePool
    router: Router
    registry: ModelRegistry

    def resolve(self, model: str = "pool") -> Resolution:
        return self.registry.resolve(model)

    async def open(
        self,
        model: str = "pool",
        *,
        attempts: int = 4,
        credentials: int = 0,
        max_wait: float = 1.0,
    ) -> Opened:
        budget = Budget(attempts=attempts, credentials=credentials, max_wait=max_wait)
        return await self.loop.open(self.resolve(model), prepare, budget, None)

    def cooling(self, index: int, model: str = UPSTREAM) -> bool:
        state = self.router.cooldowns.availability(f"claude-api-key[{index}]", model, claim=False)
        return not state.available


def harness(*credentials: Credential, chains: dict[str, tuple[str, ...]] | None = None) -> Harness:
    creds = list(credentials) or [credential(0), credential(1), credential(2)]
    settings = Settings()
    router = Router(settings, SystemClock(), MemoryStore())
    registry = ModelRegistry(settings, creds)
    pool = FakePool()
    pool.router = router
    loop = AttemptLoop(router, registry, pool, chains or {}, lambda text: text)
    return Harness(loop, pool, router, registry)


def prepare(resolution: Resolution, target: Target) -> Prepared:
    request = UpstreamRequest(
        method="POST",
        url=f"http://upstream.invalid/{target.credential.id}",
        headers={"credential": target.credential.id},
        body=b"{}",
        stream=False,
    )
    return Prepared(
        request=request,
        proxy=None,
        decode_error=codec_for(WireFormat.ANTHROPIC).decode_error,
        context=target,
    )


def cred_id(index: int) -> str:
    return f"claude-api-key[{index}]"


# ---------------------------------------------------------------------------- retrying


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("outcome", "scope"),
    [
        pytest.param(RATE_LIMITED, UPSTREAM, id="429"),
        pytest.param(UNAUTHORIZED, ALL_MODELS, id="401"),
        pytest.param(SERVER_ERROR, UPSTREAM, id="500"),
        pytest.param(Outcome(error=UpstreamUnreachable("refused")), ALL_MODELS, id="connect"),
    ],
)
async def test_a_retryable_failure_moves_on_to_the_next_credential(
    outcome: Outcome, scope: str
) -> None:
    h = harness()
    h.pool.answer(cred_id(0), outcome)
    opened = await h.open()
    assert opened.choice.target.credential.id == cred_id(1)
    assert opened.response.status == 200
    assert h.pool.calls == [cred_id(0), cred_id(1)]
    entries = {(e.credential, e.model) for e in h.router.cooldowns.snapshot()}
    assert entries == {(cred_id(0), scope)}
    assert all(r.closed for r in h.pool.responses if r.status >= 400)


@pytest.mark.anyio
async def test_a_broken_connection_cools_the_model_and_a_refused_one_the_credential() -> None:
    h = harness()
    reset = UpstreamUnreachable("reset")
    reset.__cause__ = aiohttp.ServerDisconnectedError()
    slow_connect = UpstreamTimeout("no connection")
    slow_connect.__cause__ = aiohttp.ConnectionTimeoutError()
    h.pool.answer(cred_id(0), Outcome(error=reset))
    h.pool.answer(cred_id(1), Outcome(error=slow_connect))
    h.pool.answer(cred_id(2), Outcome(error=UpstreamTimeout("no first byte")))
    with pytest.raises(UpstreamTimeout):
        await h.open(attempts=3)
    kinds = {(e.credential, e.model, e.reason.split(":")[0]) for e in h.router.cooldowns.snapshot()}
    assert kinds == {
        (cred_id(0), UPSTREAM, "reset"),
        (cred_id(1), ALL_MODELS, "connect"),
        (cred_id(2), UPSTREAM, "timeout"),
    }


@pytest.mark.anyio
async def test_a_client_error_is_returned_as_is_without_retry_or_cooldown() -> None:
    h = harness()
    h.pool.answer(cred_id(0), BAD_REQUEST)
    with pytest.raises(UpstreamFailed) as raised:
        await h.open()
    assert raised.value.to_api_error().status == 400
    assert raised.value.message == "bad field"
    assert h.pool.calls == [cred_id(0)]
    assert h.router.cooldowns.snapshot() == []


@pytest.mark.anyio
async def test_when_every_attempt_failed_the_client_gets_the_last_upstream_error() -> None:
    h = harness()
    for index in range(3):
        h.pool.answer(cred_id(index), SERVER_ERROR)
    with pytest.raises(UpstreamFailed) as raised:
        await h.open()
    assert raised.value.to_api_error().status == 500
    assert h.pool.calls == [cred_id(0), cred_id(1), cred_id(2)]


# ---------------------------------------------------------------------------- bounds


@pytest.mark.anyio
async def test_request_retry_bounds_the_attempts() -> None:
    h = harness()
    for index in range(3):
        h.pool.answer(cred_id(index), SERVER_ERROR)
    with pytest.raises(UpstreamFailed):
        await h.open(attempts=2)
    assert h.pool.calls == [cred_id(0), cred_id(1)]


@pytest.mark.anyio
async def test_max_retry_credentials_bounds_the_credentials_tried() -> None:
    h = harness()
    for index in range(3):
        h.pool.answer(cred_id(index), SERVER_ERROR)
    with pytest.raises(UpstreamFailed):
        await h.open(attempts=10, credentials=2)
    assert h.pool.calls == [cred_id(0), cred_id(1)]
    assert not h.cooling(2)  # the third was never chosen, so nothing was claimed on it
    assert not h.router.cooldowns.availability(cred_id(2), UPSTREAM).probe


# ---------------------------------------------------------------------------- cooldown waits


@pytest.mark.anyio
async def test_a_cooldown_within_max_retry_interval_is_waited_for() -> None:
    h = harness(credential(0))
    short = Outcome(429, {"retry-after": "0.3"}, anthropic_error(429, "rate_limit_error"))
    h.pool.answer(cred_id(0), short)
    started = time.monotonic()
    opened = await h.open(max_wait=2.0)  # the 429's own reset is waited for, in the same request
    elapsed = time.monotonic() - started
    assert opened.response.status == 200
    assert opened.choice.probe  # the wait ends in the half-open probe...
    assert h.pool.calls == [cred_id(0), cred_id(0)]
    assert 0.2 <= elapsed < 1.5
    assert h.router.cooldowns.snapshot() == []  # ...whose success cleared the cooldown


@pytest.mark.anyio
async def test_a_cooldown_beyond_max_retry_interval_gives_429_model_cooldown() -> None:
    h = harness(credential(0), credential(1))
    h.pool.answer(cred_id(0), RATE_LIMITED)
    h.pool.answer(cred_id(1), RATE_LIMITED)
    with pytest.raises(UpstreamFailed):  # this request saw the upstream's own 429s
        await h.open(max_wait=1.0)
    started = time.monotonic()
    with pytest.raises(ModelCooldown) as raised:
        await h.open(max_wait=1.0)
    assert time.monotonic() - started < 0.5  # no waiting for a 30 s cooldown
    assert h.pool.calls == [cred_id(0), cred_id(1)]
    error = raised.value
    assert error.code == "model_cooldown"
    assert error.model == "pool" and error.provider == "claude"
    assert error.retry_after is not None and 28 <= error.retry_after <= 30
    assert error.reset_at.endswith("Z")
    status, headers, body = render_error(WireFormat.OPENAI_CHAT, error.to_api_error())
    assert status == 429
    assert headers["retry-after"] in ("29", "30")
    assert orjson.loads(body)["error"]["code"] == "model_cooldown"


@pytest.mark.anyio
async def test_a_request_meeting_a_probe_held_elsewhere_is_served_when_it_succeeds() -> None:
    h = harness(credential(0))
    h.pool.answer(cred_id(0), Outcome(429, {"retry-after": "0"}, anthropic_error(429, "x")))
    h.pool.answer(cred_id(0), Outcome(delay=0.3))  # the probe: slow, then fine
    with pytest.raises(UpstreamFailed):
        await h.open(attempts=1)
    probe = asyncio.ensure_future(h.open(attempts=1))  # takes the probe
    await asyncio.sleep(0.05)
    started = time.monotonic()
    waiter = await h.open(attempts=1, max_wait=2.0)  # the only credential is being probed
    waited = time.monotonic() - started
    assert waiter.response.status == 200 and not waiter.choice.probe
    assert 0.2 < waited < 1.0  # the probe's outcome, not max_wait and not "in 60 s"
    assert (await probe).choice.probe
    assert h.pool.calls == [cred_id(0)] * 3


@pytest.mark.anyio
async def test_a_failed_probe_ends_the_wait_of_the_requests_behind_it() -> None:
    h = harness(credential(0))
    h.pool.answer(cred_id(0), Outcome(429, {"retry-after": "0"}, anthropic_error(429, "x")))
    h.pool.answer(cred_id(0), replace(RATE_LIMITED, delay=0.3))  # the probe: cools it 30 s
    with pytest.raises(UpstreamFailed):
        await h.open(attempts=1)
    probe = asyncio.ensure_future(h.open(attempts=1))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(ModelCooldown) as cooled:
        await h.open(attempts=1, max_wait=5.0)
    assert time.monotonic() - started < 1.0  # told as soon as the probe failed
    assert cooled.value.retry_after is not None
    assert 25 <= cooled.value.retry_after <= 30  # the new cooldown, not the probe's timeout
    with pytest.raises(UpstreamFailed):
        await probe
    assert h.pool.calls == [cred_id(0)] * 2


@pytest.mark.anyio
async def test_a_probe_outlasting_max_retry_interval_does_not_hold_the_requests_behind_it() -> None:
    h = harness(credential(0))
    h.pool.answer(cred_id(0), Outcome(429, {"retry-after": "0"}, anthropic_error(429, "x")))
    h.pool.answer(cred_id(0), Outcome(delay=2.0))
    with pytest.raises(UpstreamFailed):
        await h.open(attempts=1)
    probe = asyncio.ensure_future(h.open(attempts=1))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(ModelCooldown):
        await h.open(attempts=1, max_wait=0.4)
    assert 0.35 < time.monotonic() - started < 1.2
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe


# ---------------------------------------------------------------------------- fallback


@pytest.mark.anyio
async def test_a_fallback_chain_serves_another_model_when_every_candidate_cools() -> None:
    creds = (credential(0), credential(1), credential(2, model="backup"))
    h = harness(*creds, chains={"pool": ("not-served", "backup")})
    h.pool.answer(cred_id(0), RATE_LIMITED)
    h.pool.answer(cred_id(1), RATE_LIMITED)
    opened = await h.open()
    assert opened.resolution.model == "backup"
    assert opened.choice.target.credential.id == cred_id(2)
    assert h.pool.calls == [cred_id(0), cred_id(1), cred_id(2)]
    again = await h.open()  # every candidate of "pool" cools: straight to the fallback
    assert again.resolution.model == "backup"
    assert h.pool.calls[3:] == [cred_id(2)]


@pytest.mark.anyio
async def test_the_fallback_is_not_used_while_the_model_serves() -> None:
    creds = (credential(0), credential(1, model="backup"))
    h = harness(*creds, chains={"pool": ("backup",)})
    opened = await h.open()
    assert opened.resolution.model == "pool"
    assert h.pool.calls == [cred_id(0)]


@pytest.mark.anyio
async def test_a_cooling_fallback_chain_reports_the_requested_model() -> None:
    creds = (credential(0), credential(1, model="backup"))
    h = harness(*creds, chains={"pool": ("backup",)})
    h.pool.answer(cred_id(0), RATE_LIMITED)
    h.pool.answer(cred_id(1), RATE_LIMITED)
    with pytest.raises(UpstreamFailed):
        await h.open()
    with pytest.raises(ModelCooldown) as raised:
        await h.open()
    assert raised.value.model == "pool"


# ---------------------------------------------------------------------------- the client


class LeavingClient:
    def __init__(self, after: float) -> None:
        self.after = after

    async def receive(self) -> Message:
        await asyncio.sleep(self.after)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        raise AssertionError("nothing is sent before an upstream answers")


@pytest.mark.anyio
async def test_a_client_leaving_during_a_cooldown_wait_stops_at_once() -> None:
    h = harness(credential(0))
    h.pool.answer(cred_id(0), Outcome(429, {"retry-after": "5"}, anthropic_error(429, "x")))
    with pytest.raises(UpstreamFailed):
        await h.open(attempts=1)
    client = LeavingClient(after=0.1)
    started = time.monotonic()
    result: list[Opened] = []
    async with ClientWatch(client.receive, client.send) as watch:
        result.append(await h.open(max_wait=10.0))
    assert watch.gone and not result
    assert time.monotonic() - started < 0.5
    assert h.pool.calls == [cred_id(0)]  # nothing was sent after the client left


@pytest.mark.anyio
async def test_a_client_leaving_during_a_probe_gives_the_probe_back() -> None:
    h = harness(credential(0))
    h.pool.answer(cred_id(0), Outcome(429, {"retry-after": "0"}, anthropic_error(429, "x")))
    with pytest.raises(UpstreamFailed):
        await h.open(attempts=1)
    h.pool.answer(cred_id(0), Outcome(delay=5))
    client = LeavingClient(after=0.1)
    async with ClientWatch(client.receive, client.send) as watch:
        await h.open(attempts=1)
    assert watch.gone
    assert h.router.in_flight.get(cred_id(0)) == 0
    assert h.router.cooldowns.availability(cred_id(0), UPSTREAM).probe  # free to probe again


# ---------------------------------------------------------------------------- in flight


@pytest.mark.anyio
async def test_an_attempt_is_in_flight_while_it_waits_for_its_answer() -> None:
    h = harness(credential(0), credential(1))
    h.pool.answer(cred_id(0), Outcome(delay=0.05, **_as_kwargs(SERVER_ERROR)))
    opened = await h.open()
    assert h.pool.in_flight_seen == [1, 1]  # each upstream call is counted while it runs
    # Released on return: the pipeline counts the opened response itself from here on.
    assert h.router.in_flight.snapshot() == {}
    assert opened.choice.target.credential.id == cred_id(1)


@pytest.mark.anyio
async def test_least_busy_sees_requests_still_waiting_for_their_answer() -> None:
    settings = Settings()
    h = harness(credential(0), credential(1))
    h.router.apply(replace(settings, routing=replace(settings.routing, strategy="least-busy")))
    h.pool.answer(cred_id(0), Outcome(delay=0.3))
    slow = asyncio.ensure_future(h.open())
    await asyncio.sleep(0.05)
    quick = [await h.open() for _ in range(3)]
    await slow
    assert [o.choice.target.credential.id for o in quick] == [cred_id(1)] * 3


def _as_kwargs(outcome: Outcome) -> dict[str, Any]:
    return {"status": outcome.status, "headers": outcome.headers, "body": outcome.body}


@pytest.mark.anyio
async def test_the_fallback_gets_its_own_budget_after_the_primary_used_all_of_its() -> None:
    creds = (credential(0), credential(1), credential(2, model="backup"))
    h = harness(*creds, chains={"pool": ("backup",)})
    h.pool.answer(cred_id(0), RATE_LIMITED)
    h.pool.answer(cred_id(1), RATE_LIMITED)
    opened = await h.open(attempts=2)  # two tries, both spent on the primary's credentials
    assert opened.resolution.model == "backup"
    assert h.pool.calls == [cred_id(0), cred_id(1), cred_id(2)]


@pytest.mark.anyio
async def test_an_upstream_failing_without_a_cooldown_is_not_retried_in_the_same_request() -> None:
    h = harness(credential(0))
    overloaded = Outcome(529, {}, anthropic_error(529, "overloaded_error"))
    h.pool.answer(cred_id(0), overloaded, overloaded)
    with pytest.raises(UpstreamFailed):
        await h.open(max_wait=5.0)
    assert h.pool.calls == [cred_id(0)]  # no cooldown to wait for: the client hears at once
