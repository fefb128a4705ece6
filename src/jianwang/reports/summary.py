"""A summary of what the protection list, the monitoring and the enforcement hold right now."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianwang.db.models import (
    Capture,
    Case,
    Detection,
    Notice,
    ReferenceAsset,
    Site,
    Work,
)


@dataclass(frozen=True)
class DetectionCount:
    """Detections of one work on one site, by status."""

    work: str
    site: str
    statuses: dict[str, int]


@dataclass(frozen=True)
class CaseLine:
    """One case as summarised."""

    number: str
    site: str
    state: str
    detections: int


@dataclass(frozen=True)
class NoticeLine:
    """One notice as summarised."""

    id: int
    kind: str
    site: str
    status: str
    urls: int
    deadline: str | None


@dataclass
class Summary:
    """Counts and lines that a person reads at the end of a run."""

    works: int = 0
    assets: int = 0
    sites: int = 0
    captures: int = 0
    detections: list[DetectionCount] = field(default_factory=list)
    cases: list[CaseLine] = field(default_factory=list)
    notices: list[NoticeLine] = field(default_factory=list)


def summarise(session: Session) -> Summary:
    """Gather the summary in a handful of queries."""
    summary = Summary(
        works=session.scalar(select(func.count()).select_from(Work)) or 0,
        assets=session.scalar(select(func.count()).select_from(ReferenceAsset)) or 0,
        sites=session.scalar(select(func.count()).select_from(Site)) or 0,
        captures=session.scalar(select(func.count()).select_from(Capture)) or 0,
    )
    rows = session.execute(
        select(Work.title, Site.name, Detection.status, Detection.capture_id)
        .join(Work, Detection.work_id == Work.id)
        .join(Capture, Detection.capture_id == Capture.id)
        .join(Site, Capture.site_id == Site.id)
        .order_by(Work.title, Site.name)
    ).all()
    # Count captures, not (asset, signal) pairs: a copy matched by picture and sound is one copy.
    seen: dict[tuple[str, str], dict[int, str]] = {}
    for title, site_name, status, capture_id in rows:
        per_capture = seen.setdefault((title, site_name), {})
        per_capture.setdefault(capture_id, status.value)
    for (title, site_name), per_capture in seen.items():
        summary.detections.append(
            DetectionCount(work=title, site=site_name, statuses=dict(Counter(per_capture.values())))
        )
    for case in session.scalars(select(Case).order_by(Case.id)):
        summary.cases.append(
            CaseLine(
                number=case.number,
                site=case.site.name,
                state=case.state.value,
                detections=len(case.detections),
            )
        )
    for notice in session.scalars(select(Notice).order_by(Notice.id)):
        summary.notices.append(
            NoticeLine(
                id=notice.id,
                kind=notice.kind.value,
                site=notice.site.name if notice.site else notice.recipient,
                status=notice.status.value,
                urls=len(notice.content.get("infringing_urls", [])),
                deadline=notice.deadline_at.isoformat(timespec="minutes")
                if notice.deadline_at
                else None,
            )
        )
    return summary
