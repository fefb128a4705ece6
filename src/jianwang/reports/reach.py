"""What a signed-in actor may read: the dashboard's lists, scoped as the actor's rights are.

The enforcement services check an actor's scope when something changes; reading needs the same
scope, or a page would show an officer of one province the cases of another. The rules follow
``catalog.actors``:

* an admin reads everything;
* an officer reads what lies in its authority's region (sites by their region, cases by their
  authority's region, notices by their site's);
* a viewer reads like an officer of its authority and changes nothing; a viewer registered
  without an authority reads nationally, as the unscoped campaign report does;
* a rights holder reads its own works, the detections of them, the notices given in its name,
  the sites and cases those detections concern;
* a platform reads its own site, the notices sent to it (not drafts) and the cases against it.

The protection list itself is public to every signed-in actor: platforms must know what they
may not carry.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Action, Actor, require_rights
from jianwang.catalog.service import WorkRow, list_works
from jianwang.db import utcnow
from jianwang.db.models import (
    Authority,
    Capture,
    Case,
    CaseState,
    Detection,
    DetectionStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    RightsHolder,
    Role,
    User,
    Work,
)
from jianwang.detections.review import review_queue
from jianwang.detections.visibility import may_read_region
from jianwang.enforcement.cases import case_region, find_case, list_cases, require_case_right
from jianwang.enforcement.notices import get_notice, list_notices
from jianwang.enforcement.transitions import TERMINAL, allowed_next
from jianwang.errors import NotFoundError, PermissionDenied, UserError
from jianwang.monitoring.sites import SiteRow, list_sites
from jianwang.reports.campaign import CampaignReport, campaign_report

log = logging.getLogger(__name__)

LOCALES = ("zh-CN", "en")
"""Languages the dashboard speaks; a user's choice is kept with the user."""

DEFAULT_PERIOD_DAYS = 30


def sees_region(actor: Actor, region: str | None) -> bool:
    """Whether ``actor`` reads records of ``region``: the rule the API's queries apply too
    (``detections.review.may_read_region``), so the dashboard and the API never disagree."""
    return may_read_region(actor, region)


def sees_detection(actor: Actor, detection: Detection) -> bool:
    """Whether ``actor`` reads ``detection``."""
    if actor.role is Role.RIGHTS_HOLDER:
        return detection.work.rights_holder_id == actor.rights_holder_id
    if actor.role is Role.PLATFORM:
        return detection.capture.site_id == actor.site_id
    return sees_region(actor, detection.capture.site.region)


def sees_case(session: Session, actor: Actor, case: Case) -> bool:
    """Whether ``actor`` reads ``case``."""
    if actor.role is Role.RIGHTS_HOLDER:
        return any(d.work.rights_holder_id == actor.rights_holder_id for d in case.detections)
    if actor.role is Role.PLATFORM:
        return case.site_id == actor.site_id
    return sees_region(actor, case_region(session, case))


def sees_notice(actor: Actor, notice: Notice) -> bool:
    """Whether ``actor`` reads ``notice``."""
    if actor.role is Role.RIGHTS_HOLDER:
        return notice.rights_holder_id is not None and (
            notice.rights_holder_id == actor.rights_holder_id
        )
    if actor.role is Role.PLATFORM:  # what was sent to it, not what is still being drafted
        return (
            notice.site_id is not None
            and notice.site_id == actor.site_id
            and notice.status is not NoticeStatus.DRAFT
        )
    return sees_region(actor, notice.site.region if notice.site else None)


def _refuse(actor: Actor, what: str) -> PermissionDenied:
    role = actor.role.value if actor.role else "system"
    return PermissionDenied(f"{actor.name} ({role}) may not see {what}")


# --- works and sites ---------------------------------------------------------------------------


def works_for(session: Session, actor: Actor) -> list[WorkRow]:
    """The protection list as ``actor`` reads it: a rights holder its own works, everyone else
    the whole list."""
    rows = list_works(session)
    if actor.role is not Role.RIGHTS_HOLDER:
        return rows
    holder = session.get(RightsHolder, actor.rights_holder_id) if actor.rights_holder_id else None
    return [] if holder is None else [r for r in rows if r.rights_holder == holder.name]


@dataclass(frozen=True)
class SiteLine:
    """A site with what monitoring found there."""

    site: SiteRow
    captures: int
    confirmed: int
    in_review: int


def _holder_site_ids(session: Session, rights_holder_id: int | None) -> set[int]:
    return set(
        session.scalars(
            select(Capture.site_id)
            .join(Detection, Detection.capture_id == Capture.id)
            .join(Work, Work.id == Detection.work_id)
            .where(Work.rights_holder_id == rights_holder_id)
            .distinct()
        )
    )


def sites_for(session: Session, actor: Actor) -> list[SiteLine]:
    """The monitored sites ``actor`` reads, with their captures and detections counted."""
    rows = list_sites(session)
    if actor.role is Role.PLATFORM:
        rows = [r for r in rows if r.id == actor.site_id]
    elif actor.role is Role.RIGHTS_HOLDER:
        mine = _holder_site_ids(session, actor.rights_holder_id)
        rows = [r for r in rows if r.id in mine]
    else:
        rows = [r for r in rows if sees_region(actor, r.region)]
    captures: dict[int, int] = {
        site_id: count
        for site_id, count in session.execute(
            select(Capture.site_id, func.count()).group_by(Capture.site_id)
        )
    }
    statuses: Counter[tuple[int, DetectionStatus]] = Counter()
    for site_id, status, count in session.execute(
        select(Capture.site_id, Detection.status, func.count())
        .join(Detection, Detection.capture_id == Capture.id)
        .group_by(Capture.site_id, Detection.status)
    ):
        statuses[(site_id, status)] += count
    return [
        SiteLine(
            site=row,
            captures=captures.get(row.id, 0),
            confirmed=statuses[(row.id, DetectionStatus.CONFIRMED)],
            in_review=statuses[(row.id, DetectionStatus.IN_REVIEW)],
        )
        for row in rows
    ]


# --- detections ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DetectionDetail:
    """One detection as the review page shows it."""

    id: int
    status: DetectionStatus
    status_reason: str | None
    work: str
    rights_holder: str
    asset: str | None
    site: str
    region: str | None
    page_url: str
    media_url: str | None
    page_title: str | None
    signal: str
    evidence_class: str
    score: float
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    speed: float
    pitch_shift: float | None
    matched_text: str | None
    captured_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None

    @property
    def open(self) -> bool:
        """Still waiting for a reviewer's decision."""
        return self.status in (DetectionStatus.DETECTED, DetectionStatus.IN_REVIEW)


def detection_detail(session: Session, actor: Actor, detection_id: int) -> DetectionDetail:
    """A detection for the review page: ``actor`` needs the review right over it (an officer in
    its region, a rights holder on its own work)."""
    detection = session.get(Detection, detection_id)
    if detection is None:
        raise NotFoundError(f"no detection with id {detection_id}")
    require_rights(actor, Action.REVIEW, [detection])
    capture, work = detection.capture, detection.work
    return DetectionDetail(
        id=detection.id,
        status=detection.status,
        status_reason=detection.status_reason,
        work=work.title,
        rights_holder=work.rights_holder.name,
        asset=detection.asset.name if detection.asset else None,
        site=capture.site.name,
        region=capture.site.region,
        page_url=capture.page_url,
        media_url=capture.media_url,
        page_title=capture.page_title,
        signal=detection.signal,
        evidence_class=detection.evidence_class,
        score=detection.score,
        query_start=detection.query_start,
        query_end=detection.query_end,
        ref_start=detection.ref_start,
        ref_end=detection.ref_end,
        speed=detection.speed,
        pitch_shift=detection.pitch_shift,
        matched_text=detection.matched_text,
        captured_at=capture.fetched_at,
        reviewed_by=detection.reviewed_by,
        reviewed_at=detection.reviewed_at,
    )


# --- cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    """A case as listed."""

    id: int
    number: str
    state: CaseState
    site: str
    region: str | None
    operator: str | None
    officers: tuple[str, ...]
    deadline_at: datetime | None
    referral_flags: tuple[str, ...]
    detections: int
    opened_at: datetime | None

    @property
    def closed(self) -> bool:
        return self.state in TERMINAL


def _case_row(session: Session, case: Case) -> CaseRow:
    return CaseRow(
        id=case.id,
        number=case.number,
        state=case.state,
        site=case.site.name,
        region=case_region(session, case),
        operator=case.operator,
        officers=tuple(case.officers or ()),
        deadline_at=case.deadline_at,
        referral_flags=tuple(case.referral_flags or ()),
        detections=len(case.detections),
        opened_at=case.created_at,
    )


def cases_for(session: Session, actor: Actor, *, state: CaseState | None = None) -> list[CaseRow]:
    """The cases ``actor`` reads, newest first."""
    return [
        _case_row(session, case)
        for case in list_cases(session, state=state)
        if sees_case(session, actor, case)
    ]


@dataclass(frozen=True)
class CaseEventRow:
    """One step of a case."""

    from_state: CaseState | None
    to_state: CaseState
    actor: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class CaseDetection:
    """A detection a case rests on."""

    id: int
    work: str
    url: str
    signal: str
    score: float
    status: DetectionStatus


@dataclass(frozen=True)
class CaseView:
    """A case page: the case, its file and what the reader may do with it."""

    row: CaseRow
    works_count: int | None
    copies_count: int | None
    clicks: int | None
    paid_members: int | None
    illegal_gains: Decimal | None
    business_volume: Decimal | None
    proposed_decision: str | None
    proposed_fine: Decimal | None
    advance_notice_served_at: datetime | None
    hearing_held_at: datetime | None
    decision: str | None
    fine_amount: Decimal | None
    decided_at: datetime | None
    referral: str | None
    closed_at: datetime | None
    events: tuple[CaseEventRow, ...]
    detections: tuple[CaseDetection, ...]
    next_states: tuple[CaseState, ...]
    may_move: bool  # the actor may move it (its right, its region, among its officers)
    may_export: bool  # the actor may take its evidence package


def _may_move(session: Session, actor: Actor, case: Case) -> bool:
    try:
        require_case_right(session, case, actor, doing="move")
    except PermissionDenied:
        return False
    return True


def _may_export(actor: Actor, case: Case) -> bool:
    try:
        require_rights(actor, Action.EVIDENCE, case.detections)
    except PermissionDenied:
        return False
    return bool(case.detections)


def visible_case(session: Session, actor: Actor, ref: str | int) -> Case:
    """The case ``ref`` if ``actor`` reads it; ``PermissionDenied`` otherwise."""
    case = find_case(session, ref)
    if not sees_case(session, actor, case):
        raise _refuse(actor, f"case {case.number}")
    return case


def case_view(session: Session, actor: Actor, ref: str | int) -> CaseView:
    """Everything the case page shows, for a reader in scope."""
    case = visible_case(session, actor, ref)
    return CaseView(
        row=_case_row(session, case),
        works_count=case.works_count,
        copies_count=case.copies_count,
        clicks=case.clicks,
        paid_members=case.paid_members,
        illegal_gains=case.illegal_gains,
        business_volume=case.business_volume,
        proposed_decision=case.proposed_decision,
        proposed_fine=case.proposed_fine,
        advance_notice_served_at=case.advance_notice_served_at,
        hearing_held_at=case.hearing_held_at,
        decision=case.decision,
        fine_amount=case.fine_amount,
        decided_at=case.decided_at,
        referral=case.referral,
        closed_at=case.closed_at,
        events=tuple(
            CaseEventRow(e.from_state, e.to_state, e.actor, e.reason, e.at) for e in case.events
        ),
        detections=tuple(
            CaseDetection(
                id=d.id,
                work=d.work.title,
                url=d.capture.media_url or d.capture.page_url,
                signal=d.signal,
                score=d.score,
                status=d.status,
            )
            for d in sorted(case.detections, key=lambda d: d.id)
        ),
        next_states=tuple(allowed_next(case)),
        may_move=_may_move(session, actor, case) and case.state not in TERMINAL,
        may_export=_may_export(actor, case),
    )


# --- notices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    """A notice as listed."""

    id: int
    kind: NoticeKind
    status: NoticeStatus
    site: str | None
    recipient: str
    rights_holder: str | None
    sent_at: datetime | None
    deadline_at: datetime | None
    detections: int
    case_id: int | None
    created_at: datetime | None


def _notice_row(session: Session, notice: Notice) -> NoticeRow:
    holder = session.get(RightsHolder, notice.rights_holder_id) if notice.rights_holder_id else None
    return NoticeRow(
        id=notice.id,
        kind=notice.kind,
        status=notice.status,
        site=notice.site.name if notice.site else None,
        recipient=notice.recipient,
        rights_holder=holder.name if holder else None,
        sent_at=notice.sent_at,
        deadline_at=notice.deadline_at,
        detections=len(notice.detections),
        case_id=notice.case_id,
        created_at=notice.created_at,
    )


def notices_for(session: Session, actor: Actor) -> list[NoticeRow]:
    """The notices ``actor`` reads, newest first."""
    return [_notice_row(session, n) for n in list_notices(session) if sees_notice(actor, n)]


def visible_notice(session: Session, actor: Actor, notice_id: int) -> Notice:
    """The notice if ``actor`` reads it (to render its document); ``PermissionDenied``
    otherwise."""
    notice = get_notice(session, notice_id)
    if not sees_notice(actor, notice):
        raise _refuse(actor, f"notice {notice_id}")
    return notice


def notice_row(session: Session, actor: Actor, notice_id: int) -> NoticeRow:
    """One notice's record for a reader in scope."""
    return _notice_row(session, visible_notice(session, actor, notice_id))


# --- reports and the overview --------------------------------------------------------------------


def report_scope(session: Session, actor: Actor) -> str | None:
    """The authority whose reach ``actor``'s campaign report covers (None: everything).

    Needs the report right; an officer's or viewer's report is its authority's, an admin's or an
    unattached viewer's is national."""
    actor.require(Action.REPORT, what="campaign reports")
    if actor.role is Role.ADMIN or actor.authority_id is None:
        return None
    authority = session.get(Authority, actor.authority_id)
    return authority.name if authority is not None else None


def report_for(session: Session, actor: Actor, *, start: date, end: date) -> CampaignReport:
    """The campaign figures ``actor`` may read for the days ``start`` to ``end``."""
    return campaign_report(session, start=start, end=end, authority=report_scope(session, actor))


def default_period(today: date | None = None) -> tuple[date, date]:
    """The dashboard's period when none is asked for: the last 30 days, today included."""
    end = today or utcnow().date()
    return end - timedelta(days=DEFAULT_PERIOD_DAYS - 1), end


@dataclass(frozen=True)
class Overview:
    """What the dashboard's first screen counts for its reader."""

    works: int
    sites: int
    to_review: int | None  # None: the reader does not review
    open_cases: int
    notices_running: int
    notices_overdue: int
    report: CampaignReport | None  # None: the reader has no report right


def overview(session: Session, actor: Actor, *, start: date, end: date) -> Overview:
    """The reader's counts, and the campaign figures for the period where it may read them."""
    if start > end:
        raise UserError(f"the period starts after it ends: {start.isoformat()} > {end.isoformat()}")
    now = utcnow()
    to_review = len(review_queue(session, actor=actor)) if actor.may(Action.REVIEW) else None
    notices = notices_for(session, actor)
    running = [n for n in notices if n.status is NoticeStatus.SENT]
    return Overview(
        works=len(works_for(session, actor)),
        sites=len(sites_for(session, actor)),
        to_review=to_review,
        open_cases=sum(not c.closed for c in cases_for(session, actor)),
        notices_running=len(running),
        notices_overdue=sum(n.deadline_at is not None and n.deadline_at < now for n in running),
        report=report_for(session, actor, start=start, end=end)
        if actor.may(Action.REPORT)
        else None,
    )


# --- the user's own settings ---------------------------------------------------------------------


def set_locale(session: Session, *, user: User, locale: str) -> User:
    """Keep the language ``user`` reads the dashboard in (``zh-CN`` or ``en``), so it follows the
    user from browser to browser."""
    if locale not in LOCALES:
        raise UserError(f"unknown language {locale!r}; one of {', '.join(LOCALES)}")
    user.locale = locale
    session.flush()
    log.info("user %s reads the dashboard in %s", user.username, locale)
    return user
