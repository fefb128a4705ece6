"""``jianwang detections``: what was found, and its review."""

from __future__ import annotations

from typing import Annotated

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_rows
from jianwang.db.models import DetectionStatus
from jianwang.detections.service import list_detections

app = typer.Typer(help="List detections.", no_args_is_help=True)

STATUS_HELP = "Only this status: " + ", ".join(s.value for s in DetectionStatus) + "."


@app.command("list")
def list_detections_cmd(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=STATUS_HELP)] = None,
    as_json: JsonFlag = False,
) -> None:
    """List detections, newest first."""
    try:
        wanted = DetectionStatus(status) if status else None
    except ValueError:
        raise typer.BadParameter(f"unknown status {status!r}", param_hint="--status") from None
    with app_context(ctx).transaction() as session:
        rows = list_detections(session, status=wanted)
    emit_rows(
        rows,
        as_json=as_json,
        title="Detections",
        columns=["id", "work", "site", "url", "signal", "score", "capture span", "ref span",
                 "status"],
        cells=lambda r: (r.id, r.work, r.site, r.url, r.signal, r.score,
                         f"{r.query_start:g}-{r.query_end:g}", f"{r.ref_start:g}-{r.ref_end:g}",
                         r.status),
    )  # fmt: skip
