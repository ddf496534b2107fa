"""What a provider is: an upstream family that speaks one wire format, reached with one kind
of credential. Providers are data plus small hooks; the data plane does the I/O.

A provider turns (credential, upstream model, wire-format body) into an `UpstreamRequest`:
URL, headers and body bytes. It never performs the request itself, so it is tested without a
network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from daemon.model import WireFormat


@dataclass(frozen=True, slots=True)
class Credential:
    """One account or key of one provider, as configured (or, later, from an auth file)."""

    # Stable and secret-free, e.g. "claude-api-key[0]", "openai-compatibility[openrouter][1]".
    id: str
    family: str  # the provider family name, a key of daemon.providers.PROVIDERS
    api_key: str = field(repr=False)  # never in a repr, so never in a log line
    base_url: str  # without a trailing slash
    proxy_url: str | None = None  # None: the global proxy-url; "direct": no proxy at all
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # may hold secrets
    prefix: str | None = None
    priority: int = 0
    weight: int = 1
    owner: str = ""  # shown as owned_by in model lists: the family or the compat entry's name
    # (public id, upstream id) pairs this credential serves; empty: the family's default
    # catalogue plus any id matching the family's pattern (daemon/providers/catalog.py).
    models: tuple[tuple[str, str], ...] = ()
    excluded_models: tuple[str, ...] = ()  # fnmatch globs, case-insensitive, on either id
    disable_cooling: bool = False  # this credential is never put in cooldown
    # OpenAI-compatible upstreams: the field the output-token limit must travel in
    # ("max_tokens" or "max_completion_tokens"); None: whichever the body has.
    max_tokens_field: str | None = None


@dataclass(slots=True)
class UpstreamRequest:
    method: str
    url: str
    headers: dict[str, str] = field(repr=False)  # carries the credential
    body: bytes = field(repr=False)
    stream: bool  # the response is an event stream


class Provider(Protocol):
    family: str
    wire_format: WireFormat

    def build_request(
        self,
        credential: Credential,
        model: str,
        body: dict[str, Any],
        *,
        stream: bool,
        client_headers: Mapping[str, str],
    ) -> UpstreamRequest:
        """The request for `body` (already in `wire_format`, model set where the format
        carries it in the body) sent to `model` with `credential`."""
        ...

    def build_count_tokens(
        self,
        credential: Credential,
        model: str,
        body: dict[str, Any],
        *,
        client_headers: Mapping[str, str],
    ) -> UpstreamRequest | None:
        """The upstream's own token-count request, or None when it has no such endpoint."""
        ...
