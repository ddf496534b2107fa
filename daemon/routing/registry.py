"""The model registry: which targets serve a requested model id, and what to list.

Rules, in the order `resolve` applies them:

1. A thinking suffix is split off first: ``gpt-5(high)`` asks ``gpt-5`` with effort high
   (daemon/routing/suffix.py). `Resolution.model` is the requested id without the suffix.
2. ``prefix/model`` where ``prefix`` is some credential's prefix matches only credentials with
   that prefix. When none of them serves ``model``, the whole id is tried as an ordinary
   (unprefixed) id, since upstream ids may contain slashes (``moonshotai/kimi-k2``).
3. An unprefixed id matches every credential, or with ``force-model-prefix: true`` only the
   credentials without a prefix (prefixed ones are then reachable only as ``prefix/model``).
4. A credential serves the public ids of its ``models`` list (``alias``, else ``name``; the
   upstream id is ``name``; one alias listed several times is a pool of upstream models). A
   credential without a list serves its family's catalogue and any id matching the family's
   pattern (daemon/providers/catalog.py). An ``openai-compatibility`` entry without a list
   serves nothing by name, but serves any id addressed through its prefix.
5. ``excluded-models`` globs (fnmatch, case-insensitive) remove an id when they match either
   the public or the upstream id.
6. Targets are ordered by credential priority, higher first (CLIProxyAPI's convention: its
   selector sorts priorities descending and picks from the highest tier that has an available
   credential; unset is 0), then by configuration order. Nobody serving it is ModelNotFound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from daemon.config.model import Settings
from daemon.errors import ModelNotFound
from daemon.model import ReasoningConfig
from daemon.providers import PROVIDERS
from daemon.providers.base import Credential, Provider
from daemon.providers.catalog import catalogue, matches_family
from daemon.routing.suffix import parse_suffix

OPENAI_COMPATIBLE = "openai-compatible"


@dataclass(frozen=True, slots=True)
class Target:
    provider: Provider
    credential: Credential
    upstream_model: str


@dataclass(frozen=True, slots=True)
class Resolution:
    model: str  # the public id as requested, without the thinking suffix (prefix kept)
    targets: tuple[Target, ...]  # best first: higher priority, then configuration order
    reasoning: ReasoningConfig | None  # from the thinking suffix, when there was one


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    owned_by: str
    family: str


@dataclass(frozen=True, slots=True)
class _Entry:
    credential: Credential
    provider: Provider
    excluded: tuple[str, ...]  # lowercased globs

    def is_excluded(self, model: str) -> bool:
        lowered = model.lower()
        return any(fnmatchcase(lowered, pattern) for pattern in self.excluded)

    def upstreams(self, model: str, *, via_prefix: bool) -> list[str]:
        """The upstream ids this credential would send a request for `model` to."""
        credential = self.credential
        if credential.models:
            found = [up for public, up in credential.models if public == model]
        elif credential.family == OPENAI_COMPATIBLE:
            found = [model] if via_prefix else []
        else:
            found = [model] if matches_family(credential.family, model) else []
        if not found or self.is_excluded(model):
            return []
        return [up for up in found if not self.is_excluded(up)]

    def listed(self) -> list[str]:
        """The public ids this credential shows in model lists."""
        credential = self.credential
        if credential.models:
            ids = [
                public
                for public, up in credential.models
                if not self.is_excluded(public) and not self.is_excluded(up)
            ]
        else:
            ids = [m for m in catalogue(credential.family) if not self.is_excluded(m)]
        return list(dict.fromkeys(ids))


class ModelRegistry:
    """Immutable: build a new one when the configuration or the credentials change."""

    def __init__(self, settings: Settings, credentials: Sequence[Credential]) -> None:
        self._force_prefix = settings.force_model_prefix
        entries: list[_Entry] = []
        for credential in credentials:
            provider = PROVIDERS.get(credential.family)
            if provider is None:
                raise ValueError(
                    f"credential {credential.id}: unknown provider family {credential.family!r}"
                )
            excluded = tuple(p.lower() for p in credential.excluded_models)
            entries.append(_Entry(credential, provider, excluded))
        # sorted() is stable: equal priorities keep configuration order.
        self._entries = tuple(sorted(entries, key=lambda e: -e.credential.priority))
        self._prefixes = frozenset(c.prefix for c in credentials if c.prefix)
        self._models = tuple(self._list())

    def resolve(self, requested: str) -> Resolution:
        """The targets serving `requested`, best first; ModelNotFound when there are none."""
        name, reasoning = parse_suffix(requested)
        targets: list[Target] = []
        prefix, _, rest = name.partition("/")
        if rest and prefix in self._prefixes:
            targets = self._targets(rest, prefix)
        if not targets:
            targets = self._targets(name, None)
        if not targets:
            raise ModelNotFound(requested)
        return Resolution(model=name, targets=tuple(targets), reasoning=reasoning)

    def models(self) -> list[ModelInfo]:
        """Every listed model id once (the best credential's owner), in target order."""
        return list(self._models)

    def _targets(self, model: str, prefix: str | None) -> list[Target]:
        targets: list[Target] = []
        for entry in self._entries:
            credential = entry.credential
            if prefix is not None:
                if credential.prefix != prefix:
                    continue
            elif self._force_prefix and credential.prefix:
                continue
            for upstream in entry.upstreams(model, via_prefix=prefix is not None):
                targets.append(Target(entry.provider, credential, upstream))
        return targets

    def _list(self) -> list[ModelInfo]:
        seen: set[str] = set()
        found: list[ModelInfo] = []
        for entry in self._entries:
            credential = entry.credential
            for public in entry.listed():
                names: list[str] = []
                if not (credential.prefix and self._force_prefix):
                    names.append(public)
                if credential.prefix:
                    names.append(f"{credential.prefix}/{public}")
                for name in names:
                    if name not in seen:
                        seen.add(name)
                        found.append(ModelInfo(name, credential.owner, credential.family))
        return found
