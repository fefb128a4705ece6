"""``jianwang notices``: takedown and warning notices, from draft to follow-up.

Each step names its actor (``--as``); the services check the actor's rights over the notice's
detections and the notice's state, and refuse before anything changes.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from jianwang.catalog.actors import actor_for
from jianwang.catalog.service import find_site
from jianwang.cli.context import ActorOption, app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.db.models import Notice
from jianwang.detections.review import load_detections
from jianwang.enforcement.notices import (
    draft_takedown_notices,
    escalate_notice,
    get_notice,
    list_notices,
    notice_data,
    noticeable,
    record_counter_notice,
    render_notice_html,
    send_notice,
    write_notice_pdf,
)
from jianwang.errors import UserError

app = typer.Typer(help="Takedown and warning notices.", no_args_is_help=True)

IdArgument = Annotated[int, typer.Argument(help="Notice id.", show_default=False)]


class Format(enum.StrEnum):
    HTML = "html"
    PDF = "pdf"
    JSON = "json"


def _row(notice: Notice) -> dict[str, Any]:
    works = notice.content.get("works", [])
    return {
        "id": notice.id,
        "kind": notice.kind.value,
        "recipient": notice.recipient,
        "site": notice.site.name if notice.site else None,
        "status": notice.status.value,
        "works": [w["title"] if isinstance(w, dict) else w for w in works],
        "urls": notice.content.get("infringing_urls", []),
        "sent_at": notice.sent_at,
        "deadline_at": notice.deadline_at,
        "case_id": notice.case_id,
    }


@app.command("list")
def list_notices_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List notices, newest first."""
    with app_context(ctx).transaction() as session:
        rows = [_row(n) for n in list_notices(session)]
    emit_rows(
        rows,
        as_json=as_json,
        title="Notices",
        columns=["id", "kind", "recipient", "site", "status", "works", "URLs", "deadline"],
        cells=lambda r: (r["id"], r["kind"], r["recipient"], r["site"], r["status"],
                         ", ".join(r["works"]), len(r["urls"]), r["deadline_at"]),
    )  # fmt: skip


@app.command("draft")
def draft_cmd(
    ctx: typer.Context,
    site: Annotated[str, typer.Option("--site", help="Site id, name or domain.")],
    actor: ActorOption,
    detection: Annotated[
        list[int] | None,
        typer.Option(
            "--detection",
            help="Only these confirmed detections (repeat); default: every confirmed detection "
            "on the site not yet in a running notice that you may give notice of.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Draft takedown notices (one per rights holder) for confirmed detections on a site."""
    app_ctx = app_context(ctx)
    with app_ctx.transaction() as session:
        who = actor_for(session, actor)
        target = find_site(session, site)
        chosen = (
            load_detections(session, detection)
            if detection
            else noticeable(session, site=target, actor=who)
        )
        notices = draft_takedown_notices(
            session, site=target, detections=chosen, actor=who, settings=app_ctx.settings
        )
        rows = [_row(n) for n in notices]
    emit_rows(
        rows,
        as_json=as_json,
        title="Drafted notices",
        columns=["id", "recipient", "works", "URLs"],
        cells=lambda r: (r["id"], r["recipient"], ", ".join(r["works"]), len(r["urls"])),
    )


@app.command("send")
def send_cmd(
    ctx: typer.Context, notice_id: IdArgument, actor: ActorOption, as_json: JsonFlag = False
) -> None:
    """Send a drafted notice: its deadline runs from now."""
    with app_context(ctx).transaction() as session:
        notice = send_notice(session, notice=get_notice(session, notice_id),
                             actor=actor_for(session, actor))  # fmt: skip
        row = _row(notice)
    emit_result(row, as_json=as_json,
                message=f"notice {row['id']} sent; deadline {row['deadline_at']}")  # fmt: skip


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    notice_id: IdArgument,
    fmt: Annotated[Format, typer.Option("--format", help="html, pdf or json.")] = Format.HTML,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file (needed for pdf); default: print."),
    ] = None,
) -> None:
    """Show a notice with every field it carries, as HTML, PDF or JSON."""
    if fmt is Format.PDF and out is None:
        raise UserError("a PDF needs --out FILE")
    with app_context(ctx).transaction() as session:
        notice = get_notice(session, notice_id)
        if fmt is Format.PDF:
            assert out is not None
            write_notice_pdf(notice, out)
            text = None
        elif fmt is Format.JSON:
            text = json.dumps(notice_data(notice), ensure_ascii=False, indent=2)
        else:
            text = render_notice_html(notice)
    if text is None:
        typer.echo(f"wrote {out}", err=True)
    elif out is not None:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
    else:
        typer.echo(text)


@app.command("counter")
def counter_cmd(
    ctx: typer.Context,
    notice_id: IdArgument,
    sender: Annotated[str, typer.Option("--from", help="Who sent the counter-notice.")],
    grounds: Annotated[str, typer.Option("--grounds", help="The grounds it gives.")],
    actor: ActorOption,
    as_json: JsonFlag = False,
) -> None:
    """Record the recipient's counter-notice."""
    with app_context(ctx).transaction() as session:
        notice = record_counter_notice(session, notice=get_notice(session, notice_id),
                                       actor=actor_for(session, actor), sender=sender,
                                       grounds=grounds)  # fmt: skip
        row = _row(notice)
    emit_result(row, as_json=as_json, message=f"notice {row['id']} counter-noticed")


@app.command("escalate")
def escalate_cmd(
    ctx: typer.Context,
    notice_id: IdArgument,
    actor: ActorOption,
    reason: Annotated[str, typer.Option("--reason", help="Why; opens the case's file.")],
    as_json: JsonFlag = False,
) -> None:
    """Open a case on a notice that was not complied with."""
    with app_context(ctx).transaction() as session:
        case = escalate_notice(session, notice=get_notice(session, notice_id),
                               actor=actor_for(session, actor), reason=reason)  # fmt: skip
        result = {"notice": notice_id, "case_id": case.id, "case": case.number}
    emit_result(result, as_json=as_json,
                message=f"notice {notice_id} escalated to case {result['case']}")  # fmt: skip
