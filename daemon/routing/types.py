"""Shared routing vocabulary: credential and model keys, and how an upstream failure is judged.

Pure data, imported by classify, cooldown, strategies, health and affinity.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

CredentialId: TypeAlias = str
ModelKey: TypeAlias = str  # the upstream model id a cooldown applies to
ALL_MODELS: ModelKey = "*"  # scope: the whole credential


class FailureKind(StrEnum):
    """What went wrong upstream, as far as routing cares."""

    RATE_LIMIT = "rate_limit"  # 429 for (credential, model): cools that model only
    QUOTA = "quota"  # quota/usage limit the upstream says is account-wide: all models
    AUTH = "auth"  # 401: credential errored, hand to refresher; never retry-loop
    FORBIDDEN = "forbidden"  # 402/403: payment / permission
    MODEL_UNSUPPORTED = "model_unsupported"  # 404 / "model not supported" for this credential
    TRANSIENT = "transient"  # 408, 5xx, 529 overloaded, connection errors, timeouts
    CLIENT = "client"  # 400/413/422...: the request's fault; return as-is, no cooldown


@dataclass(frozen=True, slots=True)
class Failure:
    """One classified upstream failure."""

    kind: FailureKind
    status: int
    retry_after: float | None  # seconds the upstream told us, None if it did not
    scope_all_models: bool  # True: the whole credential, False: this model only
    reason: str  # short, secret-free, shown in metrics ("429 rate_limit_error: ...")
    retryable: bool  # may the pipeline try another candidate?
    # False when the upstream as a whole is struggling (529 / "overloaded" / "at capacity"):
    # retry elsewhere, but set no cooldown, since cooling every credential of an overloaded
    # upstream would turn a short blip into minutes of model_cooldown errors.
    penalize: bool = True


@dataclass(frozen=True, slots=True)
class Candidate:
    """One credential a strategy may pick for a request, with what the strategies weigh."""

    id: CredentialId
    weight: int  # weighted round-robin share; 0 is a standby, used when no weight > 0 is left
    in_flight: int  # requests running on it now
    p95_ms: float | None  # over the health window; None: not measured yet
    order: int  # position in the resolution (priority, then configuration order); unique
