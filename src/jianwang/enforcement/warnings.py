"""Warning notices that go out with a protection-list batch.

When an authority publishes a batch of works under key protection, every registered platform is
told which works are on it and what it must do: not carry them without a licence, and screen
uploads so that users cannot put them up. A platform that holds a licence for a work on the day
of publication is told so (and until when) instead, since carrying it is its right. Each warning
is a notice (kind warning, sent at publication) with a ledger entry, so a later case can show
the platform was told.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from reportlab.lib.units import mm
from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Action, Actor
from jianwang.catalog.service import licence_for
from jianwang.db import utcnow
from jianwang.db.models import (
    LedgerEntry,
    Notice,
    NoticeKind,
    NoticeStatus,
    ProtectionBatch,
    Site,
    SiteKind,
    SiteStatus,
    Work,
)
from jianwang.errors import DuplicateError, UserError
from jianwang.evidence import ledger
from jianwang.render.documents import render_html
from jianwang.render.pdf import paragraph, table, write_pdf

log = logging.getLogger(__name__)

WORK_WIDTHS_MM = (34, 18, 30, 24, 68)  # the works table across an A4 text width

DUTIES = [
    {
        "zh": "未经权利人许可，不得提供上列作品。",
        "en": "Do not make the listed works available without a licence from the rights holder.",
    },
    {
        "zh": "对用户上传的上列作品采取拦截措施（上传筛查）。",
        "en": "Block uploads of the listed works: screen what users upload against this list.",
    },
    {
        "zh": "已在平台上的未授权上列作品应及时删除。",
        "en": "Remove unlicensed copies of the listed works already on the platform.",
    },
]


def registered_platforms(session: Session) -> list[Site]:
    """The platforms in the registry that are still running, oldest first."""
    return list(
        session.scalars(
            select(Site)
            .where(Site.kind == SiteKind.PLATFORM, Site.status != SiteStatus.SHUT_DOWN)
            .order_by(Site.id)
        )
    )


def _was_published(session: Session, batch: ProtectionBatch) -> bool:
    entry = session.scalar(
        select(LedgerEntry.seq)
        .where(LedgerEntry.kind == "publish", LedgerEntry.subject == f"batch:{batch.id}")
        .limit(1)
    )
    warned = session.scalar(
        select(Notice.id)
        .where(Notice.kind == NoticeKind.WARNING, Notice.batch_id == batch.id)
        .limit(1)
    )
    return entry is not None or warned is not None


def _work_item(session: Session, work: Work, platform: Site, now: datetime) -> dict[str, Any]:
    licence = licence_for(
        session, work_id=work.id, site_id=platform.id, on=now.date(), territory=platform.region
    )
    item: dict[str, Any] = {
        "work_id": work.id,
        "title": work.title,
        "kind": work.kind.value,
        "rights_holder": work.rights_holder.name,
        "protected_until": work.protected_until.isoformat() if work.protected_until else None,
        "licensed": licence is not None,
        "licence": None,
    }
    if licence is None:
        item["duty"] = "Do not carry it without a licence; block uploads of it."
        item["duty_zh"] = "未经许可不得提供；拦截用户上传。"
        return item
    until = licence.ends_on.isoformat() if licence.ends_on else None
    item["licence"] = {
        "id": licence.id,
        "territory": licence.territory,
        "starts_on": licence.starts_on.isoformat(),
        "ends_on": until,
    }
    item["duty"] = (
        f"Licensed to this platform in {licence.territory} until {until or 'further notice'}; "
        "carry it only within the licence."
    )
    item["duty_zh"] = (
        f"贵平台已获授权（{licence.territory}，至{until or '另行通知'}），请在授权范围内提供。"
    )
    return item


def publish_batch(
    session: Session, *, batch: ProtectionBatch, actor: Actor, now: datetime | None = None
) -> list[Notice]:
    """Publish ``batch``: a warning notice, sent now, to every registered platform.

    Refused before anything changes when the actor may not publish (``PermissionDenied``), when
    the batch was published before (``DuplicateError``) or has no works."""
    actor.require(Action.PUBLISH, what=f"protection-list batch {batch.name!r}")
    if _was_published(session, batch):
        raise DuplicateError(f"protection-list batch {batch.name!r} was already published")
    works = sorted(batch.works, key=lambda w: w.id)
    if not works:
        raise UserError(f"protection-list batch {batch.name!r} has no works to publish")
    at = now or utcnow()
    batch.published_at = at
    notices = []
    for platform in registered_platforms(session):
        items = [_work_item(session, work, platform, at) for work in works]
        content = {
            "kind": NoticeKind.WARNING.value,
            "batch": {"id": batch.id, "name": batch.name, "note": batch.note},
            "published_at": at.isoformat(),
            "to": {
                "site": platform.name,
                "operator": platform.operator,
                "domains": list(platform.domains),
            },
            "works": items,
            "duties": DUTIES,
            "issued_by": actor.name,
        }
        notice = Notice(
            kind=NoticeKind.WARNING,
            site=platform,
            recipient=platform.operator or platform.name,
            batch_id=batch.id,
            content=content,
            status=NoticeStatus.SENT,
            sent_at=at,
        )
        session.add(notice)
        session.flush()
        ledger.append(
            session,
            kind="notice",
            subject=f"notice:{notice.id}",
            payload={
                "kind": NoticeKind.WARNING.value,
                "from": None,
                "to": NoticeStatus.SENT.value,
                "actor": actor.name,
                "batch": batch.name,
                "platform": platform.name,
                "works": [i["work_id"] for i in items],
                "licensed": [i["work_id"] for i in items if i["licensed"]],
            },
        )
        notices.append(notice)
    ledger.append(
        session,
        kind="publish",
        subject=f"batch:{batch.id}",
        payload={
            "batch": batch.name,
            "actor": actor.name,
            "published_at": at.isoformat(),
            "works": [w.id for w in works],
            "notices": [n.id for n in notices],
        },
    )
    log.info("batch %s published: %d warning notice(s)", batch.name, len(notices))
    return notices


def render_warning_html(data: Mapping[str, Any]) -> str:
    """A warning notice (as ``notices.notice_data`` gives it) as an HTML document."""
    return render_html("warning.html", notice=data)


def write_warning_pdf(data: Mapping[str, Any], target: Path | IO[bytes]) -> None:
    """A warning notice (as ``notices.notice_data`` gives it) as a PDF."""
    content = data["content"]
    to = content["to"]
    flow = [
        paragraph(f"重点作品版权保护预警通知 Protection-list Warning No. {data['id']}", "Title"),
        paragraph("通知对象 Recipient", "Heading2"),
        paragraph(f"{data['recipient']} — {to['site']} ({', '.join(to['domains'])})"),
        paragraph("批次 Batch", "Heading2"),
        paragraph(f"{content['batch']['name']} ({content['published_at']})"),
        paragraph("作品 Works", "Heading2"),
        table(
            [
                "作品 Title",
                "类型 Kind",
                "权利人 Rights holder",
                "保护期至 Protected until",
                "要求 Required",
            ],
            [
                [
                    w["title"],
                    w["kind"],
                    w["rights_holder"],
                    w["protected_until"],
                    f"{w['duty_zh']} {w['duty']}",
                ]
                for w in content["works"]
            ],
            widths=[w * mm for w in WORK_WIDTHS_MM],
        ),
        paragraph("平台义务 What the platform must do", "Heading2"),
        *[paragraph(f"{d['zh']} {d['en']}") for d in content["duties"]],
        paragraph(f"发布 Issued by {content['issued_by']}; 状态 Status: {data['status']}"),
    ]
    write_pdf(target, title=f"Warning {data['id']}", flowables=flow)
