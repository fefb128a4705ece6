"""The pipeline's job kinds as plain functions ``step(ctx, payload) -> result``.

Each step takes everything it needs from a :class:`StepContext` and its JSON payload, so a test
calls it directly and an executor runs it locally or on a Dask worker alike. Every step is
idempotent, because a job may run again after a worker died mid-way:

- ``sweep`` runs :func:`pipeline.sweep.sweep_site`, matching included, exactly as a local
  sweep does; a capture is recorded once per bytes at a page and matched once, so a re-run
  adds no capture, detection or ledger entry for what the first run already recorded, and the
  detections are those of a local run by construction.
- ``match`` matches one capture (one that failed to match, or to re-check after the catalogue
  grew); a capture already matched returns its detections and writes nothing.
- ``recheck`` re-checks staydown captures; it skips captures already re-checked since the job
  was requested, so a re-run does not record a second check.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog.index_versions import ReadOnlyIndexes, open_published, read_current
from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import AssetSignal, Capture, LedgerEntry
from jianwang.detections.review import ReviewPolicy, triage
from jianwang.detections.service import detect_capture
from jianwang.errors import JianwangError, NotFoundError
from jianwang.media.limits import DecodeLimits
from jianwang.pipeline import jobs
from jianwang.pipeline.runs import SweepCounts
from jianwang.pipeline.staydown import recheck_captures
from jianwang.pipeline.sweep import sweep_site
from jianwang.signals.registry import SignalRegistry, default_registry

log = logging.getLogger(__name__)

SWEEP = "sweep"
MATCH = "match"
RECHECK = "recheck"


class StepError(JianwangError):
    """A step that could not finish; the job is retried with backoff."""


@dataclass
class StepContext:
    """What steps share within one process: settings, database, signals and the indexes.

    Workers read the published index version without writing anything and pick up a newer one
    between steps, with no restart. Before any version is published the indexes are opened from
    the database and kept while its fingerprints stay the same. Steps never save index files:
    only catalogue commands write and publish them."""

    settings: Settings
    factory: sessionmaker[Session]
    registry: SignalRegistry
    limits: DecodeLimits
    engine: Engine | None = None
    _indexes: IndexSet | None = field(default=None, repr=False)
    _stamp: tuple[int, int, int] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> StepContext:
        """A context on ``settings``' database (upgraded to the current schema when asked)."""
        engine = create_db_engine(settings.db_url)
        if migrate:
            ensure_schema(engine)
        return cls(
            settings=settings,
            factory=session_factory(engine),
            registry=default_registry(),
            limits=DecodeLimits.from_settings(settings),
            engine=engine,
        )

    def _fingerprint_stamp(self, session: Session) -> tuple[int, int, int]:
        count, top, versions = session.execute(
            select(
                func.count(AssetSignal.id),
                func.coalesce(func.max(AssetSignal.id), 0),
                func.coalesce(func.sum(AssetSignal.version), 0),
            )
        ).one()
        return int(count), int(top), int(versions)

    def indexes(self) -> IndexSet:
        """The fingerprint indexes: the published version, read-only, refreshed when a newer
        one is published (``catalog.index_versions``); before any version is published, opened
        from the database and opened again when its fingerprints change."""
        if read_current(self.settings.index_dir) is not None:
            with self._lock:
                if isinstance(self._indexes, ReadOnlyIndexes):
                    self._indexes.refresh()
                else:
                    self._indexes = open_published(self.settings.index_dir, self.registry)
                return self._indexes
        with self._lock, transaction(self.factory) as session:
            stamp = self._fingerprint_stamp(session)
            if self._indexes is None or stamp != self._stamp:
                if self._indexes is not None:
                    log.info("fingerprints changed in the database; opening the indexes again")
                self._indexes = open_indexes(session, self.settings.index_dir, self.registry)
                self._stamp = stamp
            return self._indexes

    def close(self) -> None:
        """Release the database connections."""
        if self.engine is not None:
            self.engine.dispose()


Step = Callable[[StepContext, dict[str, Any]], dict[str, Any]]


def queue_match(session: Session, capture: Capture) -> None:
    """Queue the match job of a new capture (once: the job's key is the capture)."""
    jobs.enqueue(
        session, kind="match", payload={"capture_id": capture.id}, key=f"match:capture:{capture.id}"
    )


def sweep_step(ctx: StepContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Sweep site ``payload["site_id"]``: crawl and record as a local sweep does. Each new
    capture is matched by a ``match`` job of its own (queued in the transaction that records
    the capture, keyed by it, so it is queued once), which any worker may take while this one
    crawls on; ``payload["inline"]`` matches here instead, as ``monitor run`` does."""
    site_id = int(payload["site_id"])
    result = sweep_site(
        ctx.factory,
        site_id=site_id,
        settings=ctx.settings,
        registry=ctx.registry,
        limits=ctx.limits,
        indexes=ctx.indexes(),
        defer_matching=None if payload.get("inline") else queue_match,
    )
    if result.interrupted:
        raise StepError(f"sweep of site {site_id} was interrupted")
    return SweepCounts.of(result).to_payload()


def match_step(ctx: StepContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Match capture ``payload["capture_id"]`` and triage its new detections."""
    capture_id = int(payload["capture_id"])
    indexes = ctx.indexes()
    with transaction(ctx.factory) as session:
        capture = session.get(Capture, capture_id)
        if capture is None:
            raise NotFoundError(f"no capture with id {capture_id}")
        already = capture.matched_at is not None
        outcome = detect_capture(
            session,
            capture=capture,
            indexes=indexes,
            registry=ctx.registry,
            limits=ctx.limits,
            content_dir=Path(ctx.settings.content_dir),
        )
        if not already:  # triage once: a second pass would only add review entries
            triage(
                session,
                detections=outcome.detections,
                policy=ReviewPolicy.from_settings(ctx.settings),
            )
        return {
            "capture_id": capture_id,
            "detections": [d.id for d in outcome.detections],
            "already_matched": already,
            "error": outcome.error,
        }


def recheck_step(ctx: StepContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Re-check captures ``payload["capture_ids"]`` not re-checked since
    ``payload["requested_at"]`` (ISO time; every capture when absent)."""
    capture_ids = [int(c) for c in payload["capture_ids"]]
    requested = payload.get("requested_at")
    todo = capture_ids
    if requested:
        since = datetime.fromisoformat(str(requested))
        with transaction(ctx.factory) as session:
            checked = set(
                session.scalars(
                    select(LedgerEntry.subject).where(
                        LedgerEntry.kind == "recheck",
                        LedgerEntry.subject.in_([f"capture:{c}" for c in capture_ids]),
                        LedgerEntry.recorded_at >= since,
                    )
                )
            )
        todo = [c for c in capture_ids if f"capture:{c}" not in checked]
    results = (
        recheck_captures(
            ctx.factory,
            todo,
            settings=ctx.settings,
            registry=ctx.registry,
            limits=ctx.limits,
            indexes=ctx.indexes(),
        )
        if todo
        else []
    )
    return {
        "verdicts": {str(r.capture_id): r.verdict for r in results},
        "skipped": [c for c in capture_ids if c not in todo],
    }


DEFAULT_STEPS: Mapping[str, Step] = {
    SWEEP: sweep_step,
    MATCH: match_step,
    RECHECK: recheck_step,
}
