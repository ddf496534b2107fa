"""The wizard's answers, their defaults, and how command-line flags supply them.

Every question of `cliproxyctl setup` has a flag. `resolve_flags` turns the flags into complete
`Answers` without asking anything: with ``--yes`` a missing answer takes its default; without
it, the flags still missing are reported (the command then exits 2 naming them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cliproxyctl.tomledit import COMPAT_SECTION, ConfigEdit, CurrentValues, ProviderEdit
from daemon.config.known import EXAMPLE_API_KEYS, ROUTING_STRATEGIES
from daemon.config.model import DEFAULT_HOST, DEFAULT_PORT
from daemon.providers.openai_compatible import PRESETS, preset_base_url

KEY_FAMILIES: dict[str, str] = {
    "claude": "claude-api-key",
    "gemini": "gemini-api-key",
    "vertex": "vertex-api-key",
    "codex": "codex-api-key",
}
COMPAT = "openai-compatible"
LABELS: dict[str, str] = {
    COMPAT: "OpenAI-compatible service",
    "claude": "Claude API key (Anthropic)",
    "gemini": "Gemini API key (Google AI Studio)",
    "vertex": "Vertex AI API key (express mode)",
    "codex": "Codex / OpenAI API key",
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SPEC = re.compile(r"^(?P<name>[^=@\s]+)(?:@(?P<url>https?://[^=\s]+))?=(?P<key>.*)$")


class MissingAnswers(Exception):
    """Answers no flag gave, in a run that may not prompt; `flags` names the flags to pass."""

    def __init__(self, flags: list[str]) -> None:
        super().__init__(", ".join(flags))
        self.flags = flags


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    family: str  # a KEY_FAMILIES name, or COMPAT
    api_key: str  # "" only for a keyless OpenAI-compatible server
    name: str | None = None  # COMPAT only: the entry name (a preset name, or the user's)
    base_url: str | None = None  # COMPAT: the service's base URL (a preset's when known)

    @property
    def label(self) -> str:
        if self.family == COMPAT:
            return f"{self.name} ({self.base_url})"
        return LABELS[self.family]

    def to_edit(self) -> ProviderEdit:
        if self.family == COMPAT:
            return ProviderEdit(COMPAT_SECTION, self.api_key, self.name, self.base_url)
        return ProviderEdit(KEY_FAMILIES[self.family], self.api_key)


@dataclass(frozen=True, slots=True)
class Answers:
    host: str
    port: int
    new_client_key: str | None  # a key to add; None keeps the existing keys
    generated: bool  # new_client_key was generated (so it is shown once)
    providers: tuple[ProviderAnswer, ...]
    strategy: str
    service: bool

    def to_edit(self) -> ConfigEdit:
        return ConfigEdit(
            host=self.host,
            port=self.port,
            add_client_keys=(self.new_client_key,) if self.new_client_key else (),
            strategy=self.strategy,
            providers=tuple(p.to_edit() for p in self.providers),
        )


@dataclass(frozen=True, slots=True)
class Defaults:
    """The answers a question starts from: the existing file's values, else the built-ins."""

    exists: bool = False
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_keys: tuple[str, ...] = ()
    strategy: str = ROUTING_STRATEGIES[0]
    providers: tuple[str, ...] = ()

    @classmethod
    def from_current(cls, current: CurrentValues | None) -> Defaults:
        if current is None:
            return cls()
        strategy = current.strategy if current.strategy in ROUTING_STRATEGIES else None
        return cls(
            exists=True,
            host=current.host if current.host is not None else DEFAULT_HOST,
            port=current.port if current.port is not None else DEFAULT_PORT,
            api_keys=current.api_keys,
            strategy=strategy or ROUTING_STRATEGIES[0],
            providers=current.providers,
        )

    @property
    def usable_keys(self) -> tuple[str, ...]:
        """The client keys worth keeping (the sample file's example keys are not)."""
        return tuple(k for k in self.api_keys if k and k not in EXAMPLE_API_KEYS)


@dataclass(slots=True)
class Flags:
    """The command line's answers; None means "not given"."""

    host: str | None = None
    port: int | None = None
    client_key: str | None = None
    generate_key: bool = False
    keep_keys: bool = False
    providers: list[str] = field(default_factory=list)
    strategy: str | None = None
    service: bool | None = None
    yes: bool = False


def parse_provider_spec(spec: str) -> ProviderAnswer:
    """``claude=KEY``, ``gemini=KEY``, ``vertex=KEY``, ``codex=KEY``, ``PRESET=KEY`` (an
    OpenAI-compatible service cliproxy knows, e.g. ``openrouter=KEY``) or
    ``NAME@BASE_URL=KEY`` (any OpenAI-compatible service; an empty KEY for a keyless local
    server). Raises ValueError with a message for the user."""
    match = _SPEC.match(spec.strip())
    if match is None:
        raise ValueError(
            f"--provider {spec!r}: expected FAMILY=KEY, PRESET=KEY or NAME@BASE_URL=KEY"
        )
    name, url, key = match["name"], match["url"], match["key"].strip()
    family = name.lower()
    if url is None and family in KEY_FAMILIES:
        if not key:
            raise ValueError(f"--provider {name}=: the key is empty")
        return ProviderAnswer(family, key)
    if url is None:
        preset = preset_base_url(name)
        if preset is None:
            known = ", ".join([*KEY_FAMILIES, *sorted(PRESETS)])
            raise ValueError(
                f"--provider {name}=…: unknown provider; use one of {known}, "
                "or NAME@BASE_URL=KEY for another OpenAI-compatible service"
            )
        if not key:
            raise ValueError(f"--provider {name}=: the key is empty")
        return ProviderAnswer(COMPAT, key, family, preset)
    problem = validate_compat_name(name)
    if problem:
        raise ValueError(f"--provider {spec!r}: {problem}")
    return ProviderAnswer(COMPAT, key, name, url.rstrip("/"))


def validate_compat_name(name: str) -> str | None:
    if not _NAME.match(name):
        return "a name is letters, digits, '.', '_' or '-'"
    if name.lower() in KEY_FAMILIES:
        return f"{name!r} is a provider family; pick another name"
    return None


def validate_host(host: str) -> str | None:
    if any(c.isspace() for c in host) or "/" in host:
        return "an address or host name, without scheme or spaces (0.0.0.0 for every interface)"
    return None


def validate_port(text: str) -> str | None:
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        return "a port number from 1 to 65535"
    return None


def validate_client_key(key: str) -> str | None:
    if len(key) < 8 or any(c.isspace() for c in key):
        return "at least 8 characters, no spaces"
    if key in EXAMPLE_API_KEYS:
        return "that is the sample file's example key; the proxy refuses it"
    return None


def validate_url(url: str) -> str | None:
    if not re.match(r"^https?://[^\s/]+", url.strip()):
        return "an http:// or https:// URL, e.g. http://localhost:11434/v1"
    return None


def resolve_flags(flags: Flags, defaults: Defaults, generate: Callable[[], str]) -> Answers:
    """Complete answers from the flags alone (no prompts). *generate* makes a new client key.

    Raises MissingAnswers when an answer has neither a flag nor ``--yes``, and ValueError for a
    flag whose value is wrong.
    """
    missing: list[str] = []
    if flags.host is None and not flags.yes:
        missing.append("--host")
    if flags.port is None and not flags.yes:
        missing.append("--port")
    keys_given = flags.client_key is not None or flags.generate_key or flags.keep_keys
    if not keys_given and not flags.yes:
        missing.append(
            "--client-key or --generate-key" + (" or --keep-keys" if defaults.usable_keys else "")
        )
    if flags.strategy is None and not flags.yes:
        missing.append("--strategy")
    if flags.service is None and not flags.yes:
        missing.append("--service or --no-service")
    if missing:
        raise MissingAnswers(missing)
    new_key, generated = _client_key(flags, defaults, generate)
    return Answers(
        host=flags.host if flags.host is not None else defaults.host,
        port=flags.port if flags.port is not None else defaults.port,
        new_client_key=new_key,
        generated=generated,
        providers=tuple(parse_provider_spec(spec) for spec in flags.providers),
        strategy=check_strategy(flags.strategy) if flags.strategy else defaults.strategy,
        service=bool(flags.service),
    )


def check_flags(flags: Flags) -> None:
    """Flag values that are wrong whatever the mode; ValueError names the flag."""
    if flags.host is not None and (problem := validate_host(flags.host)):
        raise ValueError(f"--host {flags.host!r}: {problem}")
    if flags.port is not None and not 1 <= flags.port <= 65535:
        raise ValueError(f"--port {flags.port}: a port number from 1 to 65535")
    chosen = [flags.client_key is not None, flags.generate_key, flags.keep_keys]
    if sum(chosen) > 1:
        raise ValueError("--client-key, --generate-key and --keep-keys exclude each other")
    if flags.client_key is not None and (problem := validate_client_key(flags.client_key)):
        raise ValueError(f"--client-key: {problem}")
    if flags.strategy is not None:
        check_strategy(flags.strategy)
    for spec in flags.providers:
        parse_provider_spec(spec)


def check_strategy(strategy: str) -> str:
    if strategy not in ROUTING_STRATEGIES:
        raise ValueError(f"--strategy {strategy!r}: one of {', '.join(ROUTING_STRATEGIES)}")
    return strategy


def _client_key(
    flags: Flags, defaults: Defaults, generate: Callable[[], str]
) -> tuple[str | None, bool]:
    """(the key to add or None to keep the existing ones, whether it was generated)."""
    if flags.client_key is not None:
        return flags.client_key, False
    if flags.keep_keys and not defaults.usable_keys:
        raise ValueError("--keep-keys: the config has no client key to keep")
    if flags.generate_key or not defaults.usable_keys:
        return generate(), True
    return None, False
