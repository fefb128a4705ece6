"""``jianwang evidence``: signed ledger heads, evidence packages and their offline check."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Evidence: export court packages and verify them offline.", no_args_is_help=True
)
