"""Takedown notices: drafted with what the law asks of them, sent, and followed up.

A notice names the rights holder (name, contact, address: a notice without them is not a valid
notice, so drafting refuses), the works, the infringing URLs and the preliminary proof: for each
detection the match, its score and spans, the capture time and the sha256 of the captured bytes
and page, its evidence class and the sha256 of the evidence kept with it.

Its deadline runs from sending (24 hours for literature, 72 otherwise, by default). After the
deadline the staydown checks decide it: every noticed copy gone is REMOVED_VERIFIED, a copy still
served is NON_COMPLIANT, which an officer may escalate to a case. The recipient may answer with a
counter-notice. Each step is a ``notice`` entry in the ledger with its actor.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from reportlab.lib.units import mm
from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Action, Actor, require_rights
from jianwang.config import Settings
from jianwang.db import utcnow
from jianwang.db.models import (
    Artefact,
    Capture,
    Case,
    Detection,
    DetectionStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    RightsHolder,
    Role,
    Site,
    SiteKind,
    Work,
    WorkKind,
)
from jianwang.db.models.enforcement import notice_detections
from jianwang.detections.visibility import region_condition, require_reader
from jianwang.enforcement import cases
from jianwang.enforcement.warnings import render_warning_html, write_warning_pdf
from jianwang.errors import DuplicateError, NotFoundError, PermissionDenied, UserError
from jianwang.evidence import ledger
from jianwang.render.documents import render_html
from jianwang.render.pdf import paragraph, table, write_pdf

log = logging.getLogger(__name__)

OPEN_STATUSES = frozenset({NoticeStatus.DRAFT, NoticeStatus.SENT, NoticeStatus.NON_COMPLIANT})
"""A takedown notice in one of these is still running: its detections are not noticed twice."""

REMOVED_VERDICTS = frozenset({"gone", "replaced"})
"""Staydown verdicts that mean the copy is no longer served there (``replaced``: other bytes
that do not copy the work)."""

HOLDER_FIELDS = ("name", "contact", "address")
PROOF_WIDTHS_MM = (9, 20, 22, 13, 22, 22, 38, 28)  # the proof table across an A4 text width


def record_notice_event(
    session: Session,
    *,
    notice: Notice,
    actor: Actor,
    previous: NoticeStatus | None,
    **details: Any,
) -> None:
    """The ledger entry of one step of a notice: who moved it from where to where."""
    ledger.append(
        session,
        kind="notice",
        subject=f"notice:{notice.id}",
        payload={
            "kind": notice.kind.value,
            "from": previous.value if previous else None,
            "to": notice.status.value,
            "actor": actor.name,
            **details,
        },
    )


def _artefacts(session: Session, detection: Detection) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Artefact)
        .where(
            Artefact.capture_id == detection.capture_id,
            Artefact.detection_id.is_(None) | (Artefact.detection_id == detection.id),
        )
        .order_by(Artefact.id)
    )
    return [{"kind": a.kind, "sha256": a.sha256, "at_s": a.at_s} for a in rows]


def _proof(session: Session, detection: Detection) -> dict[str, Any]:
    capture = detection.capture
    return {
        "detection_id": detection.id,
        "work": detection.work.title,
        "reference": None if detection.asset is None else detection.asset.name,
        "evidence_class": detection.evidence_class,
        "signal": detection.signal,
        "score": detection.score,
        "capture_span": [detection.query_start, detection.query_end],
        "reference_span": [detection.ref_start, detection.ref_end],
        "speed": detection.speed,
        "matched_text": detection.matched_text,
        "page_url": capture.page_url,
        "media_url": capture.media_url,
        "captured_at": capture.fetched_at.isoformat(),
        "content_sha256": capture.content_sha256,
        "page_sha256": capture.page_sha256,
        "artefacts": _artefacts(session, detection),
    }


def _check_holder(holder: RightsHolder) -> None:
    for name in HOLDER_FIELDS:
        if not (getattr(holder, name) or "").strip():
            raise UserError(
                f"rights holder {holder.name or holder.id!r} has no {name}: a takedown notice "
                f"must give the rights holder's name, contact and address; add the {name} first"
            )


def _already_noticed(session: Session, detections: Sequence[Detection]) -> None:
    ids = [d.id for d in detections]
    row = session.execute(
        select(notice_detections.c.detection_id, Notice.id, Notice.status)
        .join(Notice, Notice.id == notice_detections.c.notice_id)
        .where(
            notice_detections.c.detection_id.in_(ids),
            Notice.kind == NoticeKind.TAKEDOWN,
            Notice.status.in_(OPEN_STATUSES),
        )
        .order_by(Notice.id)
        .limit(1)
    ).first()
    if row is not None:
        detection_id, notice_id, status = row
        raise DuplicateError(
            f"detection {detection_id} is already in takedown notice {notice_id} "
            f"({status.value}); a detection is noticed once while its notice runs"
        )


def deadline_hours(site: Site, detections: Sequence[Detection], settings: Settings) -> float:
    """The hours a notice gives: the literature deadline when it lists any literature (or the
    site is a literature site: its copies are chapters, spread within hours), else the usual."""
    literature = site.kind is SiteKind.LITERATURE or any(
        d.work.kind is WorkKind.LITERATURE for d in detections
    )
    return (
        settings.literature_notice_deadline_hours if literature else settings.notice_deadline_hours
    )


def draft_takedown_notices(
    session: Session,
    *,
    site: Site,
    detections: Sequence[Detection],
    actor: Actor,
    settings: Settings,
) -> list[Notice]:
    """Draft one takedown notice per rights holder for confirmed detections on ``site``.

    Refused before anything is written: an actor without the right to give notice of each
    detection (``PermissionDenied``), an unconfirmed detection or one from another site, a
    detection already in a running takedown notice (``DuplicateError``), a rights holder missing
    a field the notice must carry."""
    if not detections:
        raise UserError(f"no confirmed detections on site {site.name!r} to give notice of")
    require_rights(actor, Action.NOTICE, detections)
    for detection in detections:
        if detection.status is not DetectionStatus.CONFIRMED:
            raise UserError(
                f"detection {detection.id} is {detection.status.value}; only confirmed "
                "detections can be noticed (confirm it first)"
            )
        if detection.capture.site_id != site.id:
            raise UserError(f"detection {detection.id} was not captured on site {site.name!r}")
    _already_noticed(session, detections)
    by_holder: dict[int, list[Detection]] = defaultdict(list)
    for detection in dict.fromkeys(detections):
        by_holder[detection.work.rights_holder_id].append(detection)
    for group in by_holder.values():
        _check_holder(group[0].work.rights_holder)
    notices = []
    for group in by_holder.values():
        notice = Notice(
            kind=NoticeKind.TAKEDOWN,
            site=site,
            recipient=site.operator or site.name,
            rights_holder_id=group[0].work.rights_holder_id,
            content=_content(session, site, group, actor, deadline_hours(site, group, settings)),
            status=NoticeStatus.DRAFT,
            detections=list(group),
        )
        session.add(notice)
        session.flush()
        record_notice_event(
            session, notice=notice, actor=actor, previous=None, content=notice.content
        )
        notices.append(notice)
    return notices


def _content(
    session: Session, site: Site, group: Sequence[Detection], actor: Actor, hours: float
) -> dict[str, Any]:
    holder = group[0].work.rights_holder
    works = {d.work_id: d.work for d in group}
    urls = sorted(
        {d.capture.page_url for d in group}
        | {d.capture.media_url for d in group if d.capture.media_url}
    )
    return {
        "kind": NoticeKind.TAKEDOWN.value,
        "to": {
            "site": site.name,
            "operator": site.operator,
            "domains": list(site.domains),
            "icp_number": site.icp_number,
        },
        "rights_holder": {
            "name": holder.name,
            "contact": holder.contact,
            "address": holder.address,
        },
        "works": sorted(w.title for w in works.values()),
        "work_details": [
            {
                "title": w.title,
                "kind": w.kind.value,
                "proof_of_rights": w.proof_of_rights,
                "protected_until": w.protected_until.isoformat() if w.protected_until else None,
            }
            for w in sorted(works.values(), key=lambda w: w.title)
        ],
        "infringing_urls": urls,
        "proof": [_proof(session, d) for d in group],
        "deadline_hours": hours,
        "demand": f"Remove the listed content and disable access to it within {hours:g} hours "
        "of receipt of this notice.",
        "demand_zh": f"请于收到本通知后{hours:g}小时内删除上列内容或断开其链接。",
        "drafted_by": actor.name,
    }


def noticeable(session: Session, *, site: Site, actor: Actor) -> list[Detection]:
    """Confirmed detections on ``site`` that no running takedown notice lists yet, among those
    ``actor`` may give notice of (a rights holder: its own works), oldest first."""
    running = (
        select(notice_detections.c.detection_id)
        .join(Notice, Notice.id == notice_detections.c.notice_id)
        .where(Notice.kind == NoticeKind.TAKEDOWN, Notice.status.in_(OPEN_STATUSES))
    )
    query = (
        select(Detection)
        .join(Capture, Capture.id == Detection.capture_id)
        .where(
            Capture.site_id == site.id,
            Detection.status == DetectionStatus.CONFIRMED,
            Detection.id.not_in(running),
        )
        .order_by(Detection.id)
    )
    if actor.role is Role.RIGHTS_HOLDER:
        query = query.join(Work, Work.id == Detection.work_id).where(
            Work.rights_holder_id == actor.rights_holder_id
        )
    return list(session.scalars(query))


def get_notice(session: Session, notice_id: int) -> Notice:
    """A notice by id; ``NotFoundError`` when there is none."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFoundError(f"no notice with id {notice_id}")
    return notice


def _require(actor: Actor, action: Action, notice: Notice) -> None:
    """The actor's right over a notice is its right over the detections it lists."""
    actor.require(action, what=f"notice {notice.id}")
    require_rights(actor, action, notice.detections)


def _expect(notice: Notice, *allowed: NoticeStatus, doing: str) -> None:
    if notice.kind is not NoticeKind.TAKEDOWN:
        raise UserError(f"notice {notice.id} is a {notice.kind.value} notice; cannot {doing} it")
    if notice.status not in allowed:
        wanted = " or ".join(s.value for s in allowed)
        raise UserError(
            f"notice {notice.id} is {notice.status.value}; only a notice {wanted} can be {doing}"
        )


def send_notice(
    session: Session, *, notice: Notice, actor: Actor, now: datetime | None = None
) -> Notice:
    """Send a drafted notice: its deadline starts now."""
    _require(actor, Action.NOTICE, notice)
    _expect(notice, NoticeStatus.DRAFT, doing="sent")
    sent = now or utcnow()
    hours = float(notice.content.get("deadline_hours") or 72.0)
    notice.status = NoticeStatus.SENT
    notice.sent_at = sent
    notice.deadline_at = sent + timedelta(hours=hours)
    session.flush()
    record_notice_event(
        session,
        notice=notice,
        actor=actor,
        previous=NoticeStatus.DRAFT,
        sent_at=sent.isoformat(),
        deadline_at=notice.deadline_at.isoformat(),
    )
    log.info("notice %d sent to %s; deadline %s", notice.id, notice.recipient, notice.deadline_at)
    return notice


def record_counter_notice(
    session: Session,
    *,
    notice: Notice,
    actor: Actor,
    sender: str,
    grounds: str,
    received_at: datetime | None = None,
) -> Notice:
    """Record the recipient's counter-notice (who, on what grounds, when received)."""
    _require(actor, Action.NOTICE, notice)
    _expect(notice, NoticeStatus.SENT, NoticeStatus.NON_COMPLIANT, doing="counter-noticed")
    if not sender.strip() or not grounds.strip():
        raise UserError("a counter-notice needs its sender and the grounds it gives")
    previous = notice.status
    counter = {
        "sender": sender.strip(),
        "grounds": grounds.strip(),
        "received_at": (received_at or utcnow()).isoformat(),
        "recorded_by": actor.name,
    }
    notice.counter_notice = counter
    notice.status = NoticeStatus.COUNTER_NOTICED
    session.flush()
    record_notice_event(session, notice=notice, actor=actor, previous=previous, **counter)
    return notice


def follow_up(
    session: Session,
    *,
    notice: Notice,
    verdicts: Mapping[int, str],
    now: datetime,
    actor: Actor | None = None,
) -> NoticeStatus | None:
    """Decide a sent notice from staydown verdicts (capture id -> verdict) once its deadline
    has passed: every noticed capture gone (or serving something that is no copy) is
    REMOVED_VERIFIED; any still present is NON_COMPLIANT. Undecided (before the deadline, or a
    capture unreachable or not checked) leaves it as it is; returns the new status, if any."""
    if notice.kind is not NoticeKind.TAKEDOWN or notice.status is not NoticeStatus.SENT:
        return None
    if notice.deadline_at is None or now < notice.deadline_at:
        return None
    captures = sorted({d.capture_id for d in notice.detections})
    seen = {c: verdicts.get(c) for c in captures}
    present = [c for c, v in seen.items() if v == "present"]
    if present:
        status = NoticeStatus.NON_COMPLIANT
    elif captures and all(v in REMOVED_VERDICTS for v in seen.values()):
        status = NoticeStatus.REMOVED_VERIFIED
    else:
        return None
    notice.status = status
    notice.followed_up_at = now
    session.flush()
    record_notice_event(
        session,
        notice=notice,
        actor=actor or Actor.system("staydown"),
        previous=NoticeStatus.SENT,
        verdicts={str(c): v for c, v in seen.items()},
        followed_up_at=now.isoformat(),
    )
    log.info("notice %d: %s after its deadline", notice.id, status.value)
    return status


def escalate_notice(session: Session, *, notice: Notice, actor: Actor, reason: str) -> Case:
    """Open a case on a notice that was not complied with (its detections the first evidence).

    Opening a case is the authority's step: the actor needs the right to open cases as well as
    the right over the notice's detections."""
    _require(actor, Action.NOTICE, notice)
    actor.require(Action.CASE, what=f"a case from notice {notice.id}")
    _expect(notice, NoticeStatus.NON_COMPLIANT, doing="escalated")
    if not reason.strip():
        raise UserError("give a reason for escalating: it opens the case's file")
    if notice.case_id is not None:
        raise DuplicateError(f"notice {notice.id} was already escalated to case {notice.case_id}")
    if notice.site is None:
        raise UserError(f"notice {notice.id} names no site to open a case against")
    case = cases.open_case(
        session,
        site=notice.site,
        detections=list(notice.detections),
        actor=actor,
        reason=reason.strip(),
        source=f"notice:{notice.id}",
    )
    notice.case_id = case.id
    session.flush()
    record_notice_event(
        session,
        notice=notice,
        actor=actor,
        previous=notice.status,
        case_id=case.id,
        case_number=case.number,
        reason=reason.strip(),
    )
    return case


def list_notices(session: Session) -> list[Notice]:
    """Every notice, newest first."""
    return list(session.scalars(select(Notice).order_by(Notice.id.desc())))


def notices_of_site(session: Session, *, site_id: int, status: NoticeStatus) -> list[Notice]:
    """A site's takedown notices in ``status``, oldest first."""
    return list(
        session.scalars(
            select(Notice)
            .where(
                Notice.site_id == site_id,
                Notice.kind == NoticeKind.TAKEDOWN,
                Notice.status == status,
            )
            .order_by(Notice.id)
        )
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def notice_data(notice: Notice) -> dict[str, Any]:
    """The notice as one structured document (JSON-ready): its record and its content."""
    return {
        "id": notice.id,
        "kind": notice.kind.value,
        "status": notice.status.value,
        "recipient": notice.recipient,
        "site": notice.site.name if notice.site else None,
        "rights_holder_id": notice.rights_holder_id,
        "batch_id": notice.batch_id,
        "sent_at": _iso(notice.sent_at),
        "deadline_at": _iso(notice.deadline_at),
        "followed_up_at": _iso(notice.followed_up_at),
        "counter_notice": notice.counter_notice,
        "case_id": notice.case_id,
        "detections": sorted(d.id for d in notice.detections),
        "content": notice.content,
    }


def render_notice_html(notice: Notice) -> str:
    """The notice as an HTML document (bilingual headings, every field, the proof table)."""
    data = notice_data(notice)
    if notice.kind is NoticeKind.WARNING:
        return render_warning_html(data)
    return render_html("notice.html", notice=data)


def write_notice_pdf(notice: Notice, target: Path | IO[bytes]) -> None:
    """The notice as a PDF with the same fields as its HTML form."""
    data = notice_data(notice)
    if notice.kind is NoticeKind.WARNING:
        write_warning_pdf(data, target)
        return
    content = data["content"]
    holder = content["rights_holder"]
    to = content["to"]
    flow = [
        paragraph(f"版权侵权通知书 Copyright Infringement Notice No. {data['id']}", "Title"),
        paragraph("被通知方 Recipient", "Heading2"),
        paragraph(f"{data['recipient']} — {to['site']} ({', '.join(to['domains'])})"),
        paragraph(f"ICP: {to.get('icp_number') or '-'}"),
        paragraph("权利人 Rights holder", "Heading2"),
        table(
            ["名称 Name", "联系方式 Contact", "地址 Address"],
            [[holder["name"], holder["contact"], holder["address"]]],
        ),
        paragraph("作品 Works", "Heading2"),
        table(
            ["作品 Title", "类型 Kind", "权属证明 Proof of rights", "保护期至 Protected until"],
            [
                [w["title"], w["kind"], w["proof_of_rights"], w["protected_until"]]
                for w in content["work_details"]
            ],
        ),
        paragraph("侵权网址 Infringing URLs", "Heading2"),
        *[paragraph(url) for url in content["infringing_urls"]],
        paragraph("初步证明材料 Preliminary proof", "Heading2"),
        table(
            [
                "#",
                "作品 Work",
                "匹配 Match",
                "得分 Score",
                "片段 Spans",
                "采集 Captured",
                "SHA-256",
                "证据 Evidence",
            ],
            [_proof_row(p) for p in content["proof"]],
            widths=[w * mm for w in PROOF_WIDTHS_MM],
        ),
        paragraph("要求 Demand", "Heading2"),
        paragraph(content["demand_zh"]),
        paragraph(content["demand"]),
        paragraph(
            f"状态 Status: {data['status']}; 发出 Sent: {data['sent_at'] or '-'}; "
            f"期限 Deadline: {data['deadline_at'] or '-'}"
        ),
    ]
    if data["counter_notice"]:
        counter = data["counter_notice"]
        flow += [
            paragraph("反通知 Counter-notice", "Heading2"),
            paragraph(f"{counter['sender']} ({counter['received_at']}): {counter['grounds']}"),
        ]
    write_pdf(target, title=f"Notice {data['id']}", flowables=flow)


def _proof_row(proof: Mapping[str, Any]) -> list[Any]:
    match = proof["signal"] + (f" / {proof['reference']}" if proof.get("reference") else "")
    spans = "{:g}-{:g} / {:g}-{:g}".format(*proof["capture_span"], *proof["reference_span"])
    hashes = f"content {proof['content_sha256']}; page {proof['page_sha256'] or '-'}"
    evidence = "; ".join(
        [proof["evidence_class"], *(f"{a['kind']} {a['sha256']}" for a in proof["artefacts"])]
    )
    return [
        proof["detection_id"],
        proof["work"],
        match,
        proof["score"],
        spans,
        proof["captured_at"],
        hashes,
        evidence,
    ]


def _notice_scope(actor: Actor) -> ColumnElement[bool]:
    """The SQL condition for the notices ``actor`` may read (``Site`` outer-joined): a platform
    those addressed to its own site, a rights holder its own takedown notices, an officer (or a
    viewer with an authority) those to sites in its region, an admin all."""
    if actor.role is Role.PLATFORM:
        return false() if actor.site_id is None else Notice.site_id == actor.site_id
    require_reader(actor, "notices")
    if actor.role is Role.RIGHTS_HOLDER:
        if actor.rights_holder_id is None:
            return false()
        return Notice.rights_holder_id == actor.rights_holder_id
    return region_condition(actor, Site.region)


def visible_notices(
    session: Session,
    *,
    actor: Actor,
    status: NoticeStatus | None = None,
    kind: NoticeKind | None = None,
    site_id: int | None = None,
) -> list[Notice]:
    """Notices ``actor`` may read (see :func:`_notice_scope`), newest first, optionally of one
    status, kind or site."""
    query = (
        select(Notice)
        .outerjoin(Site, Notice.site_id == Site.id)
        .where(_notice_scope(actor))
        .order_by(Notice.id.desc())
    )
    if status is not None:
        query = query.where(Notice.status == status)
    if kind is not None:
        query = query.where(Notice.kind == kind)
    if site_id is not None:
        query = query.where(Notice.site_id == site_id)
    return list(session.scalars(query))


def readable_notice(session: Session, *, actor: Actor, notice_id: int) -> Notice:
    """The notice ``notice_id`` if ``actor`` may read it; ``NotFoundError`` when there is none,
    ``PermissionDenied`` when it is outside the actor's scope (checked by the same condition
    as the list, so the two never disagree)."""
    notice = get_notice(session, notice_id)
    found = session.scalar(
        select(Notice.id)
        .outerjoin(Site, Notice.site_id == Site.id)
        .where(Notice.id == notice.id, _notice_scope(actor))
    )
    if found is None:
        raise PermissionDenied(f"{actor.name} may not read notice {notice_id}")
    return notice
