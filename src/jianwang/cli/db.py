"""``jianwang db``: the database schema."""

from __future__ import annotations

import typer

from jianwang.cli.context import app_context
from jianwang.db import create_db_engine, current_revision, head_revision, upgrade

app = typer.Typer(help="Manage the database schema (upgraded automatically on first use).")


@app.command("upgrade")
def upgrade_cmd(ctx: typer.Context) -> None:
    """Bring the database schema to the newest revision."""
    settings = app_context(ctx).settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.db_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        typer.echo(f"database already at revision {after}")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")


@app.command("current")
def current_cmd(ctx: typer.Context) -> None:
    """Print the schema revision of the database and the newest one known."""
    settings = app_context(ctx).settings
    engine = create_db_engine(settings.db_url)
    try:
        typer.echo(f"current: {current_revision(engine) or 'empty'}")
        typer.echo(f"head:    {head_revision(engine)}")
    finally:
        engine.dispose()
