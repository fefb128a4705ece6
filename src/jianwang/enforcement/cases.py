"""Administrative cases: opening one against a site, assigning its officers, recording its measures.

A case starts as a LEAD on the strength of confirmed detections; its states and their guards are in
``enforcement.transitions``. Every change is a ``CaseEvent`` or a ledger entry (often both), so
the case file shows who did what, when and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Action, Actor
from jianwang.catalog.service import record_id
from jianwang.db import utcnow
from jianwang.db.models import (
    Authority,
    Capture,
    Case,
    CaseEvent,
    CaseState,
    Detection,
    DetectionStatus,
    Role,
    Site,
    SiteFact,
    User,
    Work,
)
from jianwang.db.models.enforcement import case_detections
from jianwang.detections.visibility import may_read_region, region_condition, require_reader
from jianwang.enforcement.policy import CaseMeasures, Thresholds, referral_flags
from jianwang.errors import NotFoundError, PermissionDenied, UserError
from jianwang.evidence import ledger


def next_case_number(session: Session, *, prefix: str = "JW") -> str:
    """Case numbers run per year: JW-2026-00001, JW-2026-00002, ..."""
    year = utcnow().year
    stem = f"{prefix}-{year}-"
    count = session.scalar(select(func.count()).where(Case.number.like(f"{stem}%"))) or 0
    return f"{stem}{count + 1:05d}"


def open_case(
    session: Session,
    *,
    site: Site,
    detections: Sequence[Detection],
    actor: Actor,
    reason: str,
    source: str = "monitoring",
    authority_id: int | None = None,
    thresholds: Thresholds | None = None,
) -> Case:
    """Open a case (state LEAD) against ``site`` on the strength of confirmed detections.

    Its measures start from what monitoring saw: works and copies detected, and the views the
    pages showed for those copies (clicks). What the site's pages state about its operator
    (filing numbers, contacts, payment and membership pages, advertising networks: evidence of
    commercial purpose) goes into the case's opening entry in the ledger. With ``thresholds`` the
    opening measures are compared with the referral thresholds at once."""
    actor.require(Action.CASE, what=f"open a case on site {site.name!r}")
    if not actor.covers_region(site.region):
        raise PermissionDenied(
            f"{actor.name} may not open a case on site {site.name!r}: its region "
            f"{site.region or 'unknown'} is outside {actor.region or 'any region of theirs'}"
        )
    if not reason.strip():
        raise UserError("opening a case needs a reason")
    if not detections:
        raise UserError(f"no confirmed detections on site {site.name!r} to open a case on")
    for detection in detections:
        if detection.status is not DetectionStatus.CONFIRMED:
            raise UserError(
                f"detection {detection.id} is {detection.status.value}; only confirmed "
                "detections can support a case"
            )
        if detection.capture.site_id != site.id:
            raise UserError(f"detection {detection.id} was not captured on site {site.name!r}")
    case = Case(
        number=next_case_number(session),
        site=site,
        operator=site.operator,
        source=source,
        state=CaseState.LEAD,
        authority_id=authority_id or site.authority_id or actor.authority_id,
        works_count=len({d.work_id for d in detections}),
        copies_count=len({d.capture_id for d in detections}),
        clicks=_clicks(detections),
        detections=list(detections),
        officers=[],
        referral_flags=[],
    )
    if thresholds is not None:
        case.referral_flags = referral_flags(measures_of(case), thresholds)
    session.add(case)
    case.events.append(
        CaseEvent(
            from_state=None, to_state=CaseState.LEAD, actor=actor.name, reason=reason, at=utcnow()
        )
    )
    session.flush()
    ledger.append(
        session,
        kind="case",
        subject=f"case:{case.id}",
        payload={
            "number": case.number,
            "site": site.name,
            "to": CaseState.LEAD.value,
            "actor": actor.name,
            "reason": reason,
            "detections": sorted(d.id for d in detections),
            "clicks": case.clicks,
            "referral_flags": case.referral_flags,
            "operator_facts": operator_facts(session, site_id=site.id),
        },
    )
    return case


def _clicks(detections: Sequence[Detection]) -> int | None:
    """Views the pages showed for the detected copies (each capture counted once)."""
    views = {d.capture_id: d.capture.view_count for d in detections}
    counted = [v for v in views.values() if v is not None]
    return sum(counted) if counted else None


FACT_KINDS = (
    "icp",
    "psb",
    "email",
    "qq",
    "qq_group",
    "wechat",
    "wechat_official",
    "telegram",
    "payment_page",
    "membership_page",
    "ad_network",
    "hosting",
)


def operator_facts(session: Session, *, site_id: int) -> dict[str, list[str]]:
    """The facts a site's pages stated about who runs it and how it earns, by kind."""
    facts: dict[str, list[str]] = {}
    for fact in session.scalars(
        select(SiteFact)
        .where(SiteFact.site_id == site_id, SiteFact.kind.in_(FACT_KINDS))
        .order_by(SiteFact.kind, SiteFact.id)
    ):
        facts.setdefault(fact.kind, []).append(fact.value)
    return facts


def list_cases(session: Session, *, state: CaseState | None = None) -> list[Case]:
    """Every case (or those in ``state``), newest first."""
    query = select(Case).order_by(Case.id.desc())
    if state is not None:
        query = query.where(Case.state == state)
    return list(session.scalars(query))


def find_case(session: Session, ref: str | int) -> Case:
    """A case by id or number (JW-2026-00001)."""
    if (row_id := record_id(ref)) is not None:
        case = session.get(Case, row_id) if row_id >= 0 else None
    else:
        case = session.scalar(select(Case).where(Case.number == str(ref).strip()))
    if case is None:
        raise NotFoundError(f"no case {ref!r}")
    return case


def case_region(session: Session, case: Case) -> str | None:
    """The region a case belongs to: its authority's, else its site's."""
    if case.authority_id is not None:
        authority = session.get(Authority, case.authority_id)
        if authority is not None:
            return authority.region
    return case.site.region


def require_case_right(session: Session, case: Case, actor: Actor, *, doing: str) -> None:
    """Refuse unless ``actor`` may act on ``case``: the CASE right, the case's region inside the
    actor's, and, once officers are assigned, being one of them (or an admin)."""
    actor.require(Action.CASE, what=f"{doing} case {case.number}")
    region = case_region(session, case)
    if not actor.covers_region(region):
        raise PermissionDenied(
            f"{actor.name} may not {doing} case {case.number}: its region {region or 'unknown'} "
            f"is outside {actor.region or 'any region of theirs'}"
        )
    if case.officers and actor.role is Role.OFFICER and actor.name not in case.officers:
        raise PermissionDenied(
            f"{actor.name} is not among the officers of case {case.number} "
            f"({', '.join(case.officers)})"
        )


def assign_officers(
    session: Session, *, case: Case, officers: Sequence[str], actor: Actor, reason: str = ""
) -> Case:
    """Assign the officers who carry the case: registered officers (two at least, the rule for
    investigating), each covering the case's region."""
    require_case_right(session, case, actor, doing="assign officers to")
    names = list(dict.fromkeys(o.strip() for o in officers if o.strip()))
    if len(names) < 2:
        raise UserError(f"case {case.number} needs at least two officers; {len(names)} given")
    region = case_region(session, case)
    for name in names:
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            raise NotFoundError(f"no user {name!r}")
        if user.role is not Role.OFFICER:
            raise UserError(f"user {name!r} is a {user.role.value}, not an officer")
        authority = session.get(Authority, user.authority_id) if user.authority_id else None
        scope = Actor(name=name, role=Role.OFFICER, region=authority.region if authority else None)
        if not scope.covers_region(region):
            raise UserError(
                f"officer {name!r} ({scope.region or 'no region'}) does not cover the case's "
                f"region {region or 'unknown'}"
            )
    before = list(case.officers or [])
    case.officers = names
    session.flush()
    ledger.append(
        session,
        kind="case",
        subject=f"case:{case.id}",
        payload={
            "number": case.number,
            "officers": names,
            "previous_officers": before,
            "actor": actor.name,
            "reason": reason,
        },
    )
    return case


def measures_of(case: Case) -> CaseMeasures:
    """The case's measures as one value."""
    return CaseMeasures(
        works=case.works_count,
        copies=case.copies_count,
        clicks=case.clicks,
        paid_members=case.paid_members,
        illegal_gains=case.illegal_gains,
        business_volume=case.business_volume,
    )


def set_measures(
    session: Session,
    *,
    case: Case,
    actor: Actor,
    thresholds: Thresholds,
    reason: str = "",
    **values: Any,
) -> Case:
    """Record what the investigation established (works, copies, clicks, paid_members,
    illegal_gains, business_volume) and compare them with the referral thresholds."""
    require_case_right(session, case, actor, doing="record measures of")
    columns = {
        "works": "works_count",
        "copies": "copies_count",
        "clicks": "clicks",
        "paid_members": "paid_members",
        "illegal_gains": "illegal_gains",
        "business_volume": "business_volume",
    }
    unknown = sorted(set(values) - set(columns))
    if unknown:
        raise UserError(f"unknown case measure {unknown[0]!r}")
    changes = {k: v for k, v in values.items() if v is not None}
    for name, value in changes.items():
        if value < 0:
            raise UserError(f"measure {name} cannot be negative ({value})")
    for name, value in changes.items():
        setattr(case, columns[name], value)
    case.referral_flags = referral_flags(measures_of(case), thresholds)
    session.flush()
    ledger.append(
        session,
        kind="case",
        subject=f"case:{case.id}",
        payload={
            "number": case.number,
            "measures": {k: str(v) for k, v in changes.items()},
            "referral_flags": case.referral_flags,
            "actor": actor.name,
            "reason": reason,
        },
    )
    return case


def detections_for_case(
    session: Session, *, site: Site, ids: Sequence[int] = ()
) -> list[Detection]:
    """The detections a new case on ``site`` rests on: those named by ``ids``, or every
    confirmed detection on the site that no case holds yet."""
    if ids:
        found = list(session.scalars(select(Detection).where(Detection.id.in_(list(ids)))))
        missing = sorted(set(ids) - {d.id for d in found})
        if missing:
            raise NotFoundError(f"no detection with id {missing[0]}")
        return sorted(found, key=lambda d: d.id)
    held = {d.id for case in session.scalars(select(Case)) for d in case.detections}
    return [
        d
        for d in session.scalars(
            select(Detection)
            .join(Capture, Capture.id == Detection.capture_id)
            .where(Capture.site_id == site.id, Detection.status == DetectionStatus.CONFIRMED)
            .order_by(Detection.id)
        )
        if d.id not in held
    ]


def _holder_cases(actor: Actor) -> Select[tuple[int]]:
    """Ids of the cases that rest on at least one detection of the rights holder's works."""
    return (
        select(case_detections.c.case_id)
        .join(Detection, Detection.id == case_detections.c.detection_id)
        .join(Work, Work.id == Detection.work_id)
        .where(
            false()
            if actor.rights_holder_id is None
            else Work.rights_holder_id == actor.rights_holder_id
        )
    )


def visible_cases(
    session: Session,
    *,
    actor: Actor,
    state: CaseState | None = None,
    site_id: int | None = None,
) -> list[Case]:
    """Cases ``actor`` may read, newest first, optionally in one state or on one site: an
    officer (or a viewer with an authority) those whose region (``case_region``) lies in its
    own, a rights holder those resting on its works (it is the complainant), an admin all."""
    require_reader(actor, "cases")
    query = (
        select(Case)
        .join(Site, Case.site_id == Site.id)
        .outerjoin(Authority, Case.authority_id == Authority.id)
        .order_by(Case.id.desc())
    )
    if state is not None:
        query = query.where(Case.state == state)
    if site_id is not None:
        query = query.where(Case.site_id == site_id)
    if actor.role is Role.RIGHTS_HOLDER:
        query = query.where(Case.id.in_(_holder_cases(actor)))
    else:
        query = query.where(region_condition(actor, func.coalesce(Authority.region, Site.region)))
    return list(session.scalars(query))


def readable_case(session: Session, *, actor: Actor, ref: str | int) -> Case:
    """The case ``ref`` (id or number) if ``actor`` may read it (see :func:`visible_cases`);
    ``NotFoundError`` or ``PermissionDenied`` otherwise."""
    require_reader(actor, f"case {ref}")
    case = find_case(session, ref)
    if actor.role is Role.RIGHTS_HOLDER:
        if session.scalar(_holder_cases(actor).where(case_detections.c.case_id == case.id)) is None:
            raise PermissionDenied(
                f"{actor.name} may not read case {case.number}: it holds none of its works"
            )
        return case
    region = case_region(session, case)
    if not may_read_region(actor, region):
        raise PermissionDenied(
            f"{actor.name} may not read case {case.number}: its region {region or 'unknown'} "
            f"is outside {actor.region or 'any region of theirs'}"
        )
    return case
