"""``jianwang evidence``: signed ledger heads, evidence packages and their offline check.

``verify`` opens no database: it is the command a court, a platform or a rights holder runs on a
package they were given, on a machine that has never seen the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jianwang.catalog.actors import Actor, actor_for
from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_result, to_json
from jianwang.errors import UserError
from jianwang.evidence.package import export_package
from jianwang.evidence.signing import public_key_info, seal
from jianwang.evidence.verify import verify_package

app = typer.Typer(
    help="Evidence: export court packages and verify them offline.", no_args_is_help=True
)


@app.command("seal")
def seal_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Sign a head over every ledger entry so far (or show the latest when nothing changed)."""
    app_ctx = app_context(ctx)
    with app_ctx.transaction() as session:
        head = seal(session, app_ctx.settings)
        result = {
            "id": head.id,
            "tree_size": head.tree_size,
            "root_hash": head.root_hash,
            "signed_at": head.signed_at,
            "key_id": head.key_id,
            "signature": head.signature,
        }
    emit_result(
        result,
        as_json=as_json,
        message=f"head {head.id}: {head.tree_size} entries, root {head.root_hash}, "
        f"signed {head.signed_at.isoformat()} by key {head.key_id}",
    )


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Argument(help="New folder for the package, or a file ending in .zip.")
    ],
    case: Annotated[int | None, typer.Option("--case", help="Export this case's evidence.")] = None,
    detection: Annotated[
        int | None, typer.Option("--detection", help="Export this detection's evidence.")
    ] = None,
    with_media: Annotated[
        bool,
        typer.Option("--with-media", help="Include the captured media itself (can be large)."),
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="JIANWANG_USER",
            help="Export on behalf of this user (checked: officers within their region, rights "
            "holders on their own works). Without it the export is the installation operator's, "
            "who holds the data directory anyway.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Seal the ledger and write one case's or one detection's evidence package."""
    if (case is None) == (detection is None):
        raise UserError("give exactly one of --case N or --detection N")
    app_ctx = app_context(ctx)
    with app_ctx.transaction() as session:
        result = export_package(
            session,
            app_ctx.settings,
            case_id=case,
            detection_id=detection,
            out=out.expanduser().resolve(),
            actor=actor_for(session, actor) if actor else Actor.system("operator"),
            include_media=with_media,
        )
    emit_result(
        result,
        as_json=as_json,
        message=f"{result.subject}: {result.entries} ledger entries and {result.artefacts} "
        f"evidence files written to {result.path} (head over {result.tree_size} entries, "
        f"key {result.key_id})",
    )


@app.command("verify")
def verify_cmd(
    package: Annotated[Path, typer.Argument(help="A package folder or .zip.")],
    key_id: Annotated[
        str | None,
        typer.Option("--key-id", help="The signing key id the authority publishes (hex)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check a package offline; exit 0 when it holds, 1 naming each problem when it does not."""
    report = verify_package(package, expected_key_id=key_id)
    if as_json:
        document: dict[str, Any] = {
            "package": report.package,
            "ok": report.ok,
            "subject": report.subject,
            "entries": report.entries,
            "tree_size": report.tree_size,
            "root_hash": report.root_hash,
            "key_id": report.key_id,
            "passed": report.passed,
            "problems": [
                {"check": p.check, "where": p.where, "reason": p.reason} for p in report.problems
            ],
        }
        typer.echo(to_json(document))
    else:
        for line in report.passed:
            typer.echo(f"ok    {line}")
        for problem in report.problems:
            typer.echo(f"FAIL  {problem}")
        if report.ok:
            pinned = "the expected key" if key_id else "its own key (pin it with --key-id)"
            typer.echo(f"{package}: the package holds, signed by {pinned}")
        else:
            typer.echo(f"{package}: {len(report.problems)} problem(s); the package does not hold")
    if not report.ok:
        raise typer.Exit(1)


@app.command("key")
def key_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Print the ledger's public signing key (PEM) and its id, for publication."""
    info = public_key_info(app_context(ctx).settings)
    emit_result(
        {"key_id": info.key_id, "public_key_pem": info.pem, "path": info.path},
        as_json=as_json,
        message=f"key id {info.key_id}\n{info.pem.rstrip()}",
    )
