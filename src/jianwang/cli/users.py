"""``jianwang users`` and ``jianwang authorities``: who acts, and where."""

from __future__ import annotations

import typer

app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
authorities_app = typer.Typer(help="Copyright authorities and their regions.", no_args_is_help=True)
