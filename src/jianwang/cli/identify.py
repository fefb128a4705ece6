"""``jianwang identify``: what protected work is in this file or at this URL?"""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import console, print_table, to_json
from jianwang.detections.identify import Identification, MatchView, identify_input

JSON_FIELDS = (
    "work_id",
    "work",
    "asset",
    "signal",
    "score",
    "query_start",
    "query_end",
    "ref_start",
    "ref_end",
    "speed",
    "pitch_shift",
    "coverage",
    "chapter",
    "source",
)


def as_json_object(result: Identification) -> dict[str, object]:
    """The documented JSON form: one object per input, an empty list when nothing matches."""
    obj: dict[str, object] = {
        "input": result.input,
        "matches": [
            {k: v for k, v in dataclasses.asdict(m).items() if k in JSON_FIELDS}
            for m in result.matches
        ],
    }
    if result.error:
        obj["error"] = result.error
    return obj


def identify(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="Files or http(s) URLs to identify.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per input, one per line.")
    ] = False,
) -> None:
    """Match files or URLs against the protection list and print which works they copy.

    Exit code 0 when every input was read (matched or not), 1 when any input failed.
    """
    app_ctx = app_context(ctx)
    failed = 0
    with app_ctx.transaction() as session:
        indexes = app_ctx.indexes(session)
        for target in inputs:
            result = identify_input(
                target,
                session=session,
                indexes=indexes,
                registry=app_ctx.registry,
                limits=app_ctx.limits,
                settings=app_ctx.settings,
            )
            if result.error:
                failed += 1
                typer.echo(f"error: {result.error}", err=True)
            if as_json:
                typer.echo(to_json(as_json_object(result)))
            elif not result.error:
                _print_human(result)
    if failed:
        raise typer.Exit(1)


def _print_human(result: Identification) -> None:
    if not result.matches:
        console().print(f"{result.input}: no match")
        return
    print_table(
        f"{result.input}: {len(result.matches)} match(es)",
        [
            "work",
            "asset",
            "signal",
            "score",
            "capture span",
            "reference span",
            "speed",
            "pitch",
            "chapter, coverage",
        ],
        [
            (
                m.work,
                m.asset,
                m.signal,
                f"{m.score:g}",
                f"{m.query_start:g}-{m.query_end:g}",
                f"{m.ref_start:g}-{m.ref_end:g}",
                f"{m.speed:g}",
                "-" if m.pitch_shift is None else f"{m.pitch_shift:+.2f} st",
                _text_place(m),
            )
            for m in result.matches
        ],
    )


def _text_place(m: MatchView) -> str:
    """``第二章 …, 87 %``: the chapter a text match falls in and how much of the reference it
    covers; ``-`` for other media."""
    parts = [p for p in (m.chapter, None if m.coverage is None else f"{m.coverage:.0%}") if p]
    return ", ".join(parts) or "-"
