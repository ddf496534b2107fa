"""daemon.routing.types: the shared routing vocabulary."""

from __future__ import annotations

import dataclasses

import pytest

from daemon.routing.types import ALL_MODELS, Failure, FailureKind


def test_failure_kinds_have_stable_names() -> None:
    # They appear in metrics and in the persisted cooldown file.
    assert [kind.value for kind in FailureKind] == [
        "rate_limit",
        "quota",
        "auth",
        "forbidden",
        "model_unsupported",
        "transient",
        "client",
    ]
    assert ALL_MODELS == "*"


def test_a_failure_is_immutable_and_penalizes_by_default() -> None:
    failure = Failure(FailureKind.RATE_LIMIT, 429, 1.5, False, "429 rate_limit_error", True)
    assert failure.penalize is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        failure.status = 500  # type: ignore[misc]
