"""cliproxyctl(1) in roff, generated from the CLI's own command tree.

One combined page, not one per group: the CLI has a dozen commands in small groups, so one page
is what `man cliproxyctl` readers search with `/`, and packagers ship one file. Commands and
groups added later appear without touching this module. The page has no date unless one is
given (`python -m cliproxyctl.generate --dated` takes SOURCE_DATE_EPOCH), so regenerating gives
the same bytes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer._click import Command, Context, Parameter
from typer.core import TyperArgument as Argument
from typer.core import TyperGroup as Group

from cliproxyctl.doctor import CATALOGUE, load_schema
from daemon import paths as paths_module
from daemon.config.known import STRICT_ENV
from daemon.version import __version__

PROG = "cliproxyctl"

EXIT_STATUS = (
    ("0", "Success. For doctor: no check failed (with --strict: none warned either)."),
    (
        "1",
        "Failure: the command could not do its job, the daemon is not running (status), "
        "or a doctor check failed.",
    ),
    ("2", "Usage error: an unknown command or option, or a bad value."),
)

FILES = (
    ("~/.config/cliproxy/config.toml", "The config file (or config.yaml, CLIProxyAPI's syntax)."),
    ("~/.local/share/cliproxy/auths/", "Credential files (0600 in a 0700 folder)."),
    (
        "$XDG_RUNTIME_DIR/cliproxy/control.sock",
        "The daemon's control socket; daemon.pid beside it.",
    ),
    ("~/.local/state/cliproxy/log/daemon.log", "The log file, when logging-to-file is on."),
)


def roff_text(text: str) -> str:
    """`text` safe in roff: backslashes, hyphens and non-ASCII characters escaped, no line
    starting a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    return "\n".join("\\&" + line if line[:1] in (".", "'") else line for line in text.split("\n"))


def _para(text: str) -> list[str]:
    """Blank-line separated paragraphs as roff paragraphs."""
    lines: list[str] = []
    text = "\n".join(line for line in text.splitlines() if line.strip() != "\b")
    for block in re.split(r"\n\s*\n", text.strip()):
        if lines:
            lines.append(".PP")
        lines.append(roff_text(" ".join(line.strip() for line in block.splitlines())))
    return lines


def _portable(text: str) -> str:
    home = str(Path.home())
    return text.replace(home, "~") if len(home) > 1 else text


def walk(command: Command, ctx: Context) -> Iterator[tuple[Command, Context]]:
    """Every command below `command` (depth first, in registration order), with its context."""
    if isinstance(command, Group):
        for name, sub in command.commands.items():
            if getattr(sub, "hidden", False):
                continue
            sub_ctx = Context(sub, info_name=name, parent=ctx)
            yield sub, sub_ctx
            yield from walk(sub, sub_ctx)


def _path(ctx: Context) -> str:
    return ctx.command_path


def _params(params: list[Parameter], ctx: Context) -> list[str]:
    lines: list[str] = []
    for param in params:
        if getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        lines += [".TP", f"\\fB{roff_text(names)}\\fR", roff_text(_portable(help_text) or "")]
    return lines


def _command_section(command: Command, ctx: Context) -> list[str]:
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines = [
        f'.SS "{roff_text(_path(ctx))}"',
        f"\\fB{roff_text(_path(ctx))}\\fR {roff_text(usage)}",
    ]
    lines += [".PP", *_para(command.help or "")]
    if isinstance(command, Group):
        names = ", ".join(f"\\fB{roff_text(name)}\\fR" for name in command.commands)
        lines += [".PP", f"Subcommands: {names}."]
    shown = [p for p in command.params if not isinstance(p, Argument) or getattr(p, "help", None)]
    lines += _params(shown, ctx)
    return lines


def _schema_summary() -> list[str]:
    schema: dict[str, Any] = load_schema()
    check = schema["$defs"]["check"]["properties"]
    details = schema["properties"]["details"]["properties"]
    lines = [
        ".SH DOCTOR JSON",
        "\\fBcliproxyctl doctor \\-\\-json\\fR prints one document in the "
        "\\fBcliproxyctl.response.v1\\fR envelope (schema_version, command, ok, timestamp, "
        "details). Its \\fIdetails\\fR hold:",
    ]
    for name, spec in details.items():
        lines += [".TP", f"\\fB{roff_text(name)}\\fR", roff_text(spec.get("description", ""))]
    lines += [".PP", "Each check has:"]
    for name, spec in check.items():
        if "$ref" in spec:
            spec = schema["$defs"][spec["$ref"].rsplit("/", 1)[-1]]
        kind = spec.get("type") or "|".join(spec.get("enum", [])) or "string"
        kind = " or ".join(kind) if isinstance(kind, list) else kind
        text = spec.get("description", "")
        lines += [".TP", f"\\fB{roff_text(name)}\\fR ({roff_text(kind)})", roff_text(text)]
    lines += [".PP", "Check ids:"]
    for id, text in CATALOGUE.items():
        lines += [".TP", f"\\fB{roff_text(id)}\\fR", roff_text(text)]
    lines += [
        ".PP",
        "The JSON Schema ships in the package as \\fBcliproxyctl/doctor/schema.json\\fR.",
    ]
    return lines


def _environment() -> list[str]:
    lines = [".SH ENVIRONMENT"]
    found = re.findall(r"^(CLIPROXY_\w+)\s+(.+)$", paths_module.__doc__ or "", re.MULTILINE)
    found.append((STRICT_ENV, "1 or true: unknown config keys are errors (strict mode)"))
    found.append(("NO_COLOR", "set: no colours in the output"))
    for name, text in found:
        lines += [".TP", f"\\fB{roff_text(name)}\\fR", roff_text(text.strip())]
    return lines


def render(app: typer.Typer, date: str | None = None) -> str:
    """The whole cliproxyctl(1) page. `date` (YYYY-MM-DD) goes in the header when given."""
    root = typer.main.get_command(app)
    ctx = Context(root, info_name=PROG)
    summary = (root.help or "").strip().splitlines()[0].rstrip(".")
    if summary.lower().startswith(PROG):
        summary = summary[len(PROG) :].lstrip(" :")
    summary = summary[:1].lower() + summary[1:]
    lines = [
        '.\\" Generated by python -m cliproxyctl.generate from the CLI; do not edit.',
        f'.TH CLIPROXYCTL 1 "{date or ""}" "cliproxy {__version__}" "User Commands"',
        ".SH NAME",
        f"{PROG} \\- {roff_text(summary)}",
        ".SH SYNOPSIS",
        f"\\fB{PROG}\\fR {roff_text(' '.join(root.collect_usage_pieces(ctx)))}",
        ".SH DESCRIPTION",
        *_para(root.help or ""),
        ".PP",
        "Commands that take \\fB\\-\\-json\\fR print exactly one JSON document "
        "(the cliproxyctl.response.v1 envelope).",
        ".SH OPTIONS",
        *_params(root.params, ctx),
        ".SH COMMANDS",
    ]
    for command, sub_ctx in walk(root, ctx):
        lines += _command_section(command, sub_ctx)
    lines.append(".SH EXIT STATUS")
    for code, text in EXIT_STATUS:
        lines += [".TP", f"\\fB{code}\\fR", roff_text(text)]
    lines += _environment()
    lines.append(".SH FILES")
    for name, text in FILES:
        lines += [".TP", f"\\fI{roff_text(name)}\\fR", roff_text(text)]
    lines += _schema_summary()
    lines += [".SH SEE ALSO", "The README of cliproxy; \\fBcliproxyctl doctor \\-\\-help\\fR."]
    return "\n".join(lines) + "\n"


def source_date(environ: dict[str, str] | None) -> str | None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) as YYYY-MM-DD, or None."""
    value = (environ or {}).get("SOURCE_DATE_EPOCH", "")
    if not value.strip().isdigit():
        return None
    return time.strftime("%Y-%m-%d", time.gmtime(int(value)))


def pages(app: typer.Typer, date: str | None = None) -> dict[str, str]:
    """File name → content of every man page (section 1)."""
    return {f"{PROG}.1": render(app, date)}
