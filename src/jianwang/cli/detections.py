"""``jianwang detections``, ``cases`` and ``notices``: what was found and what was done about it."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from jianwang.cli.context import app_context
from jianwang.cli.output import print_table, to_json
from jianwang.db.models import Capture, Detection, DetectionStatus, Site
from jianwang.enforcement.cases import list_cases
from jianwang.enforcement.notices import list_notices

app = typer.Typer(help="List detections.", no_args_is_help=True)
cases_app = typer.Typer(help="Administrative cases.", no_args_is_help=True)
notices_app = typer.Typer(help="Takedown and warning notices.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON list.")]


@app.command("list")
def list_detections(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only this status: " + ", ".join(s.value for s in DetectionStatus) + ".",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List detections, newest first."""
    with app_context(ctx).transaction() as session:
        query = (
            select(Detection, Capture, Site)
            .join(Capture, Detection.capture_id == Capture.id)
            .join(Site, Capture.site_id == Site.id)
            .order_by(Detection.id.desc())
        )
        if status:
            try:
                query = query.where(Detection.status == DetectionStatus(status))
            except ValueError:
                raise typer.BadParameter(
                    f"unknown status {status!r}", param_hint="--status"
                ) from None
        rows = [
            {
                "id": d.id,
                "work": d.work.title,
                "site": s.name,
                "url": c.media_url or c.page_url,
                "signal": d.signal,
                "score": d.score,
                "query_start": d.query_start,
                "query_end": d.query_end,
                "ref_start": d.ref_start,
                "ref_end": d.ref_end,
                "speed": d.speed,
                "status": d.status.value,
            }
            for d, c, s in session.execute(query).all()
        ]
    if as_json:
        typer.echo(to_json(rows))
        return
    print_table(
        "Detections",
        ["id", "work", "site", "url", "signal", "score", "capture span", "ref span", "status"],
        [
            (
                r["id"],
                r["work"],
                r["site"],
                r["url"],
                r["signal"],
                r["score"],
                f"{r['query_start']:g}-{r['query_end']:g}",
                f"{r['ref_start']:g}-{r['ref_end']:g}",
                r["status"],
            )
            for r in rows
        ],
    )


@cases_app.command("list")
def list_cases_cmd(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List administrative cases, newest first."""
    with app_context(ctx).transaction() as session:
        rows = [
            {
                "id": c.id,
                "number": c.number,
                "state": c.state.value,
                "site": c.site.name,
                "operator": c.operator,
                "detections": len(c.detections),
                "opened_at": c.created_at,
            }
            for c in list_cases(session)
        ]
    if as_json:
        typer.echo(to_json(rows))
        return
    print_table(
        "Cases",
        ["id", "number", "state", "site", "operator", "detections", "opened"],
        [tuple(r.values()) for r in rows],
    )


@notices_app.command("list")
def list_notices_cmd(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List notices, newest first."""
    with app_context(ctx).transaction() as session:
        rows = [
            {
                "id": n.id,
                "kind": n.kind.value,
                "recipient": n.recipient,
                "site": n.site.name if n.site else None,
                "status": n.status.value,
                "works": n.content.get("works", []),
                "urls": n.content.get("infringing_urls", []),
                "deadline_at": n.deadline_at,
            }
            for n in list_notices(session)
        ]
    if as_json:
        typer.echo(to_json(rows))
        return
    print_table(
        "Notices",
        ["id", "kind", "recipient", "site", "status", "works", "urls", "deadline"],
        [
            (
                r["id"],
                r["kind"],
                r["recipient"],
                r["site"],
                r["status"],
                ", ".join(r["works"]),
                len(r["urls"]),
                r["deadline_at"],
            )
            for r in rows
        ],
    )
