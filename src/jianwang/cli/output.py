"""Printing results: rich tables for people, one JSON document per line for scripts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(value: Any) -> str:
    """Compact JSON for dataclasses, dates, decimals and enums; UTF-8 kept readable."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.dumps(value, ensure_ascii=False, default=_default)


def console() -> Console:
    """The console results go to (standard output)."""
    return Console(soft_wrap=False)


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A titled table; ``None`` shows as a dash."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("-" if cell is None else str(cell) for cell in row))
    console().print(table)


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def emit_rows(
    rows: Sequence[Any],
    *,
    as_json: bool,
    title: str,
    columns: Sequence[str],
    cells: Callable[[Any], Sequence[Any]],
) -> None:
    """A JSON list for scripts, or a titled table whose row cells ``cells`` picks out."""
    if as_json:
        typer.echo(to_json(list(rows)))
    else:
        print_table(title, columns, [cells(row) for row in rows])


def emit_result(result: Any, *, as_json: bool, message: str) -> None:
    """One JSON object for scripts, or one line for people."""
    typer.echo(to_json(result) if as_json else message)
