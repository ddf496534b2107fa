"""service install|uninstall|status: run cliproxy under systemd (Linux) or launchd (macOS)."""

from __future__ import annotations

from typing import Annotated

import typer

from cliproxyctl import servicectl
from cliproxyctl.context import current
from cliproxyctl.render import console, print_json

app = typer.Typer(no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document (v1 envelope).")]
SystemFlag = Annotated[
    bool,
    typer.Option("--system", help="A system-wide service (needs root) instead of a per-user one."),
]
UserOption = Annotated[
    str | None,
    typer.Option(
        "--user", metavar="NAME", help="With --system: the account it runs as (default: you)."
    ),
]
SandboxFlag = Annotated[
    bool,
    typer.Option(
        "--sandbox/--no-sandbox",
        help="systemd namespace hardening (ProtectSystem, ProtectHome, PrivateTmp, …); turn it "
        "off where user namespaces are unavailable (status 226/NAMESPACE).",
    ),
]


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="service", help="Install, remove or inspect the system service.")


def _plan(
    ctx: typer.Context, system: bool, user: str | None, sandbox: bool
) -> servicectl.ServicePlan:
    cli = current(ctx)
    return servicectl.build_plan(
        cli.paths, cli.config_path, cli.environ, system=system, user=user, sandbox=sandbox
    )


@app.command("install")
def install(
    ctx: typer.Context,
    system: SystemFlag = False,
    user: UserOption = None,
    sandbox: SandboxFlag = True,
    start: Annotated[
        bool, typer.Option("--start/--no-start", help="Enable and start it now.")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Write the service file (when it changed), then enable and start the service."""
    plan = _plan(ctx, system, user, sandbox)
    details = servicectl.install(plan, servicectl.run_command, start=start)
    if as_json:
        print_json("service install", True, details)
        return
    if details["changed"]:
        console.print(f"Wrote {details['path']}:\n")
        console.print(plan.content, markup=False, highlight=False)
    else:
        console.print(f"{details['path']} is already up to date.")
    for command in details["commands"]:
        console.print(f"ran: {' '.join(command['argv'])}", markup=False)
    if start:
        console.print(f"cliproxy service ({details['scope']}) enabled and started.")
    else:
        console.print("Not started (--no-start).")
    console.print("Follow its logs: " + "  or  ".join(details["logs"]))
    if plan.manager == "systemd" and not plan.system:
        console.print("To keep it running after you log out: loginctl enable-linger $USER")
    if plan.manager == "systemd" and plan.system:
        console.print(
            "cliproxyctl talks to it with "
            f"CLIPROXY_RUNTIME_DIR={dict(plan.spec.environment)['CLIPROXY_RUNTIME_DIR']}"
        )


@app.command("uninstall")
def uninstall(
    ctx: typer.Context,
    system: SystemFlag = False,
    user: UserOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Stop and disable the service and remove its file."""
    plan = _plan(ctx, system, user, True)
    details = servicectl.uninstall(plan, servicectl.run_command)
    if as_json:
        print_json("service uninstall", True, details)
    elif details["removed"]:
        console.print(f"Stopped and removed {details['path']}.")
    else:
        console.print(f"Not installed ({details['path']} does not exist).")


@app.command("status")
def status(
    ctx: typer.Context,
    system: SystemFlag = False,
    user: UserOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the service file and whether the service is active; exit 1 when it is not."""
    plan = _plan(ctx, system, user, True)
    details = servicectl.status(plan, servicectl.run_command)
    if details["installed"] and not details["up_to_date"]:  # installed with --no-sandbox?
        unsandboxed = _plan(ctx, system, user, False).content
        details["up_to_date"] = plan.path.read_text(encoding="utf-8") == unsandboxed
    ok = details["installed"] and details["active"] == "active"
    if as_json:
        print_json("service status", ok, details)
    else:
        if details["installed"]:
            current_note = "" if details["up_to_date"] else " (differs from what install writes)"
            console.print(f"file:    {details['path']}{current_note}")
        else:
            console.print(f"file:    {details['path']} (not installed)")
        console.print(f"active:  {details['active']}")
        console.print(f"enabled: {details['enabled']}")
        console.print("logs:    " + "  or  ".join(details["logs"]))
    if not ok:
        raise typer.Exit(1)
