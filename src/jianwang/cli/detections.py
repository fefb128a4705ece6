"""``jianwang detections``: what was found, and its review.

Confirming and rejecting name their actor (``--as``) and a reason; the services check the actor's
rights over each detection and refuse before anything changes.
"""

from __future__ import annotations

from typing import Annotated

import typer

from jianwang.catalog.actors import actor_for
from jianwang.catalog.service import find_site, find_work
from jianwang.cli.context import ActorOption, app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.db.models import DetectionStatus
from jianwang.detections.review import (
    AllowKind,
    confirm,
    list_allow_rules,
    reject,
    review_queue,
)
from jianwang.detections.service import list_detections
from jianwang.errors import UserError

app = typer.Typer(help="Detections and their review.", no_args_is_help=True)

STATUS_HELP = "Only this status: " + ", ".join(s.value for s in DetectionStatus) + "."
IdsArgument = Annotated[list[int], typer.Argument(help="Detection ids.", show_default=False)]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why; kept in the evidence ledger.")]


@app.command("list")
def list_detections_cmd(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=STATUS_HELP)] = None,
    as_json: JsonFlag = False,
) -> None:
    """List detections, newest first."""
    try:
        wanted = DetectionStatus(status) if status else None
    except ValueError:
        raise typer.BadParameter(f"unknown status {status!r}", param_hint="--status") from None
    with app_context(ctx).transaction() as session:
        rows = list_detections(session, status=wanted)
    emit_rows(
        rows,
        as_json=as_json,
        title="Detections",
        columns=["id", "work", "site", "url", "signal", "score", "capture span", "ref span",
                 "status"],
        cells=lambda r: (r.id, r.work, r.site, r.url, r.signal, r.score,
                         f"{r.query_start:g}-{r.query_end:g}", f"{r.ref_start:g}-{r.ref_end:g}",
                         r.status),
    )  # fmt: skip


@app.command("review")
def review_cmd(
    ctx: typer.Context,
    actor: ActorOption,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    work: Annotated[str | None, typer.Option("--work", help="Only this work.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The review queue: detections waiting for a reviewer that you may review, oldest first."""
    with app_context(ctx).transaction() as session:
        who = actor_for(session, actor)
        rows = review_queue(
            session,
            actor=who,
            site_id=find_site(session, site).id if site else None,
            work_id=find_work(session, work).id if work else None,
        )
    emit_rows(
        rows,
        as_json=as_json,
        title="Review queue",
        columns=["id", "work", "site", "url", "signal", "score", "captured", "reason"],
        cells=lambda r: (r.id, r.work, r.site, r.media_url or r.page_url, r.signal, r.score,
                         r.captured_at, r.reason),
    )  # fmt: skip


@app.command("confirm")
def confirm_cmd(
    ctx: typer.Context,
    ids: IdsArgument,
    actor: ActorOption,
    reason: ReasonOption,
    as_json: JsonFlag = False,
) -> None:
    """Confirm detections as infringing copies."""
    with app_context(ctx).transaction() as session:
        done = confirm(session, detection_ids=ids, actor=actor_for(session, actor), reason=reason)
        result = {"confirmed": [d.id for d in done]}
    emit_result(result, as_json=as_json, message=f"confirmed {len(done)} detection(s)")


@app.command("reject")
def reject_cmd(
    ctx: typer.Context,
    ids: IdsArgument,
    actor: ActorOption,
    reason: ReasonOption,
    allow: Annotated[
        str | None,
        typer.Option(
            "--allow",
            help="'work-site': allow each rejected work on its site from now on, so the same "
            "match is set aside instead of reviewed again.",
        ),
    ] = None,
    allow_url: Annotated[
        str | None,
        typer.Option(
            "--allow-url",
            help="Allow pages whose page or media URL matches this glob, e.g. "
            "'https://example.com/trailers/*'.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Reject detections as false positives, optionally with an allow rule."""
    if allow is not None and allow != "work-site":
        raise UserError(f"--allow takes 'work-site' (use --allow-url GLOB for URLs), not {allow!r}")
    if allow is not None and allow_url is not None:
        raise UserError("give --allow work-site or --allow-url, not both")
    kind: AllowKind | None = "work-site" if allow else ("url" if allow_url else None)
    with app_context(ctx).transaction() as session:
        rules = reject(
            session,
            detection_ids=ids,
            actor=actor_for(session, actor),
            reason=reason,
            allow=kind,
            url_pattern=allow_url,
        )
        result = {"rejected": list(dict.fromkeys(ids)), "allow_rules": [r.id for r in rules]}
    emit_result(
        result,
        as_json=as_json,
        message=f"rejected {len(result['rejected'])} detection(s); "
        f"{len(rules)} allow rule(s) in force",
    )


@app.command("allow-rules")
def allow_rules_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the allow rules: matches set aside for good."""
    with app_context(ctx).transaction() as session:
        rows = list_allow_rules(session)
    emit_rows(
        rows,
        as_json=as_json,
        title="Allow rules",
        columns=["id", "work", "site", "URL pattern", "reason", "by", "from detection"],
        cells=lambda r: (r.id, r.work, r.site, r.url_pattern, r.reason, r.created_by,
                         r.detection_id),
    )  # fmt: skip
