"""The interactive questions of `cliproxyctl setup`, in order; a flag given skips its question.

    answers, checks = run_wizard(prompter, defaults, flags, options)

Keys typed here are checked right away (unless offline); a failed check is a warning, and the
user picks: keep the key anyway, type it again, or skip the provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

from cliproxyctl.render import mask
from cliproxyctl.wizard.answers import (
    COMPAT,
    LABELS,
    Answers,
    Defaults,
    Flags,
    ProviderAnswer,
    parse_provider_spec,
    validate_client_key,
    validate_compat_name,
    validate_host,
    validate_port,
    validate_url,
)
from cliproxyctl.wizard.keycheck import CheckResult, check_key
from cliproxyctl.wizard.prompts import Prompter
from daemon.config.known import ROUTING_STRATEGIES
from daemon.providers.openai_compatible import PRESETS

CUSTOM = "__custom__"
SUBSCRIPTIONS_NOTE = (
    "Subscription logins (Claude Pro/Max, ChatGPT, Gemini CLI accounts) are not available yet; "
    "they will be offered here once `cliproxyctl login` exists."
)
STRATEGY_HELP: dict[str, str] = {
    "round-robin": "take turns",
    "weighted-round-robin": "take turns by each key's weight",
    "fill-first": "use the first key until it is rate-limited",
    "least-busy": "the key with the fewest requests in flight",
    "lowest-latency": "the key that answered fastest lately",
    "random": "any key at random",
}

Checker = Callable[[ProviderAnswer, Mapping[str, str]], CheckResult]


@dataclass(slots=True)
class WizardOptions:
    offline: bool = False
    environ: Mapping[str, str] = field(default_factory=dict)
    say: Callable[[str], None] = print  # rich markup allowed
    generate: Callable[[], str] = lambda: ""
    checker: Checker = check_key


def run_wizard(
    p: Prompter, defaults: Defaults, flags: Flags, options: WizardOptions
) -> tuple[Answers, dict[ProviderAnswer, CheckResult]]:
    """Ask every question no flag answered. Raises prompts.Cancelled on Ctrl+C."""
    host = flags.host
    if host is None:
        host = p.text(
            "Listen address (127.0.0.1: this machine only, 0.0.0.0: every interface)",
            default=defaults.host,
            validate=validate_host,
        ).strip()
    port = flags.port
    if port is None:
        port = int(p.text("Port", default=str(defaults.port), validate=validate_port))
    new_key, generated = _client_key(p, defaults, flags, options)
    checks: dict[ProviderAnswer, CheckResult] = {}
    if flags.providers:
        providers = [parse_provider_spec(spec) for spec in flags.providers]
    else:
        providers = _providers(p, defaults, options, checks)
    strategy = flags.strategy
    if strategy is None:
        strategy = p.select(
            "Routing strategy (how a key is picked when several can serve a request)",
            [(name, f"{name}: {STRATEGY_HELP.get(name, '')}") for name in ROUTING_STRATEGIES],
            default=defaults.strategy,
        )
    service = flags.service
    if service is None:
        service = p.confirm(
            "Install and start cliproxy as a system service (starts at login)?", default=False
        )
    answers = Answers(host, port, new_key, generated, tuple(providers), strategy, service)
    return answers, checks


def _client_key(
    p: Prompter, defaults: Defaults, flags: Flags, options: WizardOptions
) -> tuple[str | None, bool]:
    if flags.client_key is not None:
        return flags.client_key, False
    if flags.generate_key:
        return options.generate(), True
    keep = defaults.usable_keys
    if flags.keep_keys and keep:
        return None, False
    choices = []
    if keep:
        shown = ", ".join(mask(k) for k in keep[:3]) + (", …" if len(keep) > 3 else "")
        choices.append(
            ("keep", f"Keep the current client key{'s' if len(keep) > 1 else ''} ({shown})")
        )
    also = " (added next to the current ones)" if keep else ""
    choices += [("generate", f"Generate a new key{also}"), ("enter", f"Enter a key{also}")]
    choice = p.select(
        "Client API key (what your tools send to the proxy)",
        choices,
        default="keep" if keep else "generate",
    )
    if choice == "keep":
        return None, False
    if choice == "generate":
        return options.generate(), True
    return p.secret("Client key", validate=validate_client_key), False


def _providers(
    p: Prompter,
    defaults: Defaults,
    options: WizardOptions,
    checks: dict[ProviderAnswer, CheckResult],
) -> list[ProviderAnswer]:
    options.say(f"[dim]{SUBSCRIPTIONS_NOTE}[/dim]")
    if defaults.providers:
        options.say("Already configured: " + "; ".join(defaults.providers))
    examples = ", ".join(list(PRESETS)[:3])
    titles = {COMPAT: f"{LABELS[COMPAT]} ({examples}, …, or any base URL)"}
    picked = p.checkbox(
        "Providers to add" + (" (none: keep the current ones)" if defaults.providers else ""),
        [(family, titles.get(family, label)) for family, label in LABELS.items()],
    )
    found: list[ProviderAnswer] = []
    for family in LABELS:  # in the listed order, whatever the selection order
        if family not in picked:
            continue
        if family == COMPAT:
            while True:
                answer = _compat(p, options, checks)
                if answer is not None:
                    found.append(answer)
                if not p.confirm("Add another OpenAI-compatible service?", default=False):
                    break
        else:
            answer = _with_key(p, options, checks, partial(ProviderAnswer, family), LABELS[family])
            if answer is not None:
                found.append(answer)
    return found


def _compat(
    p: Prompter, options: WizardOptions, checks: dict[ProviderAnswer, CheckResult]
) -> ProviderAnswer | None:
    choices = [(name, f"{name:<15} {url}") for name, url in PRESETS.items()]
    choices.append((CUSTOM, "Another service or a local server (enter its base URL)"))
    name = p.select("Which OpenAI-compatible service?", choices, default=next(iter(PRESETS)))
    if name != CUSTOM:
        url = PRESETS[name]
        return _with_key(
            p,
            options,
            checks,
            lambda key: ProviderAnswer(COMPAT, key, name, url),
            f"{name} API key",
        )
    custom = p.text("Name for this service", validate=validate_compat_name).strip()
    base = (
        p.text(
            "Base URL (the part before /chat/completions)",
            default="http://localhost:11434/v1",
            validate=validate_url,
        )
        .strip()
        .rstrip("/")
    )
    return _with_key(
        p,
        options,
        checks,
        lambda key: ProviderAnswer(COMPAT, key, custom, base),
        f"{custom} API key (empty for a server without keys)",
        allow_empty=True,
    )


def _with_key(
    p: Prompter,
    options: WizardOptions,
    checks: dict[ProviderAnswer, CheckResult],
    make: Callable[[str], ProviderAnswer],
    message: str,
    allow_empty: bool = False,
) -> ProviderAnswer | None:
    """Ask for a key (hidden), check it, and let the user decide when the check fails."""
    required = None if allow_empty else (lambda text: None if text.strip() else "enter the key")
    while True:
        answer = make(p.secret(message, validate=required).strip())
        if options.offline:
            return answer
        result = options.checker(answer, options.environ)
        checks[answer] = result
        if result.status == "ok":
            options.say(f"  [green]✓[/green] {result.message}")
            return answer
        if result.status == "skipped":
            options.say(f"  [dim]{result.message}[/dim]")
            return answer
        options.say(f"  [yellow]warning:[/yellow] {result.message}")
        choice = p.select(
            "The check failed. What now?",
            [
                ("keep", "Use this key anyway"),
                ("again", "Enter the key again"),
                ("skip", "Skip this provider"),
            ],
            default="again",
        )
        if choice == "keep":
            return answer
        checks.pop(answer, None)
        if choice == "skip":
            return None
