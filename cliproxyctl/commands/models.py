"""models: the model ids the running daemon serves, and what stands behind each."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cliproxyctl.context import current
from cliproxyctl.control import ControlClient
from cliproxyctl.render import console, print_json

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document (v1 envelope).")]


def register(app: typer.Typer) -> None:
    app.command("models")(models)


def models(
    ctx: typer.Context,
    contains: Annotated[
        str | None, typer.Argument(help="Only ids containing this text (any case).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the model ids clients can ask for, with their provider and credentials."""
    with ControlClient(current(ctx).paths.control_socket) as control:
        rows = control.models()
    if contains:
        rows = [row for row in rows if contains.lower() in row["id"].lower()]
    if as_json:
        print_json("models", True, {"models": rows})
        return
    if not rows:
        console.print("no models" + (f" matching {contains!r}" if contains else " configured"))
        return
    console.print(models_table(rows))


def models_table(rows: list[dict[str, Any]]) -> Table:
    """One row per model id: who serves it, through how many credentials, as which upstream id."""
    table = Table(title=f"{len(rows)} models", title_justify="left")
    for column in ("model", "provider", "credentials", "upstream id"):
        table.add_column(column)
    for row in rows:
        upstream = [name for name in row["upstream"] if name != row["id"]]
        table.add_row(
            row["id"],
            row["owned_by"],
            str(len(row["credentials"])),
            ", ".join(upstream) or "-",
        )
    return table
