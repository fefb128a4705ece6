"""``jianwang cases``: administrative cases through their states.

Every command that changes a case names its actor (``--as``); the state machine's guards and the
actor's rights are checked by the services, and a refusal changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer

from jianwang.catalog.actors import actor_for
from jianwang.catalog.service import find_site
from jianwang.cli.context import ActorOption, app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows, print_table
from jianwang.db.models import Case, CaseState
from jianwang.enforcement.cases import (
    assign_officers,
    detections_for_case,
    find_case,
    list_cases,
    open_case,
    set_measures,
)
from jianwang.enforcement.policy import CasePolicy, parse_amount
from jianwang.enforcement.transitions import MoveDetails, allowed_next, move_case
from jianwang.errors import UserError

app = typer.Typer(help="Administrative cases.", no_args_is_help=True)

STATES = ", ".join(s.value for s in CaseState)
ReasonOption = Annotated[str, typer.Option("--reason", help="Why; kept with the step.")]


def _row(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "number": case.number,
        "state": case.state.value,
        "site": case.site.name,
        "operator": case.operator,
        "detections": len(case.detections),
        "officers": list(case.officers or []),
        "deadline_at": case.deadline_at,
        "referral_flags": list(case.referral_flags or []),
        "opened_at": case.created_at,
    }


def _detail(case: Case) -> dict[str, Any]:
    return {
        **_row(case),
        "authority_id": case.authority_id,
        "source": case.source,
        "measures": {
            "works": case.works_count,
            "copies": case.copies_count,
            "clicks": case.clicks,
            "paid_members": case.paid_members,
            "illegal_gains": case.illegal_gains,
            "business_volume": case.business_volume,
        },
        "proposed_decision": case.proposed_decision,
        "proposed_fine": case.proposed_fine,
        "advance_notice_served_at": case.advance_notice_served_at,
        "hearing_requested": case.hearing_requested,
        "hearing_held_at": case.hearing_held_at,
        "decision": case.decision,
        "fine": case.fine_amount,
        "decided_at": case.decided_at,
        "referral": case.referral,
        "closed_at": case.closed_at,
        "allowed_next": [s.value for s in allowed_next(case)],
        "detection_ids": sorted(d.id for d in case.detections),
        "events": [
            {
                "from": e.from_state.value if e.from_state else None,
                "to": e.to_state.value,
                "actor": e.actor,
                "reason": e.reason,
                "at": e.at,
            }
            for e in case.events
        ],
    }


def _state(value: str, option: str) -> CaseState:
    try:
        return CaseState(value.strip().lower())
    except ValueError:
        raise typer.BadParameter(
            f"unknown state {value!r} (one of: {STATES})", param_hint=option
        ) from None


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date-time such as 2026-11-29T10:00+08:00", param_hint=option
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("list")
def list_cases_cmd(
    ctx: typer.Context,
    state: Annotated[
        str | None, typer.Option("--state", help=f"Only this state: {STATES}.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List administrative cases, newest first."""
    wanted = _state(state, "--state") if state else None
    with app_context(ctx).transaction() as session:
        rows = [_row(c) for c in list_cases(session, state=wanted)]
    emit_rows(
        rows,
        as_json=as_json,
        title="Cases",
        columns=["id", "number", "state", "site", "officers", "detections", "deadline", "referral"],
        cells=lambda r: (r["id"], r["number"], r["state"], r["site"], ", ".join(r["officers"]),
                         r["detections"], r["deadline_at"], "yes" if r["referral_flags"] else ""),
    )  # fmt: skip


@app.command("show")
def show(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case id or number.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a case: measures, decision, events, and the states it may move to next."""
    with app_context(ctx).transaction() as session:
        detail = _detail(find_case(session, case))
    if as_json:
        emit_result(detail, as_json=True, message="")
        return
    fields = [(k, v) for k, v in detail.items() if k not in {"events", "measures"}]
    fields += [(f"measure: {k}", v) for k, v in detail["measures"].items()]
    print_table(f"Case {detail['number']}", ["field", "value"], fields)
    print_table(
        "Events",
        ["at", "from", "to", "actor", "reason"],
        [(e["at"], e["from"], e["to"], e["actor"], e["reason"]) for e in detail["events"]],
    )


@app.command("open")
def open_cmd(
    ctx: typer.Context,
    site: Annotated[str, typer.Option("--site", help="Site id, name or domain.")],
    actor: ActorOption,
    reason: ReasonOption,
    detection: Annotated[
        list[int] | None,
        typer.Option("--detection", help="Detection id (repeat); default: every confirmed "
                     "detection on the site that no case holds yet."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Open a case (LEAD) against a site on the strength of confirmed detections."""
    app_ctx = app_context(ctx)
    with app_ctx.transaction() as session:
        who = actor_for(session, actor)
        target = find_site(session, site)
        found = detections_for_case(session, site=target, ids=detection or [])
        opened = open_case(
            session,
            site=target,
            detections=found,
            actor=who,
            reason=reason,
            thresholds=CasePolicy.from_settings(app_ctx.settings).referral,
        )
        result = _row(opened)
    emit_result(result, as_json=as_json, message=f"case {result['number']} opened (lead)")


@app.command("assign")
def assign(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case id or number.")],
    officer: Annotated[list[str], typer.Option("--officer", help="Officer user (two at least).")],
    actor: ActorOption,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Assign the officers who carry a case (at least two)."""
    with app_context(ctx).transaction() as session:
        found = find_case(session, case)
        assign_officers(
            session, case=found, officers=officer, actor=actor_for(session, actor), reason=reason
        )
        result = _row(found)
    emit_result(
        result,
        as_json=as_json,
        message=f"case {result['number']}: officers {', '.join(result['officers'])}",
    )


@app.command("measures")
def measures(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case id or number.")],
    actor: ActorOption,
    works: Annotated[int | None, typer.Option("--works", help="Works infringed.")] = None,
    copies: Annotated[int | None, typer.Option("--copies", help="Copies found.")] = None,
    clicks: Annotated[int | None, typer.Option("--clicks", help="Clicks (views).")] = None,
    members: Annotated[int | None, typer.Option("--members", help="Paid members.")] = None,
    gains: Annotated[str | None, typer.Option("--gains", help="Illegal gains, yuan.")] = None,
    volume: Annotated[
        str | None, typer.Option("--volume", help="Illegal business volume, yuan.")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Where the figures come from.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Record what the investigation established; the case is flagged for referral when the
    figures reach the thresholds."""
    app_ctx = app_context(ctx)
    values: dict[str, int | Decimal | None] = {
        "works": works,
        "copies": copies,
        "clicks": clicks,
        "paid_members": members,
        "illegal_gains": parse_amount(gains, what="--gains") if gains is not None else None,
        "business_volume": parse_amount(volume, what="--volume") if volume is not None else None,
    }
    if all(v is None for v in values.values()):
        raise UserError("give at least one measure (--works, --copies, --clicks, ...)")
    with app_ctx.transaction() as session:
        found = find_case(session, case)
        set_measures(
            session,
            case=found,
            actor=actor_for(session, actor),
            thresholds=CasePolicy.from_settings(app_ctx.settings).referral,
            reason=reason,
            **values,
        )
        result = _detail(found)
    flags = result["referral_flags"]
    emit_result(
        result,
        as_json=as_json,
        message=f"case {result['number']}: measures recorded"
        + (f"; flagged for referral: {'; '.join(flags)}" if flags else ""),
    )


@app.command("move")
def move(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case id or number.")],
    state: Annotated[str, typer.Argument(help=f"The next state: {STATES}.")],
    actor: ActorOption,
    reason: ReasonOption,
    measures: Annotated[
        str | None,
        typer.Option("--measures", help="Proposed or decided measures: warning, fine, "
                     "confiscation, shutdown (comma-separated)."),
    ] = None,
    fine: Annotated[str | None, typer.Option("--fine", help="Fine in yuan.")] = None,
    served_at: Annotated[
        str | None, typer.Option("--served-at", help="When the advance notice was served (ISO).")
    ] = None,
    hearing_held_at: Annotated[
        str | None, typer.Option("--hearing-held-at", help="When the hearing was held (ISO).")
    ] = None,
    organ: Annotated[
        str | None, typer.Option("--organ", help="Referral to: public_security or judicial.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Authority a case is transferred to.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Move a case to its next state; the guards say what is missing when it may not."""
    app_ctx = app_context(ctx)
    target = _state(state, "STATE")
    details = MoveDetails(
        measures=measures,
        fine=parse_amount(fine, what="--fine") if fine is not None else None,
        served_at=_when(served_at, "--served-at"),
        hearing_held_at=_when(hearing_held_at, "--hearing-held-at"),
        organ=organ,
        destination=to,
    )
    with app_ctx.transaction() as session:
        found = find_case(session, case)
        move_case(
            session,
            case=found,
            to=target,
            actor=actor_for(session, actor),
            reason=reason,
            policy=CasePolicy.from_settings(app_ctx.settings),
            details=details,
        )
        result = _detail(found)
    emit_result(
        result,
        as_json=as_json,
        message=f"case {result['number']} is now {result['state']}"
        + (f" (next: {', '.join(result['allowed_next'])})" if result["allowed_next"] else ""),
    )
