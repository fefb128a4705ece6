"""What the enforcement routes take and give, and who may call them.

Request and response schemas live apart from the ORM models so the API's contract does not move
when a table does; each response model builds itself from the record it shows (``of``). Role
gates are dependencies, so a role that may never call a route is refused (403) before its body
is even read; the services then check the finer scope (region, works, site) of every record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from jianwang.catalog.actors import RIGHTS, Action, Actor
from jianwang.db.models import Artefact, Case, Detection, Notice, Role
from jianwang.detections.review import AllowRuleRow
from jianwang.enforcement.policy import MAX_AMOUNT, parse_amount
from jianwang.enforcement.transitions import allowed_next
from jianwang.errors import NotFoundError, PermissionDenied, UserError
from jianwang.web.api.common import Page, Paging
from jianwang.web.deps import ActorDep

T = TypeVar("T")
R = TypeVar("R")

# --- Who may call ---------------------------------------------------------------------------

READERS = frozenset({Role.ADMIN, Role.OFFICER, Role.RIGHTS_HOLDER, Role.VIEWER})
"""Roles that read findings, notices and cases (each within its scope); not platforms."""

EVERYONE = frozenset(Role)
"""Every signed-in role (platforms read the notices addressed to their own site)."""

ADMINS = frozenset({Role.ADMIN})


def acting(action: Action) -> frozenset[Role]:
    """The roles whose rights include ``action`` (``catalog.actors.RIGHTS``), so a route's
    gate and the services' checks come from one table."""
    return frozenset(role for role, actions in RIGHTS.items() if action in actions)


def role_gate(roles: frozenset[Role], doing: str) -> Callable[[Actor], Actor]:
    """A dependency that gives the caller's actor when its role is among ``roles`` and refuses
    (403) otherwise."""

    def gate(actor: ActorDep) -> Actor:
        if actor.role not in roles:
            role = actor.role.value if actor.role else "system"
            raise PermissionDenied(f"{actor.name} ({role}) may not {doing}")
        return actor

    return gate


Reader = Annotated[Actor, Depends(role_gate(READERS, "read enforcement records"))]
Anyone = Annotated[Actor, Depends(role_gate(EVERYONE, "read notices"))]
Reviewer = Annotated[Actor, Depends(role_gate(acting(Action.REVIEW), "review detections"))]
NoticeGiver = Annotated[Actor, Depends(role_gate(acting(Action.NOTICE), "give notice"))]
CaseOfficer = Annotated[Actor, Depends(role_gate(acting(Action.CASE), "act on cases"))]
EvidenceExporter = Annotated[
    Actor, Depends(role_gate(acting(Action.EVIDENCE), "export evidence packages"))
]
Reporter = Annotated[Actor, Depends(role_gate(acting(Action.REPORT), "read campaign reports"))]
Admin = Annotated[Actor, Depends(role_gate(ADMINS, "manage users and authorities"))]


def paged(rows: Sequence[R], paging: Paging, convert: Callable[[R], T]) -> Page[T]:
    """One page of ``rows``, converting only the rows on it."""
    window = rows[paging.offset : paging.offset + paging.limit]
    return Page[T](
        items=[convert(row) for row in window],
        total=len(rows),
        limit=paging.limit,
        offset=paging.offset,
    )


# --- Input types ----------------------------------------------------------------------------

MAX_ID = 2**31 - 1
"""Record ids are 32-bit integer columns on PostgreSQL: a larger id names nothing, and passing it
on would make the database raise instead of answering 404."""

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="Record id.")]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


def lookup_ref(value: str, what: str) -> int | str:
    """A reference to a site, work or case as the catalog's ``find_*`` take it: ASCII digits are
    an id (one beyond :data:`MAX_ID` names nothing), anything else a name. Digits of other
    scripts (``²``, ``٣``) would pass ``str.isdigit`` yet fail ``int``, so they name nothing
    either."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        number = int(text)
        if not 1 <= number <= MAX_ID:
            raise NotFoundError(f"no {what} {value!r}")
        return number
    if text.isdigit():
        raise NotFoundError(f"no {what} {value!r}")
    return text


MAX_YUAN = MAX_AMOUNT

MAX_COUNT = 2_000_000_000
"""The largest count a case records (a 32-bit column)."""


def _money(value: object) -> object:
    """Yuan given as a number or a string (``1200``, ``"1,200.50"``): finite, not negative, at
    most two decimals, no more than a case can record. Refused with the reason (422)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError('give an amount of yuan as a number or a string such as "1200.50"')
    try:
        amount = parse_amount(value, what="the amount")
    except UserError as exc:
        raise ValueError(str(exc)) from None
    except ArithmeticError:  # too many digits to even round to fen
        raise ValueError(f"the amount {value} is more than {MAX_YUAN} yuan") from None
    if amount > MAX_YUAN:
        raise ValueError(f"the amount {amount} is more than {MAX_YUAN} yuan")
    return amount


def _utc(value: datetime) -> datetime:
    """A time without a zone is read as UTC, as the command line reads it."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


Money = Annotated[Decimal | None, BeforeValidator(_money)]
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
Reason = Annotated[str, Field(max_length=2000, description="Why; kept in the evidence ledger.")]
Count = Annotated[int | None, Field(ge=0, le=MAX_COUNT)]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a misspelt field is not silently lost."""

    model_config = ConfigDict(extra="forbid")


# --- Detections -----------------------------------------------------------------------------


class DetectionSummary(BaseModel):
    """A detection as listed: what was found where, how strongly, and where it stands."""

    id: int
    status: str
    work_id: int
    work: str
    site_id: int
    site: str
    url: str
    signal: str
    evidence_class: str
    score: float
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    speed: float
    pitch_shift: float | None
    captured_at: datetime

    @classmethod
    def of(cls, d: Detection) -> DetectionSummary:
        capture = d.capture
        return cls(
            id=d.id,
            status=d.status.value,
            work_id=d.work_id,
            work=d.work.title,
            site_id=capture.site_id,
            site=capture.site.name,
            url=capture.media_url or capture.page_url,
            signal=d.signal,
            evidence_class=d.evidence_class,
            score=d.score,
            query_start=d.query_start,
            query_end=d.query_end,
            ref_start=d.ref_start,
            ref_end=d.ref_end,
            speed=d.speed,
            pitch_shift=d.pitch_shift,
            captured_at=capture.fetched_at,
        )


class ArtefactOut(BaseModel):
    """One evidence file of a detection, with where to download it."""

    id: int
    kind: str
    sha256: str
    size_bytes: int
    content_type: str
    at_s: float | None
    note: str | None
    url: str

    @classmethod
    def of(cls, a: Artefact, url: str) -> ArtefactOut:
        return cls(
            id=a.id,
            kind=a.kind,
            sha256=a.sha256,
            size_bytes=a.size_bytes,
            content_type=a.content_type,
            at_s=a.at_s,
            note=a.note,
            url=url,
        )


class DetectionDetail(DetectionSummary):
    """A detection with everything a reviewer weighs: spans, reference, capture hashes, why it
    stands where it does, and its evidence files."""

    rights_holder: str
    region: str | None
    reference: str | None
    coverage: float | None
    matched_text: str | None
    status_reason: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    licence_id: int | None
    reupload_of_id: int | None
    capture_id: int
    page_url: str
    media_url: str | None
    content_sha256: str
    page_sha256: str | None
    artefacts: list[ArtefactOut]

    @classmethod
    def detail(cls, d: Detection, artefacts: list[ArtefactOut]) -> DetectionDetail:
        capture = d.capture
        return cls(
            **DetectionSummary.of(d).model_dump(),
            rights_holder=d.work.rights_holder.name,
            region=capture.site.region,
            reference=None if d.asset is None else d.asset.name,
            coverage=d.coverage,
            matched_text=d.matched_text,
            status_reason=d.status_reason,
            reviewed_at=d.reviewed_at,
            reviewed_by=d.reviewed_by,
            licence_id=d.licence_id,
            reupload_of_id=d.reupload_of_id,
            capture_id=capture.id,
            page_url=capture.page_url,
            media_url=capture.media_url,
            content_sha256=capture.content_sha256,
            page_sha256=capture.page_sha256,
            artefacts=artefacts,
        )


class QueueItemOut(BaseModel):
    """A detection waiting for a reviewer (``detections.review.QueueItem``)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    work_id: int
    work: str
    rights_holder: str
    site_id: int
    site: str
    region: str | None
    page_url: str
    media_url: str | None
    signal: str
    evidence_class: str
    score: float
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    matched_text: str | None
    captured_at: datetime
    reason: str | None


class AllowRuleOut(BaseModel):
    """A match set aside for good (``detections.review.AllowRuleRow``)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    work: str | None
    site: str | None
    url_pattern: str | None
    reason: str
    created_by: str
    detection_id: int | None
    created_at: datetime | None

    @classmethod
    def of(cls, row: AllowRuleRow) -> AllowRuleOut:
        return cls.model_validate(row)


# --- Notices --------------------------------------------------------------------------------


def _titles(works: object) -> list[str]:
    """A takedown lists titles, a warning lists items with a title each."""
    if not isinstance(works, list):
        return []
    return [str(w.get("title")) if isinstance(w, dict) else str(w) for w in works]


class NoticeSummary(BaseModel):
    """A notice as listed."""

    id: int
    kind: str
    status: str
    recipient: str
    site: str | None
    rights_holder_id: int | None
    works: list[str]
    urls: list[str]
    detections: int
    sent_at: datetime | None
    deadline_at: datetime | None
    case_id: int | None

    @classmethod
    def of(cls, n: Notice) -> NoticeSummary:
        return cls(
            id=n.id,
            kind=n.kind.value,
            status=n.status.value,
            recipient=n.recipient,
            site=n.site.name if n.site else None,
            rights_holder_id=n.rights_holder_id,
            works=_titles(n.content.get("works")),
            urls=[str(u) for u in n.content.get("infringing_urls", [])],
            detections=len(n.detections),
            sent_at=n.sent_at,
            deadline_at=n.deadline_at,
            case_id=n.case_id,
        )


class CounterNoticeOut(BaseModel):
    sender: str
    grounds: str
    received_at: str
    recorded_by: str


class NoticeDetail(BaseModel):
    """A notice as one structured document (``enforcement.notices.notice_data``).

    ``content`` is the notice's text as drafted and kept in the ledger: for a takedown the
    recipient, rights holder, works, infringing URLs, proof per detection and demand; for a
    warning the batch, its works and the platform's duties. Its shape is the document's, which
    differs by kind, so it is passed through as drafted rather than re-modelled here."""

    id: int
    kind: str
    status: str
    recipient: str
    site: str | None
    rights_holder_id: int | None
    batch_id: int | None
    sent_at: datetime | None
    deadline_at: datetime | None
    followed_up_at: datetime | None
    counter_notice: CounterNoticeOut | None
    case_id: int | None
    detections: list[int]
    content: dict[str, Any]

    @classmethod
    def of(cls, n: Notice) -> NoticeDetail:
        return cls(
            id=n.id,
            kind=n.kind.value,
            status=n.status.value,
            recipient=n.recipient,
            site=n.site.name if n.site else None,
            rights_holder_id=n.rights_holder_id,
            batch_id=n.batch_id,
            sent_at=n.sent_at,
            deadline_at=n.deadline_at,
            followed_up_at=n.followed_up_at,
            counter_notice=None
            if n.counter_notice is None
            else CounterNoticeOut.model_validate(n.counter_notice),
            case_id=n.case_id,
            detections=sorted(d.id for d in n.detections),
            content=n.content,
        )


# --- Cases ----------------------------------------------------------------------------------


class CaseSummary(BaseModel):
    """A case as listed."""

    id: int
    number: str
    state: str
    site: str
    operator: str | None
    detections: int
    officers: list[str]
    deadline_at: datetime | None
    referral_flags: list[str]
    opened_at: datetime | None

    @classmethod
    def of(cls, c: Case) -> CaseSummary:
        return cls(
            id=c.id,
            number=c.number,
            state=c.state.value,
            site=c.site.name,
            operator=c.operator,
            detections=len(c.detections),
            officers=list(c.officers or []),
            deadline_at=c.deadline_at,
            referral_flags=list(c.referral_flags or []),
            opened_at=c.created_at,
        )


class MeasuresOut(BaseModel):
    """What the investigation established; money as strings with two decimals."""

    works: int | None
    copies: int | None
    clicks: int | None
    paid_members: int | None
    illegal_gains: Decimal | None
    business_volume: Decimal | None


class CaseEventOut(BaseModel):
    from_state: str | None
    to_state: str
    actor: str
    reason: str | None
    at: datetime


class CaseDetail(CaseSummary):
    """A case's file: measures, proposal, decision, its events, and the states it may move to
    next (the guards still apply)."""

    authority_id: int | None
    source: str
    measures: MeasuresOut
    proposed_decision: str | None
    proposed_fine: Decimal | None
    advance_notice_served_at: datetime | None
    hearing_requested: bool
    hearing_held_at: datetime | None
    decision: str | None
    fine: Decimal | None
    decided_at: datetime | None
    referral: str | None
    closed_at: datetime | None
    allowed_next: list[str]
    detection_ids: list[int]
    events: list[CaseEventOut]

    @classmethod
    def detail(cls, c: Case) -> CaseDetail:
        return cls(
            **CaseSummary.of(c).model_dump(),
            authority_id=c.authority_id,
            source=c.source,
            measures=MeasuresOut(
                works=c.works_count,
                copies=c.copies_count,
                clicks=c.clicks,
                paid_members=c.paid_members,
                illegal_gains=c.illegal_gains,
                business_volume=c.business_volume,
            ),
            proposed_decision=c.proposed_decision,
            proposed_fine=c.proposed_fine,
            advance_notice_served_at=c.advance_notice_served_at,
            hearing_requested=bool(c.hearing_requested),
            hearing_held_at=c.hearing_held_at,
            decision=c.decision,
            fine=c.fine_amount,
            decided_at=c.decided_at,
            referral=c.referral,
            closed_at=c.closed_at,
            allowed_next=[s.value for s in allowed_next(c)],
            detection_ids=sorted(d.id for d in c.detections),
            events=[
                CaseEventOut(
                    from_state=e.from_state.value if e.from_state else None,
                    to_state=e.to_state.value,
                    actor=e.actor,
                    reason=e.reason,
                    at=e.at,
                )
                for e in c.events
            ],
        )
