"""``jianwang licences``: which site may carry which work, where and until when."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from jianwang.catalog import service
from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.cli.works import _parse_date

app = typer.Typer(
    help="Record licences: a match on a licensed site is not an infringement.", no_args_is_help=True
)


@app.command("add")
def add(
    ctx: typer.Context,
    work: Annotated[str, typer.Option("--work", help="Work id or exact title.")],
    site: Annotated[str, typer.Option("--site", help="Licensed site: id, name or domain.")],
    start: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: today).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--until", help="Last day, YYYY-MM-DD (default: open-ended).")
    ] = None,
    territory: Annotated[str, typer.Option("--territory", help="Region code, * for all.")] = "*",
    as_json: JsonFlag = False,
) -> None:
    """Record that a site may carry a work."""
    starts_on = _parse_date(start, "--from") if start else date.today()
    ends_on = _parse_date(end, "--until") if end else None
    with app_context(ctx).transaction() as session:
        licence = service.add_licence(
            session,
            work=work,
            site=site,
            starts_on=starts_on,
            ends_on=ends_on,
            territory=territory,
        )
        result = {
            "id": licence.id,
            "work_id": licence.work_id,
            "site_id": licence.site_id,
            "territory": licence.territory,
            "from": starts_on,
            "until": ends_on,
        }
    emit_result(result, as_json=as_json, message=f"licence {result['id']} recorded")


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List licences."""
    with app_context(ctx).transaction() as session:
        rows = service.list_licences(session)
    emit_rows(
        rows,
        as_json=as_json,
        title="Licences",
        columns=["id", "work", "site", "territory", "from", "until"],
        cells=lambda r: (r.id, r.work, r.site, r.territory, r.starts_on, r.ends_on),
    )
