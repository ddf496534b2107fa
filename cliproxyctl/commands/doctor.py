"""doctor: check the installation, config, files, daemon, credentials and network."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cliproxyctl.context import current
from cliproxyctl.doctor import DoctorEnv, Report, Status, run_doctor
from cliproxyctl.render import console, err_console, print_json

_MARKS = {
    Status.OK: "[green]ok  [/green]",
    Status.WARN: "[yellow]warn[/yellow]",
    Status.FAIL: "[red]fail[/red]",
}


def register(app: typer.Typer) -> None:
    app.command()(doctor)


def doctor(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document (v1 envelope; see the README).")
    ] = False,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Repair what is safe: create a missing config, tighten permissions, "
            "remove a stale control socket.",
        ),
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip the network checks (provider URLs).")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds for each network probe.", min=0.1)] = 3.0,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List the checks that passed too.")
    ] = False,
) -> None:
    """Check the installation, config, files, daemon, credentials and network."""
    cli = current(ctx)
    env = DoctorEnv(cli.paths, cli.config_path, cli.environ, offline=offline, timeout=timeout)
    report = run_doctor(env, fix=fix)
    failed = report.failed(strict)
    if as_json:
        print_json("doctor", not failed, report.details(strict))
    else:
        _show(report, verbose, strict)
    raise typer.Exit(1 if failed else 0)


def _show(report: Report, verbose: bool, strict: bool) -> None:
    for item in report.fixed:
        console.print(f"[cyan]fixed[/cyan] {escape(item.message)}")
    for secret in report.secrets:
        err_console.print(f"New client API key (shown once, keep it):\n  {secret}")
    for check in report.checks:
        if check.status is Status.OK and not verbose:
            continue
        about = (
            f" ({check.subject})" if check.subject and check.subject not in check.message else ""
        )
        console.print(f"{_MARKS[check.status]} {check.id}{escape(about)}  {escape(check.message)}")
        if check.fix and check.status is not Status.OK:
            console.print(f"       fix: {escape(check.fix)}")
    counts = report.summary()
    verdict = "[red]problems found[/red]" if report.failed(strict) else "[green]healthy[/green]"
    console.print(
        f"{verdict}: {counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failed"
        + ("" if verbose else "  (-v lists every check)")
    )
