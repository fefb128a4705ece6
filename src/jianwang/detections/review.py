"""Review of detections: bands that settle the clear cases, a queue for the rest, allow rules.

A matcher's score is an evidence count, so a score far above the matcher's own threshold is a
copy beyond reasonable doubt and is confirmed without a person (per signal, from the settings);
a score below a configured floor is set aside; everything between waits in the review queue.
Title matches have no auto-confirm band unless one is configured: nothing of the work was seen.

A reviewer who rejects a detection can say why it must not come back: the work is fine on that
site (a licence the catalog does not know of, a trailer channel), or pages under a URL pattern
are not copies. That becomes an ``AllowRule``; triage applies the rules before the bands, so the
same false match on a later capture is set aside instead of queued again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Action, Actor
from jianwang.config import Settings
from jianwang.db.models import (
    AllowRule,
    Capture,
    Detection,
    DetectionStatus,
    Role,
    Site,
    Work,
)
from jianwang.detections.service import require_rights, set_status
from jianwang.errors import NotFoundError, UserError
from jianwang.evidence import ledger

log = logging.getLogger(__name__)

AllowKind = Literal["work-site", "url"]
OPEN = (DetectionStatus.DETECTED, DetectionStatus.IN_REVIEW)
MIN_LITERAL = 4  # characters a URL glob must name besides wildcards, dots and slashes


@dataclass(frozen=True)
class ReviewPolicy:
    """Per signal name, the score bands that settle a detection without a reviewer."""

    auto_confirm: Mapping[str, float] = field(default_factory=dict)
    floor: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewPolicy:
        return cls(
            auto_confirm=dict(settings.review_auto_confirm), floor=dict(settings.review_floor)
        )

    def band(self, signal: str, score: float) -> tuple[DetectionStatus, str]:
        """The status a detection of ``signal`` with ``score`` gets, and why."""
        confirm_at = self.auto_confirm.get(signal)
        if confirm_at is not None and score >= confirm_at:
            return (
                DetectionStatus.CONFIRMED,
                f"score {score:g} is at or above the auto-confirm threshold {confirm_at:g} "
                f"for {signal}",
            )
        floor = self.floor.get(signal)
        if floor is not None and score < floor:
            return (
                DetectionStatus.FALSE_POSITIVE,
                f"score {score:g} is below the review floor {floor:g} for {signal}",
            )
        waits = (
            f"below the auto-confirm threshold {confirm_at:g}"
            if confirm_at is not None
            else "no auto-confirm threshold"
        )
        return DetectionStatus.IN_REVIEW, f"score {score:g} for {signal}: {waits}; needs review"


@dataclass
class TriageResult:
    """What triage did, as detection ids per outcome."""

    confirmed: list[int] = field(default_factory=list)
    in_review: list[int] = field(default_factory=list)
    below_floor: list[int] = field(default_factory=list)
    allowed: list[int] = field(default_factory=list)  # set aside by an allow rule

    @property
    def total(self) -> int:
        return len(self.confirmed) + len(self.in_review) + len(self.below_floor) + len(self.allowed)


def rule_covers(rule: AllowRule, detection: Detection) -> bool:
    """Whether ``rule`` covers ``detection``: every part the rule names must hold (its work, its
    site, its URL glob against the capture's page or media URL)."""
    capture = detection.capture
    if rule.work_id is not None and rule.work_id != detection.work_id:
        return False
    if rule.site_id is not None and rule.site_id != capture.site_id:
        return False
    if rule.url_pattern:
        urls = [u for u in (capture.page_url, capture.media_url) if u]
        if not any(fnmatchcase(url, rule.url_pattern) for url in urls):
            return False
    return True


def _rules_for(session: Session, detections: Sequence[Detection]) -> list[AllowRule]:
    works = {d.work_id for d in detections}
    sites = {d.capture.site_id for d in detections}
    query = (
        select(AllowRule)
        .where(AllowRule.work_id.is_(None) | AllowRule.work_id.in_(works))
        .where(AllowRule.site_id.is_(None) | AllowRule.site_id.in_(sites))
        .order_by(AllowRule.id)
    )
    return list(session.scalars(query))


def _with_note(reason: str, detection: Detection) -> str:
    """Keep what detection recorded about it (a re-upload of a noticed copy) after the reason."""
    return f"{reason}; {detection.status_reason}" if detection.status_reason else reason


def triage(
    session: Session, *, detections: Iterable[Detection], policy: ReviewPolicy
) -> TriageResult:
    """Settle each detection still DETECTED: allow rules first, then the policy's bands.

    Detections already licensed or reviewed are left as they are. Every change is a ``review``
    entry in the ledger under the system actor."""
    pending = [d for d in detections if d.status is DetectionStatus.DETECTED]
    result = TriageResult()
    if not pending:
        return result
    system = Actor.system()
    rules = _rules_for(session, pending)
    for detection in pending:
        rule = next((r for r in rules if rule_covers(r, detection)), None)
        if rule is not None:
            reason = f"allow rule {rule.id} (by {rule.created_by}): {rule.reason}"
            set_status(
                session,
                detections=[detection],
                status=DetectionStatus.FALSE_POSITIVE,
                actor=system,
                reason=_with_note(reason, detection),
            )
            result.allowed.append(detection.id)
            continue
        status, reason = policy.band(detection.signal, detection.score)
        set_status(
            session,
            detections=[detection],
            status=status,
            actor=system,
            reason=_with_note(reason, detection),
        )
        {
            DetectionStatus.CONFIRMED: result.confirmed,
            DetectionStatus.FALSE_POSITIVE: result.below_floor,
            DetectionStatus.IN_REVIEW: result.in_review,
        }[status].append(detection.id)
    log.info(
        "triage: %d confirmed, %d to review, %d below the floor, %d allowed",
        len(result.confirmed),
        len(result.in_review),
        len(result.below_floor),
        len(result.allowed),
    )
    return result


@dataclass(frozen=True)
class QueueItem:
    """A detection waiting for a reviewer, with what the reviewer needs to decide."""

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


def review_queue(
    session: Session, *, actor: Actor, site_id: int | None = None, work_id: int | None = None
) -> list[QueueItem]:
    """Detections IN_REVIEW that ``actor`` may review, oldest first: an officer sees the sites
    in its region, a rights holder its own works, an admin everything."""
    actor.require(Action.REVIEW, what="the review queue")
    query = (
        select(Detection, Capture, Site, Work)
        .join(Capture, Detection.capture_id == Capture.id)
        .join(Site, Capture.site_id == Site.id)
        .join(Work, Detection.work_id == Work.id)
        .where(Detection.status == DetectionStatus.IN_REVIEW)
        .order_by(Detection.id)
    )
    if site_id is not None:
        query = query.where(Site.id == site_id)
    if work_id is not None:
        query = query.where(Work.id == work_id)
    if actor.role is Role.RIGHTS_HOLDER:
        query = query.where(Work.rights_holder_id == actor.rights_holder_id)
    items = []
    for d, capture, site, work in session.execute(query).all():
        if actor.role is Role.OFFICER and not actor.covers_region(site.region):
            continue
        items.append(
            QueueItem(
                id=d.id,
                work_id=work.id,
                work=work.title,
                rights_holder=work.rights_holder.name,
                site_id=site.id,
                site=site.name,
                region=site.region,
                page_url=capture.page_url,
                media_url=capture.media_url,
                signal=d.signal,
                evidence_class=d.evidence_class,
                score=d.score,
                query_start=d.query_start,
                query_end=d.query_end,
                ref_start=d.ref_start,
                ref_end=d.ref_end,
                matched_text=d.matched_text,
                captured_at=capture.fetched_at,
                reason=d.status_reason,
            )
        )
    return items


def load_detections(session: Session, ids: Sequence[int]) -> list[Detection]:
    """The detections with these ids, in that order; ``NotFoundError`` naming any unknown."""
    if not ids:
        raise UserError("name at least one detection")
    found = {d.id: d for d in session.scalars(select(Detection).where(Detection.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"no detection with id {', '.join(map(str, missing))}")
    return [found[i] for i in dict.fromkeys(ids)]


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise UserError("give a reason: it goes into the evidence ledger with the decision")
    return text


def confirm(
    session: Session, *, detection_ids: Sequence[int], actor: Actor, reason: str
) -> list[Detection]:
    """Confirm detections as infringing copies (they may then be noticed and cased)."""
    text = _reason(reason)
    detections = load_detections(session, detection_ids)
    set_status(
        session, detections=detections, status=DetectionStatus.CONFIRMED, actor=actor, reason=text
    )
    return detections


def reject(
    session: Session,
    *,
    detection_ids: Sequence[int],
    actor: Actor,
    reason: str,
    allow: AllowKind | None = None,
    url_pattern: str | None = None,
) -> list[AllowRule]:
    """Reject detections as false positives; with ``allow``, keep the match from coming back.

    ``allow="work-site"`` allows each rejected work on its site; ``allow="url"`` allows pages
    whose page or media URL matches the glob ``url_pattern`` (for a rights holder, only for the
    rejected work: it may not waive other holders' works). The pattern must match the rejected
    detections' URLs, so a typo cannot waive unrelated pages. Open detections a new rule covers
    are set aside too. Everything is checked before anything changes."""
    text = _reason(reason)
    if url_pattern is not None and allow is None:
        allow = "url"
    if allow not in (None, "work-site", "url"):
        raise UserError(f"unknown allow rule kind {allow!r}; use 'work-site' or 'url'")
    pattern = (url_pattern or "").strip()
    if allow == "url" and len(_literal(pattern)) < MIN_LITERAL:
        raise UserError(
            f"URL pattern {pattern!r} names too little (it would allow almost any "
            "page); name the host at least, e.g. 'https://example.com/trailers/*'"
        )
    if allow == "work-site" and pattern:
        raise UserError("a work-site allow rule takes no URL pattern")
    detections = load_detections(session, detection_ids)
    require_rights(actor, Action.REVIEW, detections)
    drafts = _draft_rules(detections, actor=actor, allow=allow, pattern=pattern, reason=text)
    set_status(
        session,
        detections=detections,
        status=DetectionStatus.FALSE_POSITIVE,
        actor=actor,
        reason=text,
    )
    rules = [_store_rule(session, rule) for rule in drafts]
    for rule in rules:
        _apply_rule(session, rule)
    return rules


def _literal(pattern: str) -> str:
    """What a URL glob names for certain: its characters that are not wildcards, without the
    scheme."""
    rest = pattern.split("://", 1)[-1]
    return "".join(c for c in rest if c not in "*?[]!/.:")


def _draft_rules(
    detections: Sequence[Detection],
    *,
    actor: Actor,
    allow: AllowKind | None,
    pattern: str,
    reason: str,
) -> list[AllowRule]:
    if allow is None:
        return []
    if allow == "work-site":
        pairs = {(d.work_id, d.capture.site_id): d.id for d in detections}
        return [
            AllowRule(
                work_id=work, site_id=site, reason=reason, created_by=actor.name, detection_id=first
            )
            for (work, site), first in pairs.items()
        ]
    unmatched = [
        d.id
        for d in detections
        if not any(fnmatchcase(u, pattern) for u in (d.capture.page_url, d.capture.media_url) if u)
    ]
    if unmatched:
        ids = ", ".join(map(str, unmatched))
        raise UserError(f"URL pattern {pattern!r} does not match detection {ids}'s page or media")
    if actor.role is Role.RIGHTS_HOLDER:
        works = {d.work_id: d.id for d in detections}
        return [
            AllowRule(
                work_id=work,
                url_pattern=pattern,
                reason=reason,
                created_by=actor.name,
                detection_id=first,
            )
            for work, first in works.items()
        ]
    return [
        AllowRule(
            url_pattern=pattern, reason=reason, created_by=actor.name, detection_id=detections[0].id
        )
    ]


def _store_rule(session: Session, rule: AllowRule) -> AllowRule:
    """Add ``rule`` unless the same rule exists (then that one stands), with a ledger entry."""
    same = session.scalar(
        select(AllowRule).where(
            AllowRule.work_id.is_(None)
            if rule.work_id is None
            else AllowRule.work_id == rule.work_id,
            AllowRule.site_id.is_(None)
            if rule.site_id is None
            else AllowRule.site_id == rule.site_id,
            AllowRule.url_pattern.is_(None)
            if rule.url_pattern is None
            else AllowRule.url_pattern == rule.url_pattern,
        )
    )
    if same is not None:
        return same
    session.add(rule)
    session.flush()
    ledger.append(
        session,
        kind="allow_rule",
        subject=f"allow_rule:{rule.id}",
        payload={
            "work_id": rule.work_id,
            "site_id": rule.site_id,
            "url_pattern": rule.url_pattern,
            "reason": rule.reason,
            "created_by": rule.created_by,
            "detection_id": rule.detection_id,
        },
    )
    log.info("allow rule %d added by %s", rule.id, rule.created_by)
    return rule


def _apply_rule(session: Session, rule: AllowRule) -> list[int]:
    """Set aside the open detections ``rule`` covers (a rule applies everywhere it reaches, as
    triage applies it to later captures)."""
    query = select(Detection).where(Detection.status.in_(OPEN)).order_by(Detection.id)
    if rule.work_id is not None:
        query = query.where(Detection.work_id == rule.work_id)
    if rule.site_id is not None:
        query = query.join(Capture, Detection.capture_id == Capture.id).where(
            Capture.site_id == rule.site_id
        )
    covered = [d for d in session.scalars(query) if rule_covers(rule, d)]
    reason = f"allow rule {rule.id} (by {rule.created_by}): {rule.reason}"
    set_status(
        session,
        detections=covered,
        status=DetectionStatus.FALSE_POSITIVE,
        actor=Actor.system(),
        reason=reason,
    )
    return [d.id for d in covered]


@dataclass(frozen=True)
class AllowRuleRow:
    """An allow rule as listed to a person or a script."""

    id: int
    work: str | None
    site: str | None
    url_pattern: str | None
    reason: str
    created_by: str
    detection_id: int | None
    created_at: datetime | None


def allow_rule_row(session: Session, rule: AllowRule) -> AllowRuleRow:
    """An allow rule with its work and site named."""
    work = session.get(Work, rule.work_id) if rule.work_id is not None else None
    site = session.get(Site, rule.site_id) if rule.site_id is not None else None
    return AllowRuleRow(
        id=rule.id,
        work=work.title if work else None,
        site=site.name if site else None,
        url_pattern=rule.url_pattern,
        reason=rule.reason,
        created_by=rule.created_by,
        detection_id=rule.detection_id,
        created_at=rule.created_at,
    )


def list_allow_rules(session: Session) -> list[AllowRuleRow]:
    """Every allow rule, oldest first."""
    return [
        allow_rule_row(session, rule)
        for rule in session.scalars(select(AllowRule).order_by(AllowRule.id))
    ]
