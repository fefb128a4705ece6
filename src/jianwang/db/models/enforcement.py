"""Notices and administrative cases, with every case transition kept as an event."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jianwang.db.base import Base, TimestampMixin, UTCDateTime
from jianwang.db.models.detections import Detection
from jianwang.db.models.enums import CaseState, NoticeKind, NoticeStatus
from jianwang.db.models.monitoring import Site
from jianwang.db.types import StrEnumType

notice_detections = Table(
    "notice_detections",
    Base.metadata,
    Column("notice_id", ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True),
    Column("detection_id", ForeignKey("detections.id", ondelete="CASCADE"), primary_key=True),
)

case_detections = Table(
    "case_detections",
    Base.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("detection_id", ForeignKey("detections.id", ondelete="CASCADE"), primary_key=True),
)


class Notice(TimestampMixin, Base):
    """A takedown or warning notice and its follow-up."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(StrEnumType(NoticeKind))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(300))
    rights_holder_id: Mapped[int | None] = mapped_column(ForeignKey("rights_holders.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("protection_batches.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[NoticeStatus] = mapped_column(
        StrEnumType(NoticeStatus), default=NoticeStatus.DRAFT
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    counter_notice: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="The recipient's counter-notice: who, when, and the grounds it gives."
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id"), doc="The case its non-compliance was escalated to."
    )

    site: Mapped[Site | None] = relationship()
    detections: Mapped[list[Detection]] = relationship(secondary=notice_detections)


class Case(TimestampMixin, Base):
    """An administrative case against a site and its operator."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    operator: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(100), default="monitoring")
    state: Mapped[CaseState] = mapped_column(StrEnumType(CaseState), default=CaseState.LEAD)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    officers: Mapped[list[str]] = mapped_column(JSON, default=list)
    works_count: Mapped[int | None] = mapped_column(Integer)
    copies_count: Mapped[int | None] = mapped_column(Integer)
    clicks: Mapped[int | None] = mapped_column(Integer)
    paid_members: Mapped[int | None] = mapped_column(Integer)
    illegal_gains: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    business_volume: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    proposed_decision: Mapped[str | None] = mapped_column(
        String(100), doc="Measures the advance notice proposes, e.g. 'fine,shutdown'."
    )
    proposed_fine: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    advance_notice_served_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hearing_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision: Mapped[str | None] = mapped_column(String(100))
    fine_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    referral_flags: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Referral thresholds the case's measures reach."
    )
    referral: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    site: Mapped[Site] = relationship()
    detections: Mapped[list[Detection]] = relationship(secondary=case_detections)
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )


class CaseEvent(Base):
    """One transition of a case: who moved it, from where to where, and why."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[CaseState | None] = mapped_column(StrEnumType(CaseState))
    to_state: Mapped[CaseState] = mapped_column(StrEnumType(CaseState))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(back_populates="events")


class AllowRule(TimestampMixin, Base):
    """A rejected match that must not come back: a work on a site, or pages matching a URL
    pattern (a glob), or both. Detections it covers are set aside as false positives."""

    __tablename__ = "allow_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    url_pattern: Mapped[str | None] = mapped_column(String(2000))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    detection_id: Mapped[int | None] = mapped_column(
        Integer, doc="The rejected detection the rule came from."
    )
