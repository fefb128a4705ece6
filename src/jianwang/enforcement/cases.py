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
    """Open a case (state LEAD) against ``site`` on the strength of confirmed detections."""
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
        },
    )
    return case


def list_cases(session: Session) -> list[Case]:
    """Every case, newest first."""
    return list(session.scalars(select(Case).order_by(Case.id.desc())))
