"""``jianwang batches``: protection-list batches published by an authority."""

from __future__ import annotations

from typing import Annotated

import typer

from jianwang.catalog import service
from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows

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
    as_json: JsonFlag = False,
) -> None:
    """Create a protection-list batch and put works on it."""
    with app_context(ctx).transaction() as session:
        batch = service.add_batch(session, name=name, works=work or [], note=note)
        result = {"id": batch.id, "name": batch.name, "works": len(batch.works)}
    emit_result(
        result,
        as_json=as_json,
        message=f"batch {result['id']} {result['name']!r} with {result['works']} work(s)",
    )


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List protection-list batches."""
    with app_context(ctx).transaction() as session:
        rows = service.list_batches(session)
    emit_rows(
        rows,
        as_json=as_json,
        title="Protection-list batches",
        columns=["id", "name", "published", "works"],
        cells=lambda r: (r.id, r.name, r.published_at, r.works),
    )
