"""``jianwang batches``: protection-list batches published by an authority."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import func, select

from jianwang.catalog import service
from jianwang.cli.context import app_context
from jianwang.cli.output import print_table, to_json
from jianwang.db.models import ProtectionBatch, Work

app = typer.Typer(
    help="Protection-list batches: the works platforms must not carry unlicensed.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Name of the batch.")],
    work: Annotated[
        list[str] | None, typer.Option("--work", help="Work id or title; repeat for several.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free text.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Create a protection-list batch and put works on it."""
    with app_context(ctx).transaction() as session:
        batch = service.add_batch(session, name=name, works=work or [], note=note)
        result = {"id": batch.id, "name": batch.name, "works": len(batch.works)}
    if as_json:
        typer.echo(to_json(result))
    else:
        typer.echo(f"batch {result['id']} {result['name']!r} with {result['works']} work(s)")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List protection-list batches."""
    with app_context(ctx).transaction() as session:
        counts = dict(
            session.execute(select(Work.batch_id, func.count()).group_by(Work.batch_id)).all()
        )
        rows = [
            {
                "id": b.id,
                "name": b.name,
                "published_at": b.published_at,
                "works": counts.get(b.id, 0),
            }
            for b in session.scalars(select(ProtectionBatch).order_by(ProtectionBatch.id))
        ]
    if as_json:
        typer.echo(to_json(rows))
        return
    print_table(
        "Protection-list batches",
        ["id", "name", "published", "works"],
        [tuple(r.values()) for r in rows],
    )
