"""Administrative cases: opening one against a site, with its detections as the first evidence.

The full state machine with its guards grows here; every transition is a ``CaseEvent`` and a ledger
entry, so the case file shows who moved it and why.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianwang.db import utcnow
from jianwang.db.models import (
    Case,
    CaseEvent,
    CaseState,
    Detection,
    DetectionStatus,
    Site,
    SiteFact,
)
from jianwang.errors import UserError
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
    actor: str,
    reason: str,
    source: str = "monitoring",
    authority_id: int | None = None,
) -> Case:
    """Open a case (state LEAD) against ``site`` on the strength of confirmed detections.

    Its measures start from what monitoring saw: works and copies detected, and the views the
    pages showed for those copies (clicks). What the site's pages state about its operator
    (filing numbers, contacts, payment and membership pages, advertising networks: evidence of
    commercial purpose) goes into the case's opening entry in the ledger."""
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
        authority_id=authority_id or site.authority_id,
        works_count=len({d.work_id for d in detections}),
        copies_count=len({d.capture_id for d in detections}),
        clicks=_clicks(detections),
        detections=list(detections),
    )
    session.add(case)
    case.events.append(
        CaseEvent(from_state=None, to_state=CaseState.LEAD, actor=actor, reason=reason, at=utcnow())
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
            "actor": actor,
            "reason": reason,
            "detections": sorted(d.id for d in detections),
            "clicks": case.clicks,
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


def list_cases(session: Session) -> list[Case]:
    """Every case, newest first."""
    return list(session.scalars(select(Case).order_by(Case.id.desc())))
