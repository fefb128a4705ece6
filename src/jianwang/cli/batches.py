"""``jianwang batches``: protection-list batches published by an authority."""

from __future__ import annotations

from typing import Annotated

import typer

from jianwang.catalog import service
from jianwang.catalog.actors import actor_for
from jianwang.cli.context import ActorOption, app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.enforcement.warnings import publish_batch

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


@app.command("publish")
def publish_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the batch.", show_default=False)],
    actor: ActorOption,
    as_json: JsonFlag = False,
) -> None:
    """Publish a batch: a warning notice to every registered platform."""
    with app_context(ctx).transaction() as session:
        notices = publish_batch(
            session, batch=service.get_batch(session, name=name), actor=actor_for(session, actor)
        )
        result = {
            "batch": name,
            "notices": [
                {"id": n.id, "platform": n.site.name if n.site else n.recipient,
                 "licensed": [w["title"] for w in n.content["works"] if w["licensed"]]}
                for n in notices
            ],
        }  # fmt: skip
    emit_result(
        result,
        as_json=as_json,
        message=f"batch {name!r} published: {len(notices)} warning notice(s) sent",
    )
