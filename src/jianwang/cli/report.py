"""``jianwang report``: campaign figures as tables, CSV, JSON, HTML and PDF."""

from __future__ import annotations

import typer

app = typer.Typer(help="Campaign reports.", no_args_is_help=True)
