"""``jianwang candidates``: domains sweeps found outside the registry, for an officer to add."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.monitoring import candidates as service
from jianwang.monitoring import hosting
from jianwang.pipeline.candidates import probe_candidates

app = typer.Typer(help="Candidate pirate sites found beyond the registry.", no_args_is_help=True)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Annotated[
        str, typer.Option("--status", help="pending, added, dismissed, linked or all.")
    ] = "pending",
    min_score: Annotated[float, typer.Option("--min-score", min=0.0, max=1.0)] = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Candidates, best first, with why each looks like a pirate site."""
    with app_context(ctx).transaction() as session:
        rows = service.list_candidates(
            session, status=None if status == "all" else status, min_score=min_score
        )
    emit_rows(
        rows,
        as_json=as_json,
        title="Candidate sites",
        columns=["domain", "score", "status", "linked from", "why"],
        cells=lambda r: (
            r.domain,
            f"{r.score:.2f}",
            r.status,
            ", ".join(str(s) for s in r.linked_from),
            ", ".join(f"{k}={v}" for k, v in r.reasons.items())[:80],
        ),
    )


@app.command("probe")
def probe_cmd(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Look at the home page of the best pending candidates not looked at yet and score them:
    protected titles named with distribution cues, media served, template shared with a
    registered site."""
    app_ctx = app_context(ctx)
    results = probe_candidates(app_ctx.sessions, settings=app_ctx.settings, limit=limit)
    emit_rows(
        results,
        as_json=as_json,
        title="Candidates probed",
        columns=["domain", "score", "titles", "media", "template", "error"],
        cells=lambda r: (
            r.domain,
            f"{r.score:.2f}",
            r.titles,
            r.media,
            f"{r.similarity:.2f}",
            (r.error or "")[:50],
        ),
    )


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    domain: Annotated[str, typer.Argument(help="The candidate's domain.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Site name; default the domain.")
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="Site kind.")] = "link",
    as_json: JsonFlag = False,
) -> None:
    """Add a candidate to the registry (swept from its home page from now on)."""
    with app_context(ctx).transaction() as session:
        site = service.add_candidate(session, domain=domain, name=name, kind=kind)
        result = {"id": site.id, "name": site.name, "seeds": list(site.seeds)}
    emit_result(result, as_json=as_json, message=f"added site {result['id']}: {result['name']}")


@app.command("dismiss")
def dismiss_cmd(
    ctx: typer.Context,
    domain: Annotated[str, typer.Argument(help="The candidate's domain.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is not a pirate site.")],
    as_json: JsonFlag = False,
) -> None:
    """Set a candidate aside; it stays dismissed when sweeps meet it again."""
    with app_context(ctx).transaction() as session:
        row = service.dismiss_candidate(session, domain=domain, reason=reason)
    emit_result(
        {"domain": row.domain, "status": row.status},
        as_json=as_json,
        message=f"dismissed {row.domain}",
    )


@app.command("operator")
def operator_cmd(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="Site id or name.")],
    as_json: JsonFlag = False,
) -> None:
    """Who runs a site: its domains over time and what its pages state (filing numbers,
    contacts, payment and membership pages, advertising networks)."""
    with app_context(ctx).transaction() as session:
        record = service.operator_record(session, site=site)
    if as_json:
        emit_result(record, as_json=True, message="")
        return
    emit_rows(
        record.domains,
        as_json=False,
        title=f"{record.site}: domains (ICP {record.icp_number or '-'})",
        columns=["domain", "source", "first seen", "last seen"],
        cells=lambda d: (d["domain"], d["source"], d["first_seen"], d["last_seen"]),
    )
    emit_rows(
        record.facts,
        as_json=False,
        title=f"{record.site}: facts its pages state",
        columns=["kind", "value", "seen", "page"],
        cells=lambda f: (f["kind"], f["value"], f["times_seen"], f["page_url"]),
    )


@app.command("networks")
def networks_cmd(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="TSV: range start, range end, AS number, country, AS name.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Import an IP-to-network table (replacing the last one); sweeps then name the network
    hosting each address a site resolves to."""
    with app_context(ctx).transaction() as session:
        count = hosting.import_networks(session, path)
    emit_result({"ranges": count}, as_json=as_json, message=f"imported {count} network ranges")
