"""Cases: the list in the reader's scope, and a case's page with the steps it may take next.

The page offers one small form per state the machine allows next, each asking only for what
that step's guard needs (measures and a fine for the advance notice, the service time for the
statement window, the organ for a referral); the guards themselves stay in
``enforcement.transitions`` and their refusals are shown as they are written.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from jianwang.db.models import CaseState
from jianwang.enforcement.policy import MEASURES, ORGANS, CasePolicy, parse_amount
from jianwang.enforcement.transitions import MoveDetails, move_case
from jianwang.errors import UserError
from jianwang.reports.reach import case_view, cases_for, visible_case
from jianwang.web.deps import SessionDep
from jianwang.web.errors import status_of
from jianwang.web.pages.common import PageUser, error_page, render, see_other, settings_of

log = logging.getLogger(__name__)

router = APIRouter()

STEP_FIELDS: dict[CaseState, tuple[str, ...]] = {
    CaseState.ADVANCE_NOTICE: ("measures", "fine"),
    CaseState.STATEMENT_WINDOW: ("served_at",),
    CaseState.DECIDED: ("measures", "fine", "hearing_held_at"),
    CaseState.REFERRED: ("organ",),
    CaseState.TRANSFERRED: ("destination",),
}
"""What each step's guard asks for besides a reason (see ``transitions.MoveDetails``)."""

OptionalText = Annotated[str, Form(max_length=300)]


@router.get("/cases")
def cases(
    request: Request, session: SessionDep, who: PageUser, state: CaseState | None = None
) -> Response:
    """Cases in the reader's scope, newest first, optionally in one state."""
    rows = cases_for(session, who.actor, state=state)
    return render(
        request, who, "cases/list.html", nav="cases", rows=rows, state=state, states=list(CaseState)
    )


def _case_page(
    request: Request,
    session: SessionDep,
    who: PageUser,
    case_id: int,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    view = case_view(session, who.actor, case_id)
    return render(
        request,
        who,
        "cases/case.html",
        nav="cases",
        status_code=status_code,
        view=view,
        step_fields=STEP_FIELDS,
        measures=MEASURES,
        organs=ORGANS,
        problem=problem,
        moved=request.query_params.get("moved"),
    )


@router.get("/cases/{case_id}")
def case(request: Request, session: SessionDep, who: PageUser, case_id: int) -> Response:
    """A case's file: measures, decision, detections, events, and its next steps."""
    try:
        return _case_page(request, session, who, case_id)
    except UserError as exc:
        return error_page(request, who, exc)


def _when(value: str, what: str) -> datetime | None:
    """A time from a form (``datetime-local`` gives no zone: the form says it is UTC)."""
    if not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{what} {value!r} is not a date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fine(value: str) -> Decimal | None:
    return parse_amount(value, what="the fine") if value.strip() else None


@router.post("/cases/{case_id}/move")
def move(
    request: Request,
    session: SessionDep,
    who: PageUser,
    case_id: int,
    to: Annotated[CaseState, Form()],
    reason: Annotated[str, Form(max_length=2000)],
    measures: Annotated[list[str] | None, Form()] = None,
    fine: OptionalText = "",
    served_at: OptionalText = "",
    hearing_held_at: OptionalText = "",
    organ: OptionalText = "",
    destination: OptionalText = "",
) -> Response:
    """Move the case one step; a guard's refusal is shown on the case page, nothing changed."""
    try:
        found = visible_case(session, who.actor, case_id)
        details = MoveDetails(
            measures=",".join(measures) if measures else None,
            fine=_fine(fine),
            served_at=_when(served_at, "the service time"),
            hearing_held_at=_when(hearing_held_at, "the hearing time"),
            organ=organ.strip() or None,
            destination=destination.strip() or None,
        )
        move_case(
            session,
            case=found,
            to=to,
            actor=who.actor,
            reason=reason,
            policy=CasePolicy.from_settings(settings_of(request)),
            details=details,
        )
    except UserError as exc:
        session.rollback()
        log.info("case %d: move to %s refused: %s", case_id, to.value, exc)
        try:
            return _case_page(
                request, session, who, case_id, problem=str(exc), status_code=status_of(exc)
            )
        except UserError:
            return error_page(request, who, exc)
    session.commit()  # before answering: the redirect's page must show the new state
    return see_other(f"/cases/{case_id}?moved={to.value}")
