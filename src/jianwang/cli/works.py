"""``jianwang works``: the protection list's works and their reference media."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, TextColumn

from jianwang.catalog import service
from jianwang.catalog.index_versions import publish
from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.db.models import WorkKind

app = typer.Typer(help="Register protected works with their reference media.", no_args_is_help=True)

KIND_HELP = "One of: " + ", ".join(k.value for k in WorkKind) + "."


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="Title of the work.")],
    kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)],
    rights_holder: Annotated[
        str, typer.Option("--rights-holder", help="Name of the rights holder (created if new).")
    ],
    reference: Annotated[
        list[Path] | None,
        typer.Option(
            "--reference",
            help="Reference media or text file; repeat for several. Without any, the work is "
            "protected by its title and aliases only.",
        ),
    ] = None,
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", help="Another name (translation, abbreviation); repeatable."),
    ] = None,
    protected_until: Annotated[
        str | None, typer.Option("--protected-until", help="YYYY-MM-DD")
    ] = None,
    proof: Annotated[str | None, typer.Option("--proof", help="Proof of rights.")] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="Protection-list batch.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register one work and fingerprint its reference files."""
    app_ctx = app_context(ctx)
    until = _parse_date(protected_until, "--protected-until") if protected_until else None
    with app_ctx.transaction() as session:
        indexes = app_ctx.indexes(session)
        work = service.add_work(
            session,
            title=title,
            kind=kind,
            rights_holder=rights_holder,
            references=reference or [],
            aliases=alias or [],
            indexes=indexes,
            store=app_ctx.store,
            registry=app_ctx.registry,
            limits=app_ctx.limits,
            proof_of_rights=proof,
            protected_until=until,
            batch=batch,
        )
        result = {"id": work.id, "title": work.title, "assets": [a.name for a in work.assets]}
    publish(indexes)  # saved, and published as a new version for workers
    emit_result(
        result,
        as_json=as_json,
        message=f"registered work {result['id']}: {result['title']} "
        f"({len(reference or [])} file(s), {len(alias or [])} alias(es))",
    )


@app.command("aliases")
def aliases_cmd(
    ctx: typer.Context,
    work: Annotated[str, typer.Argument(help="Work id or title.")],
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", help="A name; repeatable. None given: the aliases are cleared."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Replace a work's aliases (other titles, translations, abbreviations used in listings)."""
    app_ctx = app_context(ctx)
    with app_ctx.transaction() as session:
        row = service.set_aliases(session, work=work, aliases=alias or [])
        names = list(row.aliases)
        result = {"id": row.id, "title": row.title, "aliases": names}
    emit_result(
        result,
        as_json=as_json,
        message=f"work {result['id']} {result['title']}: {', '.join(names) or '-'}",
    )


@app.command("import")
def import_dir(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder of media or text files.")],
    kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)],
    rights_holder: Annotated[
        str, typer.Option("--rights-holder", help="Rights holder of every imported work.")
    ] = "unknown",
    batch: Annotated[str | None, typer.Option("--batch", help="Protection-list batch.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register one work per file in DIRECTORY, titled by its file name (all or nothing)."""
    app_ctx = app_context(ctx)
    with (
        app_ctx.transaction() as session,
        Progress(
            *Progress.get_default_columns(),
            TextColumn("{task.fields[name]}"),
            console=Console(stderr=True),
            transient=True,
        ) as progress,
    ):
        indexes = app_ctx.indexes(session)
        task = progress.add_task("fingerprinting", total=None, name="")

        def show(path: Path, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, name=path.name)

        works = service.import_works(
            session,
            directory=directory,
            kind=kind,
            rights_holder=rights_holder,
            indexes=indexes,
            store=app_ctx.store,
            registry=app_ctx.registry,
            limits=app_ctx.limits,
            batch=batch,
            on_file=show,
        )
        result = [{"id": w.id, "title": w.title} for w in works]
    publish(indexes)  # saved, and published as a new version for workers
    emit_result(result, as_json=as_json, message=f"imported {len(result)} work(s) from {directory}")


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the registered works."""
    with app_context(ctx).transaction() as session:
        rows = service.list_works(session)
    emit_rows(
        rows,
        as_json=as_json,
        title="Works",
        columns=[
            "id",
            "title",
            "kind",
            "rights holder",
            "assets",
            "batch",
            "licences",
            "protected until",
        ],
        cells=lambda r: (
            r.id,
            r.title,
            r.kind,
            r.rights_holder,
            r.assets,
            r.batch,
            r.licences,
            r.protected_until,
        ),
    )


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None
