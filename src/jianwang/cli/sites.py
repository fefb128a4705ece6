"""``jianwang sites``: the registry of monitored sites."""

from __future__ import annotations

from typing import Annotated

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.db.models import SiteKind
from jianwang.monitoring import sites as service

app = typer.Typer(help="Register and list monitored sites.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Unique name of the site.")],
    kind: Annotated[
        str, typer.Option("--kind", help="One of: " + ", ".join(k.value for k in SiteKind) + ".")
    ],
    seed: Annotated[list[str], typer.Option("--seed", help="Start URL; repeat for several.")],
    domain: Annotated[
        list[str] | None,
        typer.Option("--domain", help="Extra allowed host[:port]; seeds' hosts are included."),
    ] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="Who runs it.")] = None,
    icp: Annotated[str | None, typer.Option("--icp", help="ICP filing number.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Region code.")] = None,
    max_pages: Annotated[int, typer.Option("--max-pages", help="Pages per sweep.")] = 200,
    max_depth: Annotated[int, typer.Option("--max-depth", help="Link depth from seeds.")] = 4,
    ignore_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="Do not honour robots.txt on this site.")
    ] = False,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", help="Sweep interval for `monitor start`: 30m, 6h, 1d..."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option("--rate", help="Requests per second to each of its hosts (default: setting)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a site to monitor."""
    with app_context(ctx).transaction() as session:
        site = service.add_site(
            session,
            name=name,
            kind=kind,
            seeds=seed,
            domains=domain or [],
            operator=operator,
            icp_number=icp,
            region=region,
            max_pages=max_pages,
            max_depth=max_depth,
            respect_robots=not ignore_robots,
            schedule=schedule,
            rate_per_s=rate,
        )
        result = {"id": site.id, "name": site.name, "domains": site.domains}
    emit_result(
        result,
        as_json=as_json,
        message=f"site {result['id']} {result['name']!r} registered ({', '.join(site.domains)})",
    )


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List registered sites."""
    with app_context(ctx).transaction() as session:
        rows = service.list_sites(session)
    emit_rows(
        rows,
        as_json=as_json,
        title="Sites",
        columns=["id", "name", "kind", "status", "domains", "region", "operator", "last sweep"],
        cells=lambda r: (
            r.id,
            r.name,
            r.kind,
            r.status,
            ", ".join(r.domains),
            r.region,
            r.operator,
            r.last_sweep_at,
        ),
    )
