"""The root of the ``jianwang`` command: global options, logging, and error handling.

A ``UserError`` becomes one line on standard error and its exit code; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.logging import RichHandler
from typer.exceptions import TyperException

from jianwang import __version__
from jianwang.cli import (
    batches,
    bench,
    candidates,
    cases,
    cluster,
    db,
    demo,
    detections,
    evidence,
    identify,
    jobs,
    licences,
    monitor,
    notices,
    report,
    sandbox,
    serve,
    sites,
    users,
    works,
)
from jianwang.cli.context import AppContext
from jianwang.config import DEFAULT_DATA_DIR, Settings
from jianwang.errors import UserError

log = logging.getLogger("jianwang")

app = typer.Typer(
    name="jianwang",
    help="Find unlicensed copies of protected works on streaming and download sites, "
    "and carry each finding through to enforcement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(works.app, name="works")
app.add_typer(licences.app, name="licences")
app.add_typer(batches.app, name="batches")
app.add_typer(sites.app, name="sites")
app.add_typer(monitor.app, name="monitor")
app.add_typer(candidates.app, name="candidates")
app.add_typer(detections.app, name="detections")
app.add_typer(cases.app, name="cases")
app.add_typer(notices.app, name="notices")
app.add_typer(evidence.app, name="evidence")
app.add_typer(report.app, name="report")
app.add_typer(users.app, name="users")
app.add_typer(users.authorities_app, name="authorities")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(db.app, name="db")
app.add_typer(bench.app, name="bench")
app.add_typer(jobs.app, name="jobs")
app.command("identify")(identify.identify)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("scheduler")(cluster.scheduler)
app.command("worker")(cluster.worker)


def configure_logging(verbose: bool) -> None:
    """Log to standard error: warnings by default (results go to standard output, progress to
    standard error), everything down to DEBUG with --verbose."""
    handler = RichHandler(
        console=Console(stderr=True),
        show_path=verbose,
        rich_tracebacks=False,
        markup=False,
        show_time=verbose,
    )
    # The handler filters too: some libraries (Dask's distributed) set their loggers' levels
    # themselves when first imported, after this runs.
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    log.setLevel(logging.DEBUG if verbose else logging.WARNING)
    # Keep libraries quiet unless asked.
    for noisy in ("httpx", "httpcore", "alembic", "libav", "distributed", "bokeh", "tornado"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jianwang {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="JIANWANG_DATA_DIR",
            help=f"Where the database, indexes and captured content live "
            f"(default: {DEFAULT_DATA_DIR}).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Global options come before the command: jianwang [--data-dir DIR] [--verbose] COMMAND."""
    configure_logging(verbose)
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir.expanduser().resolve()
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise UserError(f"invalid setting {where}: {first['msg']}") from None
    app_ctx = AppContext(settings=settings, verbose=verbose)
    ctx.obj = app_ctx
    ctx.call_on_close(app_ctx.close)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script exits with it)."""
    command = typer.main.get_command(app)
    try:
        # Without standalone mode the command's Exit comes back as the return value.
        returned = command.main(args=argv, prog_name="jianwang", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    return returned if isinstance(returned, int) else 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(run())
