"""daemon.routing.strategies: which candidate serves the next request."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.config.known import ROUTING_STRATEGIES
from daemon.routing.strategies import (
    STRATEGIES,
    FillFirst,
    LeastBusy,
    LowestLatency,
    Random,
    RoundRobin,
    Strategy,
    WeightedRoundRobin,
)
from daemon.routing.types import Candidate


def cand(
    name: str, order: int, weight: int = 1, in_flight: int = 0, p95_ms: float | None = None
) -> Candidate:
    return Candidate(id=name, weight=weight, in_flight=in_flight, p95_ms=p95_ms, order=order)


A, B, C = cand("a", 0), cand("b", 1), cand("c", 2)


def ids(strategy: Strategy, candidates: list[Candidate], n: int, key: str = "m") -> list[str]:
    return [strategy.pick(candidates, key).id for _ in range(n)]


# --- round-robin ---------------------------------------------------------------------------


def test_round_robin_cycles_in_order() -> None:
    assert ids(RoundRobin(), [A, B, C], 7) == ["a", "b", "c", "a", "b", "c", "a"]


def test_round_robin_follows_order_not_list_position() -> None:
    assert ids(RoundRobin(), [C, A, B], 4) == ["a", "b", "c", "a"]


def test_round_robin_keeps_one_rotation_per_key() -> None:
    rr = RoundRobin()
    assert rr.pick([A, B], "m1").id == "a"
    assert rr.pick([A, B], "m1").id == "b"
    assert rr.pick([A, B], "m2").id == "a"
    assert rr.pick([A, B], "m1").id == "a"


def test_round_robin_stays_fair_when_a_candidate_drops_out() -> None:
    rr = RoundRobin()
    assert rr.pick([A, B, C], "m").id == "a"
    assert rr.pick([A, C], "m").id == "c"  # b is cooling: the turn passes to the next
    assert rr.pick([A, B, C], "m").id == "a"
    assert rr.pick([A, B, C], "m").id == "b"
    assert rr.pick([A, B], "m").id == "a"  # c is cooling: wrap around


def test_round_robin_spreads_evenly() -> None:
    assert Counter(ids(RoundRobin(), [A, B, C], 300)) == {"a": 100, "b": 100, "c": 100}


# --- weighted round-robin -------------------------------------------------------------------


def test_weighted_3_to_1_is_exact_over_400_picks() -> None:
    heavy, light = cand("heavy", 0, weight=3), cand("light", 1, weight=1)
    assert Counter(ids(WeightedRoundRobin(), [heavy, light], 400)) == {"heavy": 300, "light": 100}


def test_weighted_is_smooth_like_nginx() -> None:
    # nginx's own example: weights 5, 1, 1 give a a b a c a a, not a a a a a b c.
    a, b, c = cand("a", 0, weight=5), cand("b", 1), cand("c", 2)
    assert ids(WeightedRoundRobin(), [a, b, c], 7) == ["a", "a", "b", "a", "c", "a", "a"]
    assert ids(WeightedRoundRobin(), [cand("a", 0, 3), cand("b", 1)], 4) == ["a", "a", "b", "a"]


def test_weighted_equal_weights_is_round_robin() -> None:
    assert ids(WeightedRoundRobin(), [A, B, C], 6) == ["a", "b", "c", "a", "b", "c"]


def test_weighted_zero_is_a_standby() -> None:
    wrr = WeightedRoundRobin()
    standby = cand("standby", 0, weight=0)
    main = cand("main", 1, weight=2)
    assert ids(wrr, [standby, main], 5) == ["main"] * 5
    # main cooling: only weight-0 candidates are left, and they take turns
    other = cand("other", 2, weight=0)
    assert ids(wrr, [standby, other], 4) == ["standby", "other", "standby", "other"]


def test_weighted_keeps_state_per_key() -> None:
    wrr = WeightedRoundRobin()
    pool = [cand("a", 0, weight=3), cand("b", 1)]
    assert ids(wrr, pool, 2, key="m1") == ["a", "a"]
    assert ids(wrr, pool, 4, key="m2") == ["a", "a", "b", "a"]
    assert ids(wrr, pool, 2, key="m1") == ["b", "a"]


def test_weighted_returning_candidate_does_not_burst() -> None:
    wrr = WeightedRoundRobin()
    a, b = cand("a", 0), cand("b", 1)
    ids(wrr, [a], 10)  # b away (cooling) for ten picks
    assert ids(wrr, [a, b], 6) == ["a", "b", "a", "b", "a", "b"]


@settings(max_examples=60, deadline=None)
@given(weights=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6))
def test_weighted_shares_are_exact_over_whole_cycles(weights: list[int]) -> None:
    pool = [cand(f"c{i}", i, weight=w) for i, w in enumerate(weights)]
    cycles = 3
    counts = Counter(ids(WeightedRoundRobin(), pool, sum(weights) * cycles))
    assert counts == {f"c{i}": w * cycles for i, w in enumerate(weights)}


# --- fill-first -----------------------------------------------------------------------------


def test_fill_first_takes_the_first_in_order_until_it_is_filtered_out() -> None:
    ff = FillFirst()
    assert ids(ff, [C, B, A], 3) == ["a", "a", "a"]
    assert ids(ff, [C, B], 2) == ["b", "b"]


# --- least-busy -----------------------------------------------------------------------------


def test_least_busy_takes_the_fewest_in_flight() -> None:
    pool = [cand("a", 0, in_flight=3), cand("b", 1, in_flight=1), cand("c", 2, in_flight=2)]
    assert LeastBusy().pick(pool, "m").id == "b"


def test_least_busy_rotates_among_ties_so_an_idle_pool_is_spread() -> None:
    # Requests that finish before the next arrives leave every in_flight at 0.
    assert ids(LeastBusy(), [A, B, C], 6) == ["a", "b", "c", "a", "b", "c"]


def test_least_busy_spreads_50_concurrent_picks_evenly() -> None:
    lb = LeastBusy()
    pool = {c.id: c for c in [cand(name, i) for i, name in enumerate("abcde")]}
    picks: Counter[str] = Counter()
    for _ in range(50):  # none finishes: each pick is in flight for the next
        chosen = lb.pick(list(pool.values()), "m")
        picks[chosen.id] += 1
        pool[chosen.id] = replace(chosen, in_flight=chosen.in_flight + 1)
    assert picks == dict.fromkeys("abcde", 10)


def test_least_busy_fills_the_idle_one_first() -> None:
    lb = LeastBusy()
    pool = {"a": cand("a", 0, in_flight=4), "b": cand("b", 1, in_flight=0)}
    picks = []
    for _ in range(6):
        chosen = lb.pick(list(pool.values()), "m")
        picks.append(chosen.id)
        pool[chosen.id] = replace(chosen, in_flight=chosen.in_flight + 1)
    assert picks == ["b", "b", "b", "b", "a", "b"]


# --- lowest-latency -------------------------------------------------------------------------


def test_lowest_latency_takes_the_best_p95() -> None:
    pool = [cand("a", 0, p95_ms=900.0), cand("b", 1, p95_ms=250.0), cand("c", 2, p95_ms=400.0)]
    assert ids(LowestLatency(), pool, 3) == ["b", "b", "b"]


def test_lowest_latency_tries_unmeasured_candidates_first() -> None:
    pool = [cand("a", 0, p95_ms=10.0), cand("new", 1, p95_ms=None)]
    assert LowestLatency().pick(pool, "m").id == "new"


def test_lowest_latency_rotates_among_ties() -> None:
    pool = [cand("a", 0), cand("b", 1), cand("c", 2, p95_ms=5.0)]
    assert ids(LowestLatency(), pool, 4) == ["a", "b", "a", "b"]


# --- random ---------------------------------------------------------------------------------


def test_random_is_reproducible_with_a_seeded_rng() -> None:
    first = ids(Random(random.Random(7)), [A, B, C], 30)
    again = ids(Random(random.Random(7)), [C, B, A], 30)  # input order does not matter
    assert first == again
    assert set(first) <= {"a", "b", "c"}


def test_random_is_roughly_uniform() -> None:
    counts = Counter(ids(Random(random.Random(1)), [A, B, C], 3000))
    assert all(900 <= n <= 1100 for n in counts.values()), counts


# --- common ---------------------------------------------------------------------------------


def test_strategies_match_the_config_names() -> None:
    assert tuple(STRATEGIES) == ROUTING_STRATEGIES


@pytest.mark.parametrize("name", ROUTING_STRATEGIES)
def test_every_strategy_picks_a_candidate_and_refuses_none(name: str) -> None:
    strategy = STRATEGIES[name](random.Random(0))
    assert strategy.pick([B], "m") == B
    assert strategy.pick([A, B, C], "m") in (A, B, C)
    with pytest.raises(ValueError, match="no candidates"):
        strategy.pick([], "m")


def test_the_random_factory_uses_the_given_rng() -> None:
    one = STRATEGIES["random"](random.Random(3))
    two = STRATEGIES["random"](random.Random(3))
    assert ids(one, [A, B, C], 20) == ids(two, [A, B, C], 20)
