"""serve, start, stop, restart, status, logs, version: the daemon's lifecycle from the shell."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Annotated, Any

import typer
from rich.table import Table

from cliproxyctl.context import CliContext, current
from cliproxyctl.control import ControlClient
from cliproxyctl.errors import CliError, DaemonFailed, NotRunning
from cliproxyctl.render import console, err_console, format_duration, print_json
from daemon.bootstrap import ensure_config
from daemon.version import __version__

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document (v1 envelope).")]


def register(app: typer.Typer) -> None:
    for command in (serve, start, stop, restart, status, logs, version):
        app.command()(command)


def _announce_new_config(cli: CliContext) -> None:
    key = ensure_config(cli.config_path)
    if key is not None:
        err_console.print(
            f"Created [bold]{cli.config_path}[/bold] with a new client API key "
            f"(shown once, keep it):\n  {key}"
        )


def serve(ctx: typer.Context) -> None:
    """Run the daemon in the foreground (what a system service runs)."""
    cli = current(ctx)
    _announce_new_config(cli)
    from daemon.server import serve as serve_daemon

    code = serve_daemon(cli.config_path, cli.paths, cli.environ)
    raise typer.Exit(code)


def start(
    ctx: typer.Context,
    as_json: JsonFlag = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the daemon to answer.")
    ] = 20.0,
) -> None:
    """Start the daemon in the background and wait until it answers."""
    cli = current(ctx)
    with ControlClient(cli.paths.control_socket) as control:
        if control.is_running():
            pid = control.status().get("pid")
            raise CliError(f"already running (pid {pid}); use `cliproxyctl restart` to restart it")
    _announce_new_config(cli)
    details = _spawn_and_wait(cli, timeout, quiet=as_json)
    if as_json:
        print_json("start", True, details)
    else:
        console.print(f"cliproxy started (pid {details['pid']}), listening on {details['listen']}")


def _spawn_and_wait(cli: CliContext, timeout: float, quiet: bool) -> dict[str, Any]:
    output = cli.paths.start_output
    output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(output, "wb") as sink:
        os.chmod(output, 0o600)
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "daemon", "--config", str(cli.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
            env=cli.environ,
        )
    deadline = time.monotonic() + timeout
    with ControlClient(cli.paths.control_socket) as control:
        waiting = err_console.status("starting cliproxy…") if not quiet else None
        if waiting is not None:
            waiting.start()
        try:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise DaemonFailed(
                        f"the daemon exited with code {process.returncode} during start-up:\n"
                        + _tail(output),
                        {"exit_code": process.returncode},
                    )
                if control.is_running():
                    status = control.status()
                    if status.get("pid") == process.pid:
                        return status
                time.sleep(0.1)
        finally:
            if waiting is not None:
                waiting.stop()
    process.terminate()
    raise DaemonFailed(f"the daemon did not answer within {timeout:g}s:\n" + _tail(output))


def _tail(path: os.PathLike[str], lines: int = 20) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:]).rstrip() or "(no output)"
    except OSError:
        return "(no output)"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(cli: CliContext, timeout: float, quiet: bool) -> dict[str, Any]:
    with ControlClient(cli.paths.control_socket) as control:
        try:
            pid = int(control.status()["pid"])
        except NotRunning:
            return {"was_running": False}
        control.shutdown()
    deadline = time.monotonic() + timeout
    waiting = err_console.status("draining and stopping…") if not quiet else None
    if waiting is not None:
        waiting.start()
    try:
        while _pid_alive(pid):
            if time.monotonic() > deadline:
                raise DaemonFailed(f"pid {pid} is still running after {timeout:g}s", {"pid": pid})
            time.sleep(0.05)
    finally:
        if waiting is not None:
            waiting.stop()
    return {"was_running": True, "pid": pid}


def stop(
    ctx: typer.Context,
    as_json: JsonFlag = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the drain.")] = 90.0,
) -> None:
    """Stop the daemon, letting in-flight requests finish."""
    details = _stop(current(ctx), timeout, quiet=as_json)
    if as_json:
        print_json("stop", True, details)
    elif details["was_running"]:
        console.print(f"cliproxy stopped (pid {details['pid']})")
    else:
        console.print("cliproxy was not running")


def restart(
    ctx: typer.Context,
    as_json: JsonFlag = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each step.")] = 90.0,
) -> None:
    """Stop the daemon if it runs, then start it again."""
    cli = current(ctx)
    _stop(cli, timeout, quiet=as_json)
    details = _spawn_and_wait(cli, timeout, quiet=as_json)
    if as_json:
        print_json("restart", True, details)
    else:
        console.print(
            f"cliproxy restarted (pid {details['pid']}), listening on {details['listen']}"
        )


def status(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Show whether the daemon runs, where it listens, and its counters."""
    cli = current(ctx)
    with ControlClient(cli.paths.control_socket) as control:
        try:
            info = control.status()
        except NotRunning as error:
            raise NotRunning(error.message, {"running": False}) from None
    info["running"] = True
    if as_json:
        print_json("status", True, info)
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    requests = info["requests"]
    reload = info.get("last_reload")
    rows = [
        ("state", "[green]running[/green]"),
        ("version", info["version"]),
        ("pid", str(info["pid"])),
        ("uptime", format_duration(info["uptime_seconds"])),
        ("listen", info["listen"]),
        ("config", info["config_path"] or "-"),
        (
            "last reload",
            "-" if not reload else ("ok" if reload["ok"] else "refused") + f": {reload['message']}",
        ),
        (
            "requests",
            f"{requests['total']} total, {requests['in_flight']} in flight, "
            + ", ".join(f"{k} {v}" for k, v in requests["by_status"].items()),
        ),
    ]
    usage = info.get("usage")
    if usage:
        rows.append(
            (
                "tokens",
                f"{usage['input_tokens']:,} in ({usage['cached_tokens']:,} cached), "
                f"{usage['output_tokens']:,} out ({usage['reasoning_tokens']:,} reasoning) "
                f"over {usage['requests']:,} answers",
            )
        )
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for warning in info.get("config_warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if info.get("providers"):
        console.print(providers_table(info["providers"]))


def providers_table(providers: list[dict[str, Any]]) -> Table:
    """One row per credential: state, traffic, latency and what it is cooling for."""
    table = Table(title="credentials", title_justify="left")
    for column in (
        "provider",
        "credential",
        "state",
        "requests",
        "failures",
        "p50/p95 ms",
        "in flight",
        "cooling",
    ):
        table.add_column(column)
    colours = {"healthy": "green", "degraded": "yellow", "cooldown": "red", "error": "red"}
    for provider in providers:
        for row in provider["credentials"]:
            state = row["state"]
            cooling = "; ".join(
                f"{c['model']} {c['seconds_left']:.0f}s ({c['reason']})"
                for c in row["cooling"]
                if c["seconds_left"] > 0
            )
            latency = "/".join(
                "-" if v is None else f"{v:.0f}" for v in (row["p50_ms"], row["p95_ms"])
            )
            table.add_row(
                provider["provider"],
                row["id"],
                f"[{colours.get(state, 'white')}]{state}[/]",
                str(row["requests"]),
                str(row["failures"]),
                latency,
                str(row["in_flight"]),
                cooling or "-",
            )
    return table


def logs(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", help="How many recent lines.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Print the daemon's recent log lines (secrets are already masked by the daemon)."""
    cli = current(ctx)
    with ControlClient(cli.paths.control_socket) as control:
        if follow:
            try:
                for line in control.follow_logs(lines):
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
            except KeyboardInterrupt:
                pass
            return
        recent = control.logs(lines)
    if as_json:
        print_json("logs", True, {"lines": recent})
    else:
        for line in recent:
            sys.stdout.write(line + "\n")


def version(as_json: JsonFlag = False) -> None:
    """Print the version."""
    if as_json:
        print_json("version", True, {"version": __version__, "python": sys.version.split()[0]})
    else:
        console.print(f"cliproxyctl {__version__}")
