"""The evidence ledger and the durable job table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jianwang.db.base import Base, TimestampMixin, UTCDateTime
from jianwang.db.models.enums import JobState
from jianwang.db.types import StrEnumType


class LedgerEntry(Base):
    """One append-only entry of the evidence hash chain."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(100), index=True, doc="e.g. 'detection:12'")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerHead(Base):
    """A signed head of the ledger's Merkle tree: the root over the first ``tree_size`` entries,
    signed with the installation's Ed25519 key."""

    __tablename__ = "ledger_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(Integer, index=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(64), doc="sha256 of the raw public key, hex.")
    signature: Mapped[str] = mapped_column(String(128), doc="Ed25519 signature, hex.")


class Job(TimestampMixin, Base):
    """A unit of pipeline work, leased by a worker and retried on failure.

    The table is the source of truth for distributed runs (``pipeline.jobs``): ``key`` makes
    enqueueing idempotent, ``run_after`` holds a failed job back for its backoff, and ``result``
    and ``finished_at`` are what a worker on another machine reports back."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(StrEnumType(JobState), default=JobState.QUEUED)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    key: Mapped[str | None] = mapped_column(
        String(200), unique=True, doc="e.g. 'sweep:3:2026-11-29T10:00'; one job per key."
    )
    run_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
