"""``jianwang report``: campaign figures as tables, CSV, JSON, HTML and PDF."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import print_table
from jianwang.errors import UserError
from jianwang.reports import export
from jianwang.reports.campaign import CampaignReport, campaign_report, parse_day

log = logging.getLogger(__name__)

app = typer.Typer(help="Campaign reports.", no_args_is_help=True)


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


def _print_tables(report: CampaignReport) -> None:
    for section in export.sections(report):
        print_table(
            section.heading, section.columns, [(r.label, r.value or None) for r in section.rows]
        )


def _write(report: CampaignReport, fmt: ReportFormat, out: Path) -> None:
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: folder {out.parent} does not exist")
    try:
        if fmt is ReportFormat.PDF:
            export.write_pdf(report, out)
        elif fmt is ReportFormat.CSV:
            out.write_text(export.to_csv(report), encoding="utf-8", newline="")
        elif fmt is ReportFormat.JSON:
            out.write_text(export.to_json(report), encoding="utf-8")
        else:
            out.write_text(export.to_html(report), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write ({exc.strerror or exc})") from exc
    log.info("campaign report written to %s", out)


@app.command("campaign")
def campaign(
    ctx: typer.Context,
    start: Annotated[
        str, typer.Option("--from", help="First day of the period, YYYY-MM-DD (UTC, inclusive).")
    ],
    end: Annotated[
        str, typer.Option("--to", help="Last day of the period, YYYY-MM-DD (UTC, inclusive).")
    ],
    authority: Annotated[
        str | None,
        typer.Option(
            "--authority",
            help="Only this authority's reach: its cases and those of authorities inside its "
            "region, and sites in its region. A national authority covers everything.",
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table, csv, json, html or pdf.")
    ] = ReportFormat.TABLE,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File to write. Without it csv, json and html go to standard output; pdf "
            "needs --out; table always prints to the terminal.",
        ),
    ] = None,
) -> None:
    """Campaign figures for a period: cases investigated, sites shut down, fines, referrals,
    the protection list, detections and notices (definitions in reports/campaign.py)."""
    first = parse_day(start, option="--from")
    last = parse_day(end, option="--to")
    if fmt is ReportFormat.PDF and out is None:
        raise UserError("--format pdf writes a file: give --out FILE.pdf")
    if fmt is ReportFormat.TABLE and out is not None:
        raise UserError(
            "--format table prints to the terminal; use csv, json, html or pdf with --out"
        )
    with app_context(ctx).transaction() as session:
        report = campaign_report(session, start=first, end=last, authority=authority)
    if out is not None:
        _write(report, fmt, out)
        typer.echo(f"campaign report ({fmt.value}) written to {out}")
    elif fmt is ReportFormat.TABLE:
        _print_tables(report)
    elif fmt is ReportFormat.CSV:
        typer.echo(export.to_csv(report), nl=False)
    elif fmt is ReportFormat.JSON:
        typer.echo(export.to_json(report), nl=False)
    else:
        typer.echo(export.to_html(report), nl=False)
