"""setup: the first-run wizard (or its flags), writing config.toml and telling clients where to go.

With a terminal on stdin it asks what no flag answered; without one (or with --json) it never
prompts, and exits 2 naming the flags still missing unless --yes takes the defaults.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from cliproxyctl import servicectl
from cliproxyctl.context import CliContext, current
from cliproxyctl.errors import CliError, UsageError
from cliproxyctl.render import console, err_console, print_json

if TYPE_CHECKING:
    from cliproxyctl.wizard.answers import Answers, Defaults, Flags, ProviderAnswer
    from cliproxyctl.wizard.configfile import ConfigChange
    from cliproxyctl.wizard.keycheck import CheckResult


def register(app: typer.Typer) -> None:
    app.command()(setup)


def setup(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="Listen address (default 127.0.0.1, or the file's)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option(metavar="PORT", help="Listen port (default 8317, or the file's).")
    ] = None,
    client_key: Annotated[
        str | None,
        typer.Option(metavar="KEY", help="Add this client API key (what tools send the proxy)."),
    ] = None,
    generate_key: Annotated[
        bool, typer.Option("--generate-key", help="Add a newly generated client key.")
    ] = False,
    keep_keys: Annotated[
        bool, typer.Option("--keep-keys", help="Keep the file's client keys, add none.")
    ] = False,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SPEC",
            help="Add a provider key: claude=KEY, gemini=KEY, vertex=KEY, codex=KEY, "
            "PRESET=KEY (openrouter, deepseek, groq, …) or NAME@BASE_URL=KEY. Repeatable.",
        ),
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Routing strategy: round-robin, weighted-round-robin, fill-first, least-busy, "
            "lowest-latency or random.",
        ),
    ] = None,
    service: Annotated[
        bool | None,
        typer.Option("--service/--no-service", help="Install and start the system service."),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not check provider keys upstream.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Take the default for every unanswered question.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the change, write nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document (v1 envelope); never prompts.")
    ] = False,
) -> None:
    """Create or update config.toml: listen address, client key, providers, routing, service."""
    from cliproxyctl.wizard import answers as wa
    from cliproxyctl.wizard.configfile import ConfigFileError, plan_change, read_current
    from cliproxyctl.wizard.report import setup_details, setup_secrets
    from daemon.bootstrap import generate_client_key

    cli = current(ctx)
    flags = wa.Flags(
        host, port, client_key, generate_key, keep_keys, provider or [], strategy, service, yes
    )
    try:
        wa.check_flags(flags)
        old_text, values = read_current(cli.config_path)
    except ValueError as error:
        raise UsageError(str(error)) from None
    except ConfigFileError as error:
        raise CliError(str(error), {"path": str(cli.config_path)}) from None
    defaults = wa.Defaults.from_current(values)
    interactive = not as_json and not yes and sys.stdin.isatty()
    checks: dict[ProviderAnswer, CheckResult] = {}
    if interactive:
        answers, checks = _ask(cli, defaults, flags, offline, generate_client_key)
    else:
        try:
            answers = wa.resolve_flags(flags, defaults, generate_client_key)
        except wa.MissingAnswers as missing:
            raise UsageError(
                "missing answers and no terminal to ask on: pass "
                + ", ".join(missing.flags)
                + " (or --yes to take the defaults)",
                {"missing": missing.flags},
            ) from None
        except ValueError as error:
            raise UsageError(str(error)) from None
    if not offline:
        _check_given_keys(answers, checks, cli, quiet=as_json)
    try:
        change = plan_change(cli.config_path, answers.to_edit(), cli.environ, old_text)
    except ConfigFileError as error:
        raise CliError(str(error), {"path": str(cli.config_path)}) from None
    secrets = setup_secrets(change, answers)
    if not as_json:
        _show_change(change, secrets)
    written = False
    if change.changed and not dry_run:
        if interactive and not _confirm_write(cli):
            console.print("Nothing written.")
            raise typer.Exit(1)
        from cliproxyctl.wizard.configfile import write_change

        try:
            write_change(change)
        except OSError as error:
            raise CliError(f"cannot write {cli.config_path}: {error.strerror or error}") from None
        written = True
    service_details = None
    if answers.service and not dry_run:
        service_details = _install_service(cli, quiet=as_json)
    details = setup_details(
        change,
        answers,
        checks,
        written=written,
        dry_run=dry_run,
        service=service_details,
        secrets=secrets,
    )
    ok = service_details is None or "error" not in service_details
    if as_json:
        print_json("setup", ok, details)
    else:
        _print_summary(change, answers, written, dry_run, details)
    if not ok:
        raise typer.Exit(1)


def _ask(
    cli: CliContext, defaults: Defaults, flags: Flags, offline: bool, generate: Callable[[], str]
) -> tuple[Answers, dict[ProviderAnswer, CheckResult]]:
    from cliproxyctl.wizard.flow import WizardOptions, run_wizard
    from cliproxyctl.wizard.prompts import Cancelled, QuestionaryPrompter

    options = WizardOptions(offline, cli.environ, console.print, generate)
    try:
        return run_wizard(QuestionaryPrompter(), defaults, flags, options)
    except (Cancelled, KeyboardInterrupt):  # Ctrl+C in a prompt, or during a key check
        err_console.print("cancelled; nothing was written")
        raise typer.Exit(130) from None


def _confirm_write(cli: CliContext) -> bool:
    from cliproxyctl.wizard.prompts import Cancelled, QuestionaryPrompter

    try:
        return QuestionaryPrompter().confirm(f"Write {cli.config_path}?", default=True)
    except (Cancelled, KeyboardInterrupt):
        err_console.print("cancelled; nothing was written")
        raise typer.Exit(130) from None


def _check_given_keys(
    answers: Answers, checks: dict[ProviderAnswer, CheckResult], cli: CliContext, quiet: bool
) -> None:
    """Check the keys no prompt checked (the flags'); a failure is only a warning."""
    from cliproxyctl.wizard.keycheck import check_key

    for answer in answers.providers:
        if answer not in checks:
            try:
                result = check_key(answer, cli.environ)
            except KeyboardInterrupt:
                err_console.print("cancelled; nothing was written")
                raise typer.Exit(130) from None
            checks[answer] = result
            if not quiet and result.status != "ok":
                err_console.print(f"[yellow]warning:[/yellow] {answer.label}: {result.message}")


def _show_change(change: ConfigChange, secrets: set[str]) -> None:
    from cliproxyctl.wizard.configfile import masked_diff

    if not change.changed:
        console.print(Text(f"{change.path} already says all that; nothing to change."))
        return
    diff = masked_diff(change, secrets)
    if change.created:
        ending = " with these changes:" if diff else "."
        console.print(Text(f"{change.path} will be the commented template{ending}"), soft_wrap=True)
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in diff.splitlines():
        console.print(Text(line, style=styles.get(line[:1], "")), soft_wrap=True)


def _install_service(cli: CliContext, quiet: bool) -> dict[str, Any]:
    try:
        plan = servicectl.build_plan(cli.paths, cli.config_path, cli.environ)
        return servicectl.install(plan, servicectl.run_command)
    except servicectl.ServiceError as error:
        if not quiet:
            err_console.print(Text.assemble(("service: ", "red"), error.message))
        return {"error": error.message, **error.details}


def _print_summary(
    change: ConfigChange, answers: Answers, written: bool, dry_run: bool, details: dict[str, Any]
) -> None:
    from cliproxyctl.wizard.clients import client_howtos, render_howtos
    from cliproxyctl.wizard.report import howto_key

    for warning in change.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if dry_run:
        console.print("Dry run: nothing written.")
    elif written:
        verb = "Created" if change.created else "Updated"
        console.print(Text.assemble((verb, "green"), f" {change.path} (0600)."), soft_wrap=True)
    if answers.generated and answers.new_client_key and (written or dry_run):
        console.print(
            "New client key (also in the config file):\n  " + answers.new_client_key,
            soft_wrap=True,
        )
    service = details.get("service")
    if service and "error" not in service:
        state = "unchanged" if not service["changed"] else "written"
        console.print(
            Text(f"Service {state}: {service['path']}; logs: {service['logs'][0]}"), soft_wrap=True
        )
    key = howto_key(change, answers)
    console.print(f"\n[bold]Point your tools at {details['base_url']}[/bold]\n")
    console.print(Text(render_howtos(client_howtos(details["base_url"], key))), soft_wrap=True)
    if not service:
        console.print(
            "\nStart the proxy with `cliproxyctl start` (or `cliproxyctl service install`). "
            "A running proxy applies the change by itself; host and port need "
            "`cliproxyctl restart`."
        )
