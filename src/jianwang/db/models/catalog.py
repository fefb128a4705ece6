"""Catalog records: rights holders, works, reference media, protection-list batches, licences."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jianwang.db.base import Base, TimestampMixin, UTCDateTime
from jianwang.db.models.enums import AssetKind, WorkKind
from jianwang.db.types import StrEnumType


class RightsHolder(TimestampMixin, Base):
    __tablename__ = "rights_holders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))

    works: Mapped[list[Work]] = relationship(back_populates="rights_holder")


class ProtectionBatch(TimestampMixin, Base):
    """A protection list published by an authority: works platforms must not carry unlicensed."""

    __tablename__ = "protection_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)

    works: Mapped[list[Work]] = relationship(back_populates="batch")


class Work(TimestampMixin, Base):
    __tablename__ = "works"
    __table_args__ = (UniqueConstraint("title", "kind", "rights_holder_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300), index=True)
    aliases: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="Other names: translations, abbreviations, the original title."
    )
    kind: Mapped[WorkKind] = mapped_column(StrEnumType(WorkKind))
    rights_holder_id: Mapped[int] = mapped_column(ForeignKey("rights_holders.id"))
    proof_of_rights: Mapped[str | None] = mapped_column(Text)
    protected_until: Mapped[date | None] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("protection_batches.id"))

    rights_holder: Mapped[RightsHolder] = relationship(back_populates="works")
    batch: Mapped[ProtectionBatch | None] = relationship(back_populates="works")
    assets: Mapped[list[ReferenceAsset]] = relationship(
        back_populates="work", cascade="all, delete-orphan", order_by="ReferenceAsset.id"
    )
    licences: Mapped[list[Licence]] = relationship(
        back_populates="work", cascade="all, delete-orphan"
    )


class ReferenceAsset(TimestampMixin, Base):
    """One reference medium of a work (an episode, a track, a chapter)."""

    __tablename__ = "reference_assets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[AssetKind] = mapped_column(StrEnumType(AssetKind))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_path: Mapped[str] = mapped_column(String(1000))
    length: Mapped[float | None] = mapped_column(
        Float, doc="Duration in seconds for media, characters for text."
    )

    work: Mapped[Work] = relationship(back_populates="assets")
    signals: Mapped[list[AssetSignal]] = relationship(
        back_populates="asset", cascade="all, delete-orphan"
    )


class AssetSignal(TimestampMixin, Base):
    """A reference asset's fingerprint for one signal type.

    Kept in the database so that a fingerprint index can always be rebuilt from it; the index files
    are a derived cache.
    """

    __tablename__ = "asset_signals"
    __table_args__ = (UniqueConstraint("asset_id", "signal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("reference_assets.id", ondelete="CASCADE"), index=True
    )
    signal: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)

    asset: Mapped[ReferenceAsset] = relationship(back_populates="signals")


class Licence(TimestampMixin, Base):
    """Who may carry a work, where and when: a match on a licensed site is not an infringement."""

    __tablename__ = "licences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    territory: Mapped[str] = mapped_column(String(100), default="*")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    work: Mapped[Work] = relationship(back_populates="licences")
