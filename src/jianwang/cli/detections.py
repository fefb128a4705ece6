"""``jianwang detections``, ``cases`` and ``notices``: what was found and what was done about it."""

from __future__ import annotations

from typing import Annotated

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_rows
from jianwang.db.models import DetectionStatus
from jianwang.detections.service import list_detections
from jianwang.enforcement.cases import list_cases
from jianwang.enforcement.notices import list_notices

app = typer.Typer(help="List detections.", no_args_is_help=True)
cases_app = typer.Typer(help="Administrative cases.", no_args_is_help=True)
notices_app = typer.Typer(help="Takedown and warning notices.", no_args_is_help=True)

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


@cases_app.command("list")
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


@notices_app.command("list")
def list_notices_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List notices, newest first."""
    with app_context(ctx).transaction() as session:
        rows = [
            {"id": n.id, "kind": n.kind.value, "recipient": n.recipient,
             "site": n.site.name if n.site else None, "status": n.status.value,
             "works": n.content.get("works", []), "urls": n.content.get("infringing_urls", []),
             "deadline_at": n.deadline_at}
            for n in list_notices(session)
        ]  # fmt: skip
    emit_rows(
        rows,
        as_json=as_json,
        title="Notices",
        columns=["id", "kind", "recipient", "site", "status", "works", "URLs", "deadline"],
        cells=lambda r: (r["id"], r["kind"], r["recipient"], r["site"], r["status"],
                         ", ".join(r["works"]), len(r["urls"]), r["deadline_at"]),
    )  # fmt: skip
