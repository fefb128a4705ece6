"""Detections: a capture found to copy a protected work, with where and how well it matched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jianwang.db.base import Base, TimestampMixin, UTCDateTime
from jianwang.db.models.catalog import ReferenceAsset, Work
from jianwang.db.models.enums import DetectionStatus
from jianwang.db.models.monitoring import Capture
from jianwang.db.types import StrEnumType


class Detection(TimestampMixin, Base):
    __tablename__ = "detections"
    __table_args__ = (UniqueConstraint("capture_id", "asset_id", "signal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), index=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("reference_assets.id"), doc="None for a title match: no reference medium."
    )
    evidence_class: Mapped[str] = mapped_column(
        String(20),
        default="fingerprint",
        doc="fingerprint: the content matched a reference; title: a page names the work "
        "together with distribution cues (weaker evidence).",
    )
    matched_text: Mapped[str | None] = mapped_column(Text, doc="What a title match quoted.")
    signal: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    query_start: Mapped[float] = mapped_column(Float)
    query_end: Mapped[float] = mapped_column(Float)
    ref_start: Mapped[float] = mapped_column(Float)
    ref_end: Mapped[float] = mapped_column(Float)
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    pitch_shift: Mapped[float | None] = mapped_column(Float)  # semitones, audio only
    coverage: Mapped[float | None] = mapped_column(Float)
    status: Mapped[DetectionStatus] = mapped_column(
        StrEnumType(DetectionStatus), default=DetectionStatus.DETECTED
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    licence_id: Mapped[int | None] = mapped_column(ForeignKey("licences.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reupload_of_id: Mapped[int | None] = mapped_column(
        Integer, doc="An earlier detection of the same work on the same site that was taken down."
    )

    capture: Mapped[Capture] = relationship()
    work: Mapped[Work] = relationship()
    asset: Mapped[ReferenceAsset | None] = relationship()
