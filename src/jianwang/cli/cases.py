"""``jianwang cases``: administrative cases through their states."""

from __future__ import annotations

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_rows
from jianwang.enforcement.cases import list_cases

app = typer.Typer(help="Administrative cases.", no_args_is_help=True)


@app.command("list")
def list_cases_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List administrative cases, newest first."""
    with app_context(ctx).transaction() as session:
        rows = [
            {"id": c.id, "number": c.number, "state": c.state.value, "site": c.site.name,
             "operator": c.operator, "detections": len(c.detections), "opened_at": c.created_at}
            for c in list_cases(session)
        ]  # fmt: skip
    emit_rows(
        rows,
        as_json=as_json,
        title="Cases",
        columns=["id", "number", "state", "site", "operator", "detections", "opened"],
        cells=lambda r: tuple(r.values()),
    )
