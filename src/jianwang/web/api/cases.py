"""REST API: administrative cases through their states.

The state machine's guards and the caller's rights are the services' (``enforcement.cases`` and
``enforcement.transitions``): a refused step answers 400 (or 403) with the guard's own message,
the one the command line prints, and changes nothing. Money comes as a number or a string and is
checked before any service sees it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field, field_validator

from jianwang.catalog.service import find_site
from jianwang.db.models import CaseState
from jianwang.enforcement.cases import (
    assign_officers,
    detections_for_case,
    open_case,
    readable_case,
    set_measures,
    visible_cases,
)
from jianwang.enforcement.policy import MEASURES, ORGANS, CasePolicy
from jianwang.enforcement.transitions import MoveDetails, move_case
from jianwang.errors import UserError
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_enforcement import (
    Body,
    BodyId,
    CaseDetail,
    CaseOfficer,
    CaseSummary,
    Count,
    Money,
    Reader,
    Reason,
    UtcDatetime,
    lookup_ref,
    paged,
)
from jianwang.web.deps import ServicesDep, SessionDep

router = APIRouter(tags=["cases"])

CaseRef = Annotated[
    str, Path(max_length=100, description="Case id or number, e.g. 12 or JW-2026-00012.")
]


class OpenRequest(Body):
    site: str = Field(min_length=1, max_length=300, description="Site id, name or domain.")
    detection_ids: list[BodyId] | None = Field(
        default=None,
        max_length=1000,
        description="Confirmed detections the case rests on; default: every confirmed "
        "detection on the site that no case holds yet.",
    )
    reason: Reason


class OfficersRequest(Body):
    officers: list[Annotated[str, Field(max_length=100)]] = Field(
        max_length=20, description="Officer user names (two at least, each covering the region)."
    )
    reason: Reason = ""


class MeasuresRequest(Body):
    works: Count = None
    copies: Count = None
    clicks: Count = None
    paid_members: Count = None
    illegal_gains: Money = None
    business_volume: Money = None
    reason: Reason = Field(default="", description="Where the figures come from.")


class TransitionRequest(Body):
    to: CaseState = Field(description="The next state.")
    reason: Reason
    measures: list[Annotated[str, Field(max_length=40)]] | None = Field(
        default=None,
        max_length=len(MEASURES),
        description=f"Proposed or decided measures: {', '.join(MEASURES)}.",
    )
    fine: Money = Field(default=None, description="Fine in yuan (number or string).")
    served_at: UtcDatetime | None = Field(
        default=None, description="When the advance notice was served (ISO; UTC if no zone)."
    )
    hearing_held_at: UtcDatetime | None = Field(
        default=None, description="When the hearing was held (ISO; UTC if no zone)."
    )
    organ: str | None = Field(
        default=None, max_length=50, description=f"Referral to: {', '.join(ORGANS)}."
    )
    destination: str | None = Field(
        default=None, max_length=300, description="Authority a case is transferred to."
    )

    @field_validator("measures", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """Take ``"fine, shutdown"`` as the command line does, or a list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@router.get("/cases", response_model=Page[CaseSummary])
def list_cases(
    session: SessionDep,
    actor: Reader,
    paging: PagingDep,
    state: Annotated[CaseState | None, Query(description="Only this state.")] = None,
    site: Annotated[
        str | None, Query(max_length=300, description="Only this site (id, name or domain).")
    ] = None,
) -> Page[CaseSummary]:
    """Cases the caller may read, newest first."""
    rows = visible_cases(
        session,
        actor=actor,
        state=state,
        site_id=find_site(session, lookup_ref(site, "site")).id if site else None,
    )
    return paged(rows, paging, CaseSummary.of)


@router.get("/cases/{case}", response_model=CaseDetail)
def get_case(case: CaseRef, session: SessionDep, actor: Reader) -> CaseDetail:
    """A case's measures, decision, events and the states it may move to next."""
    return CaseDetail.detail(readable_case(session, actor=actor, ref=lookup_ref(case, "case")))


@router.post("/cases", response_model=CaseSummary, status_code=201)
def create_case(
    body: OpenRequest, session: SessionDep, svc: ServicesDep, actor: CaseOfficer
) -> CaseSummary:
    """Open a case (lead) against a site on the strength of confirmed detections."""
    site = find_site(session, lookup_ref(body.site, "site"))
    found = detections_for_case(session, site=site, ids=body.detection_ids or [])
    opened = open_case(
        session,
        site=site,
        detections=found,
        actor=actor,
        reason=body.reason,
        thresholds=CasePolicy.from_settings(svc.settings).referral,
    )
    return CaseSummary.of(opened)


@router.post("/cases/{case}/officers", response_model=CaseDetail)
def assign(
    case: CaseRef, body: OfficersRequest, session: SessionDep, actor: CaseOfficer
) -> CaseDetail:
    """Assign the officers who carry a case (two at least); from then on only they (or an
    admin) act on it."""
    found = readable_case(session, actor=actor, ref=lookup_ref(case, "case"))
    assign_officers(session, case=found, officers=body.officers, actor=actor, reason=body.reason)
    return CaseDetail.detail(found)


@router.post("/cases/{case}/measures", response_model=CaseDetail)
def record_measures(
    case: CaseRef,
    body: MeasuresRequest,
    session: SessionDep,
    svc: ServicesDep,
    actor: CaseOfficer,
) -> CaseDetail:
    """Record what the investigation established; the case is flagged for referral when the
    figures reach the thresholds."""
    values = body.model_dump(exclude={"reason"})
    if all(v is None for v in values.values()):
        raise UserError("give at least one measure (works, copies, clicks, ...)")
    found = readable_case(session, actor=actor, ref=lookup_ref(case, "case"))
    set_measures(
        session,
        case=found,
        actor=actor,
        thresholds=CasePolicy.from_settings(svc.settings).referral,
        reason=body.reason,
        **values,
    )
    return CaseDetail.detail(found)


@router.post(
    "/cases/{case}/transitions",
    response_model=CaseDetail,
    responses={400: {"description": "The machine or a guard refused the step; detail says why"}},
)
def transition(
    case: CaseRef,
    body: TransitionRequest,
    session: SessionDep,
    svc: ServicesDep,
    actor: CaseOfficer,
) -> CaseDetail:
    """Move a case to its next state; when it may not, the guard says what is missing."""
    found = readable_case(session, actor=actor, ref=lookup_ref(case, "case"))
    details = MoveDetails(
        measures=",".join(body.measures) if body.measures else None,
        fine=body.fine,
        served_at=body.served_at,
        hearing_held_at=body.hearing_held_at,
        organ=body.organ,
        destination=body.destination,
    )
    move_case(
        session,
        case=found,
        to=body.to,
        actor=actor,
        reason=body.reason,
        policy=CasePolicy.from_settings(svc.settings),
        details=details,
    )
    return CaseDetail.detail(found)
