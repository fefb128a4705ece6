"""The queue of candidate sites and what is known about each registered site's operator.

Sweeps put domains outside the registry here (monitored pirate pages link to them, or a site
announced one as its new address without it being confirmed as the same operation). An officer
adds one to the registry with one action, or dismisses it; either way the decision stays, so a
dismissed domain does not come back as new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.catalog.service import find_site
from jianwang.db.models import Site, SiteCandidate, SiteDomain, SiteFact
from jianwang.errors import NotFoundError, UserError
from jianwang.monitoring.sites import add_site


@dataclass(frozen=True)
class CandidateRow:
    """A candidate as listed to a person or a script."""

    id: int
    domain: str
    status: str
    score: float
    reasons: dict[str, Any]
    linked_from: list[int]
    sample_urls: list[str]
    first_seen: datetime
    last_seen: datetime
    site_id: int | None


def _row(candidate: SiteCandidate) -> CandidateRow:
    return CandidateRow(
        id=candidate.id,
        domain=candidate.domain,
        status=candidate.status,
        score=candidate.score,
        reasons=dict(candidate.reasons or {}),
        linked_from=list(candidate.linked_from or []),
        sample_urls=list(candidate.sample_urls or []),
        first_seen=candidate.first_seen,
        last_seen=candidate.last_seen,
        site_id=candidate.site_id,
    )


def list_candidates(
    session: Session, *, status: str | None = "pending", min_score: float = 0.0
) -> list[CandidateRow]:
    """Candidates, best first; ``status`` None lists every decision too."""
    query = select(SiteCandidate).where(SiteCandidate.score >= min_score)
    if status is not None:
        query = query.where(SiteCandidate.status == status)
    rows = session.scalars(query.order_by(SiteCandidate.score.desc(), SiteCandidate.id))
    return [_row(c) for c in rows]


def _candidate(session: Session, domain: str) -> SiteCandidate:
    row = session.scalar(select(SiteCandidate).where(SiteCandidate.domain == domain.lower()))
    if row is None:
        raise NotFoundError(f"no candidate site {domain!r}")
    return row


def add_candidate(
    session: Session, *, domain: str, name: str | None = None, kind: str = "link"
) -> Site:
    """Put a candidate in the registry as a site to sweep (seeded at its home page)."""
    candidate = _candidate(session, domain)
    if candidate.status == "added":
        raise UserError(f"candidate {domain!r} is already site {candidate.site_id}")
    site = add_site(
        session, name=name or candidate.domain, kind=kind, seeds=[f"http://{candidate.domain}/"]
    )
    session.add(
        SiteDomain(
            site_id=site.id,
            domain=candidate.domain,
            source="officer",
            evidence_url=next(iter(candidate.sample_urls or []), None),
            evidence_text=None,
            first_seen=candidate.first_seen,
            last_seen=candidate.last_seen,
        )
    )
    candidate.status = "added"
    candidate.site_id = site.id
    session.flush()
    return site


def dismiss_candidate(session: Session, *, domain: str, reason: str) -> CandidateRow:
    """Set a candidate aside, with the officer's reason."""
    candidate = _candidate(session, domain)
    candidate.status = "dismissed"
    candidate.reasons = {**(candidate.reasons or {}), "dismissed": reason}
    session.flush()
    return _row(candidate)


@dataclass(frozen=True)
class OperatorRecord:
    """What the registry knows about who runs a site: its domains over time and the facts its
    pages stated (filing numbers, contacts, payment and membership pages, advertising)."""

    site: str
    operator: str | None
    icp_number: str | None
    domains: list[dict[str, Any]]
    facts: list[dict[str, Any]]


def operator_record(session: Session, *, site: str | int) -> OperatorRecord:
    """A site's operator record (see :class:`OperatorRecord`)."""
    row = find_site(session, site)
    domains = [
        {
            "domain": d.domain,
            "source": d.source,
            "first_seen": d.first_seen,
            "last_seen": d.last_seen,
            "evidence_url": d.evidence_url,
        }
        for d in session.scalars(
            select(SiteDomain).where(SiteDomain.site_id == row.id).order_by(SiteDomain.first_seen)
        )
    ]
    facts = [
        {
            "kind": f.kind,
            "value": f.value,
            "page_url": f.page_url,
            "first_seen": f.first_seen,
            "last_seen": f.last_seen,
            "times_seen": f.times_seen,
        }
        for f in session.scalars(
            select(SiteFact).where(SiteFact.site_id == row.id).order_by(SiteFact.kind, SiteFact.id)
        )
    ]
    return OperatorRecord(row.name, row.operator, row.icp_number, domains, facts)
