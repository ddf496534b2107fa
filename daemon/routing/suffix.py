"""The thinking suffix of a requested model: ``model(16384)``, ``model(high)``, ``model(auto)``.

    (N)        budget_tokens=N        N >= 0; (0) turns thinking off
    (-1)       budget_tokens=-1       let the model decide, as (auto)
    (auto)     budget_tokens=-1
    (none) (minimal) (low) (medium) (high) (xhigh)   effort=<level>

The codecs map the result onto each upstream's own setting (daemon/formats/reasoning.py).
"""

from __future__ import annotations

from daemon.errors import InvalidRequest
from daemon.model import ReasoningConfig

EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")


def parse_suffix(requested: str) -> tuple[str, ReasoningConfig | None]:
    """Split ``name(value)`` into the name and the reasoning it asks for.

    A model without a suffix comes back unchanged with None. A suffix naming no budget or level
    is an InvalidRequest that says what is accepted.
    """
    text = requested.strip()
    if not text.endswith(")"):
        return text, None
    start = text.rfind("(")
    name = text[:start].strip() if start > 0 else ""
    if not name:
        return text, None
    value = text[start + 1 : -1].strip().lower()
    reasoning = _reasoning(value)
    if reasoning is None:
        raise InvalidRequest(
            f"model {requested!r}: unknown thinking suffix ({value}); use a token budget such "
            f"as ({8192}), (auto), or one of: {', '.join(f'({e})' for e in EFFORTS)}",
            param="model",
        )
    return name, reasoning


def _reasoning(value: str) -> ReasoningConfig | None:
    if value == "auto":
        return ReasoningConfig(budget_tokens=-1)
    if value in EFFORTS:
        return ReasoningConfig(effort=value)
    try:
        budget = int(value)
    except ValueError:
        return None
    if budget < -1:
        return None
    return ReasoningConfig(budget_tokens=budget)
