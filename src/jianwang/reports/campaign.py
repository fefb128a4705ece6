"""Campaign figures: what a national anti-piracy campaign reports for a period and a region.

This docstring is the report's contract; the exports, the charts and the tests hold to it.

Period
    ``[start, end]`` are inclusive calendar days in UTC: a time ``t`` is in the period when
    ``start 00:00:00 UTC <= t < (end + 1 day) 00:00:00 UTC``.

Scope (``authority``)
    Without an authority every record counts. With one, only cases whose authority is that
    authority or one whose region lies inside its region count, and only sites whose region lies
    inside it count for the detection and notice figures. Region codes nest by prefix: ``CN``
    contains ``CN-33``, which contains ``CN-33-01``. A national-level authority covers
    everything, including cases with no authority and sites with no (or a foreign) region, so
    its report equals the unscoped one. The protection list is national and is never scoped.

Case figures
    - ``cases_investigated``: cases with an event to ``filed`` in the period.
    - ``cases_referred``: cases with an event to ``referred`` in the period.
    - ``cases_closed``: cases with an event to ``closed`` or ``closed_no_penalty`` in the period.
    - ``cases_opened``: cases created in the period; ``cases_by_state`` counts their current
      states (states with none are left out), in the order of the case lifecycle.
    - ``sites_shut_down``: distinct sites of cases decided in the period whose decision
      includes ``shutdown``.
    - ``fines_imposed``: the sum, in yuan, of the fines of cases decided in the period whose
      decision includes ``fine`` (a missing amount adds nothing); ``fines_count``: how many such
      cases.

Protection list
    ``works_on_protection_list``: works on batches published on or before the last day of the
    period; ``batches_published``: the batches published in the period (name, day, works).

Detections
    Confirmed detections whose capture was fetched in the period. A capture counts once per
    work: a copy matched by picture and by sound is one copy. Copies are grouped by work title,
    by site name, by site region (``unknown`` when the site has none) and by month (``YYYY-MM``
    of the capture's fetch; every month of the period is listed, empty ones with 0). Groups are
    ordered by count, largest first, then by name.
    ``capture_to_detection_s``: over those copies, seconds from the capture's fetch to its first
    confirmed detection of the work.

Notices
    ``notices_sent``: notices of either kind sent in the period; ``notices_removed`` and
    ``notices_non_compliant``: those of them now ``removed_verified`` or ``non_compliant``.
    ``notice_to_removal_h``: over takedown notices sent in the period and now
    ``removed_verified``, hours from sending to the follow-up that verified the removal.

Timings report ``count``, ``median`` and ``p90``; percentiles interpolate linearly between
the closest ranks (NumPy's default), so ``p90`` of ``[60, 120, 300, 600, 1800]`` is 1320.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from jianwang.db.models import (
    Authority,
    AuthorityLevel,
    Capture,
    Case,
    CaseEvent,
    CaseState,
    Detection,
    DetectionStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    ProtectionBatch,
    Site,
    Work,
)
from jianwang.errors import NotFoundError, UserError

log = logging.getLogger(__name__)

UNKNOWN_REGION = "unknown"
CENT = Decimal("0.01")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_Stmt = TypeVar("_Stmt", bound=Select)  # a select of any columns, scoped and given back


@dataclass(frozen=True)
class Count:
    """How many records one group (a work, a site, a region, a month, a state) holds."""

    key: str
    count: int


@dataclass(frozen=True)
class Timing:
    """The spread of a delay: how many were measured, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Timing:
        """Summarise ``values``; with none, median and p90 are None rather than a fake 0."""
        ordered = sorted(values)
        if not ordered:
            return cls(count=0, median=None, p90=None)
        return cls(
            count=len(ordered),
            median=percentile(ordered, 0.5),
            p90=percentile(ordered, 0.9),
        )


@dataclass(frozen=True)
class CaseFigures:
    """What the authorities did with their cases in the period."""

    investigated: int
    opened: int
    closed: int
    referred: int
    sites_shut_down: int
    fines_imposed: Decimal
    fines_count: int
    by_state: tuple[Count, ...]


@dataclass(frozen=True)
class BatchLine:
    """A protection-list batch published in the period."""

    name: str
    published_on: date
    works: int


@dataclass(frozen=True)
class ProtectionFigures:
    """The protection list as it stood at the end of the period."""

    works: int
    batches_published: tuple[BatchLine, ...]


@dataclass(frozen=True)
class DetectionFigures:
    """Confirmed copies found in the period, grouped four ways, and how fast they were found."""

    copies: int
    by_work: tuple[Count, ...]
    by_site: tuple[Count, ...]
    by_region: tuple[Count, ...]
    by_month: tuple[Count, ...]
    capture_to_detection_s: Timing


@dataclass(frozen=True)
class NoticeFigures:
    """Notices sent in the period and how they ended."""

    sent: int
    removed: int
    non_compliant: int
    to_removal_h: Timing


@dataclass(frozen=True)
class CampaignReport:
    """Every figure of the campaign report for one period and scope (see the module docstring)."""

    start: date
    end: date
    authority: str | None
    region: str | None
    cases: CaseFigures
    protection: ProtectionFigures
    detections: DetectionFigures
    notices: NoticeFigures

    @property
    def cases_investigated(self) -> int:
        """Headline: cases filed for investigation."""
        return self.cases.investigated

    @property
    def sites_shut_down(self) -> int:
        """Headline: distinct sites ordered shut down."""
        return self.cases.sites_shut_down

    @property
    def fines_imposed(self) -> Decimal:
        """Headline: yuan of fines decided."""
        return self.cases.fines_imposed

    @property
    def cases_referred(self) -> int:
        """Headline: cases referred for prosecution."""
        return self.cases.referred

    @property
    def works_on_protection_list(self) -> int:
        """Headline: works on the protection list."""
        return self.protection.works

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document: figures named as in the module docstring, money as a string
        with two decimals (a float would lose fen), times and days as ISO strings."""
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "authority": (
                None if self.authority is None else {"name": self.authority, "region": self.region}
            ),
            "cases_investigated": self.cases.investigated,
            "sites_shut_down": self.cases.sites_shut_down,
            "fines_imposed": f"{self.cases.fines_imposed:.2f}",
            "fines_count": self.cases.fines_count,
            "cases_referred": self.cases.referred,
            "cases_opened": self.cases.opened,
            "cases_closed": self.cases.closed,
            "cases_by_state": {c.key: c.count for c in self.cases.by_state},
            "works_on_protection_list": self.protection.works,
            "batches_published": {
                "count": len(self.protection.batches_published),
                "batches": [
                    {"name": b.name, "published_on": b.published_on.isoformat(), "works": b.works}
                    for b in self.protection.batches_published
                ],
            },
            "detections": {
                "copies": self.detections.copies,
                "by_work": _counts(self.detections.by_work),
                "by_site": _counts(self.detections.by_site),
                "by_region": _counts(self.detections.by_region),
                "by_month": _counts(self.detections.by_month),
            },
            "capture_to_detection_s": _timing(self.detections.capture_to_detection_s),
            "notices_sent": self.notices.sent,
            "notices_removed": self.notices.removed,
            "notices_non_compliant": self.notices.non_compliant,
            "notice_to_removal_h": _timing(self.notices.to_removal_h),
        }


def _counts(counts: Sequence[Count]) -> list[dict[str, Any]]:
    # A list, not an object: it keeps the order and takes any title as a key.
    return [{"key": c.key, "count": c.count} for c in counts]


def _timing(timing: Timing) -> dict[str, Any]:
    return {"count": timing.count, "median": timing.median, "p90": timing.p90}


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values, interpolating linearly between the closest ranks."""
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def parse_day(text: str, *, option: str) -> date:
    """A ``YYYY-MM-DD`` day, or a UserError that names the option and the bad value."""
    if not _DAY.fullmatch(text.strip()):
        raise UserError(f"{option} {text!r}: give a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UserError(f"{option} {text!r}: not a calendar date ({exc})") from None


@dataclass(frozen=True)
class _Scope:
    """Which cases and sites count; None means no restriction."""

    authority: Authority | None
    authority_ids: frozenset[int] | None
    region: str | None

    def cases(self, stmt: _Stmt) -> _Stmt:
        if self.authority_ids is None:
            return stmt
        return stmt.where(Case.authority_id.in_(sorted(self.authority_ids)))

    def sites(self, stmt: _Stmt) -> _Stmt:
        if self.region is None:
            return stmt
        return stmt.where(
            or_(
                Site.region == self.region,
                Site.region.startswith(f"{self.region}-", autoescape=True),
            )
        )


def region_within(region: str | None, scope: str) -> bool:
    """Whether ``region`` lies inside ``scope``: region codes nest by ``-`` separated prefix."""
    return region is not None and (region == scope or region.startswith(f"{scope}-"))


def _scope(session: Session, authority: str | None) -> _Scope:
    if authority is None:
        return _Scope(authority=None, authority_ids=None, region=None)
    found = session.scalar(select(Authority).where(Authority.name == authority))
    if found is None:
        raise NotFoundError(
            f"no authority named {authority!r} (list them with 'jianwang authorities list')"
        )
    if found.level is AuthorityLevel.NATIONAL:
        return _Scope(authority=found, authority_ids=None, region=None)
    ids = frozenset(
        a.id for a in session.scalars(select(Authority)) if region_within(a.region, found.region)
    )
    return _Scope(authority=found, authority_ids=ids, region=found.region)


def _measures(decision: str | None) -> set[str]:
    return {m.strip().lower() for m in (decision or "").split(",") if m.strip()}


def _case_figures(session: Session, scope: _Scope, lo: datetime, hi: datetime) -> CaseFigures:
    counted = (CaseState.FILED, CaseState.REFERRED, CaseState.CLOSED, CaseState.CLOSED_NO_PENALTY)
    events = session.execute(
        scope.cases(
            select(CaseEvent.case_id, CaseEvent.to_state)
            .join(Case, CaseEvent.case_id == Case.id)
            .where(CaseEvent.at >= lo, CaseEvent.at < hi, CaseEvent.to_state.in_(counted))
        )
    ).all()
    reached: dict[CaseState, set[int]] = {state: set() for state in counted}
    for case_id, to_state in events:
        reached[to_state].add(case_id)

    opened = Counter(
        session.scalars(
            scope.cases(select(Case.state).where(Case.created_at >= lo, Case.created_at < hi))
        )
    )
    by_state = tuple(Count(s.value, opened[s]) for s in CaseState if opened[s])

    shut: set[int] = set()
    fines = Decimal("0.00")
    fines_count = 0
    decided = session.execute(
        scope.cases(
            select(Case.number, Case.site_id, Case.decision, Case.fine_amount).where(
                Case.decided_at >= lo, Case.decided_at < hi
            )
        )
    ).all()
    for number, site_id, decision, amount in decided:
        measures = _measures(decision)
        if "shutdown" in measures:
            shut.add(site_id)
        if "fine" in measures:
            fines_count += 1
            if amount is None:
                log.warning("case %s decided a fine with no amount recorded", number)
            else:
                fines += Decimal(amount)
    return CaseFigures(
        investigated=len(reached[CaseState.FILED]),
        opened=sum(opened.values()),
        closed=len(reached[CaseState.CLOSED] | reached[CaseState.CLOSED_NO_PENALTY]),
        referred=len(reached[CaseState.REFERRED]),
        sites_shut_down=len(shut),
        fines_imposed=fines.quantize(CENT),
        fines_count=fines_count,
        by_state=by_state,
    )


def _protection_figures(session: Session, lo: datetime, hi: datetime) -> ProtectionFigures:
    works = session.scalar(
        select(func.count(Work.id))
        .join(ProtectionBatch, Work.batch_id == ProtectionBatch.id)
        .where(ProtectionBatch.published_at < hi)
    )
    rows = session.execute(
        select(ProtectionBatch.name, ProtectionBatch.published_at, func.count(Work.id))
        .outerjoin(Work, Work.batch_id == ProtectionBatch.id)
        .where(ProtectionBatch.published_at >= lo, ProtectionBatch.published_at < hi)
        .group_by(ProtectionBatch.id, ProtectionBatch.name, ProtectionBatch.published_at)
        .order_by(ProtectionBatch.published_at, ProtectionBatch.name)
    ).all()
    return ProtectionFigures(
        works=works or 0,
        batches_published=tuple(
            BatchLine(name=name, published_on=published.astimezone(UTC).date(), works=count)
            for name, published, count in rows
            if published is not None  # the query's bounds exclude None; this tells mypy
        ),
    )


def _ranked(counter: Counter[str]) -> tuple[Count, ...]:
    return tuple(Count(k, n) for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _months(start: date, end: date) -> list[str]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _detection_figures(
    session: Session, scope: _Scope, start: date, end: date, lo: datetime, hi: datetime
) -> DetectionFigures:
    rows = session.execute(
        scope.sites(
            select(
                Detection.capture_id,
                Detection.work_id,
                Work.title,
                Site.name,
                Site.region,
                Capture.fetched_at,
                Detection.created_at,
            )
            .join(Capture, Detection.capture_id == Capture.id)
            .join(Site, Capture.site_id == Site.id)
            .join(Work, Detection.work_id == Work.id)
            .where(
                Detection.status == DetectionStatus.CONFIRMED,
                Capture.fetched_at >= lo,
                Capture.fetched_at < hi,
            )
        )
    ).all()
    # One copy per (capture, work): several signals matching the same capture are one copy,
    # found when the first of them was.
    copies: dict[tuple[int, int], tuple[str, str, str, datetime, datetime]] = {}
    for capture_id, work_id, title, site, region, fetched, detected in rows:
        key = (capture_id, work_id)
        known = copies.get(key)
        if known is None or detected < known[4]:
            copies[key] = (title, site, region or UNKNOWN_REGION, fetched, detected)
    months = Counter({m: 0 for m in _months(start, end)})
    months.update(fetched.strftime("%Y-%m") for _, _, _, fetched, _ in copies.values())
    return DetectionFigures(
        copies=len(copies),
        by_work=_ranked(Counter(c[0] for c in copies.values())),
        by_site=_ranked(Counter(c[1] for c in copies.values())),
        by_region=_ranked(Counter(c[2] for c in copies.values())),
        by_month=tuple(Count(m, n) for m, n in sorted(months.items())),
        capture_to_detection_s=Timing.of(
            (detected - fetched).total_seconds() for _, _, _, fetched, detected in copies.values()
        ),
    )


def _notice_figures(session: Session, scope: _Scope, lo: datetime, hi: datetime) -> NoticeFigures:
    stmt = select(Notice.kind, Notice.status, Notice.sent_at, Notice.followed_up_at).where(
        Notice.sent_at >= lo, Notice.sent_at < hi
    )
    if scope.region is not None:
        stmt = scope.sites(stmt.join(Site, Notice.site_id == Site.id))
    rows = session.execute(stmt).all()
    statuses = Counter(status for _, status, _, _ in rows)
    hours = [
        (followed - sent).total_seconds() / 3600
        for kind, status, sent, followed in rows
        if kind is NoticeKind.TAKEDOWN
        and status is NoticeStatus.REMOVED_VERIFIED
        and sent is not None
        and followed is not None
    ]
    return NoticeFigures(
        sent=len(rows),
        removed=statuses[NoticeStatus.REMOVED_VERIFIED],
        non_compliant=statuses[NoticeStatus.NON_COMPLIANT],
        to_removal_h=Timing.of(hours),
    )


def campaign_report(
    session: Session, *, start: date, end: date, authority: str | None = None
) -> CampaignReport:
    """Gather every campaign figure for the days ``start`` to ``end`` (inclusive, UTC) within
    ``authority``'s reach (see the module docstring for each definition)."""
    if start > end:
        raise UserError(f"the period starts after it ends: {start.isoformat()} > {end.isoformat()}")
    scope = _scope(session, authority)
    lo = datetime.combine(start, time(), tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
    log.debug("campaign report %s..%s scope=%s", start, end, scope.region or "all")
    return CampaignReport(
        start=start,
        end=end,
        authority=scope.authority.name if scope.authority else None,
        region=scope.authority.region if scope.authority else None,
        cases=_case_figures(session, scope, lo, hi),
        protection=_protection_figures(session, lo, hi),
        detections=_detection_figures(session, scope, start, end, lo, hi),
        notices=_notice_figures(session, scope, lo, hi),
    )
