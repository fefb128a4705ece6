"""Monitoring runs started on request (the API's ``POST /sites/{id}/sweeps``), kept in the
durable ``jobs`` table so their state outlives the request that started them.

A run is a job of kind ``sweep`` with payload ``{"site_id", "requested_by"}``. It is queued in
the requester's transaction and its worker thread starts only once that transaction commits
(:func:`after_commit`), so a refused or rolled-back request leaves neither a job nor a sweep
behind, and the worker never waits on the request's own database lock. The worker leases the
job, sweeps, and records the sweep's counts in the payload (``result``) with state ``done``, or
the error with state ``failed``. While a sweep makes progress its lease is renewed; a run whose
lease ran out (its process died) no longer blocks a new run of the site and is marked failed
when one is queued.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog.actors import Actor
from jianwang.config import Settings
from jianwang.db import transaction, utcnow
from jianwang.db.models import Job, JobState, Site
from jianwang.errors import DuplicateError, JianwangError, NotFoundError
from jianwang.media.limits import DecodeLimits
from jianwang.pipeline import jobs
from jianwang.pipeline.sweep import SweepResult, monitored_site, sweep_site
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)

SWEEP = "sweep"
LEASE = timedelta(minutes=30)
"""How long a run's lease lasts without progress; renewed as the sweep records items."""
RENEW_EVERY_S = 60.0
MAX_ERROR_SAMPLES = 20


@dataclass(frozen=True)
class SweepCounts:
    """What a finished sweep did (``pipeline.sweep.SweepResult`` without its error texts)."""

    pages: int
    captures_new: int
    captures_seen: int
    media_unchanged: int
    pages_unchanged: int
    detections: int
    errors: int
    error_samples: tuple[str, ...]
    interrupted: bool
    wall_s: float
    discovery: dict[str, int]

    @classmethod
    def of(cls, result: SweepResult) -> SweepCounts:
        return cls(
            pages=result.pages,
            captures_new=result.captures_new,
            captures_seen=result.captures_seen,
            media_unchanged=result.media_unchanged,
            pages_unchanged=result.pages_unchanged,
            detections=result.detections,
            errors=len(result.errors),
            error_samples=tuple(e[:500] for e in result.errors[:MAX_ERROR_SAMPLES]),
            interrupted=result.interrupted,
            wall_s=round(result.wall_s, 3),
            discovery=dataclasses.asdict(result.discovery),
        )

    def to_payload(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["error_samples"] = list(self.error_samples)
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> SweepCounts:
        return cls(
            pages=int(data.get("pages", 0)),
            captures_new=int(data.get("captures_new", 0)),
            captures_seen=int(data.get("captures_seen", 0)),
            media_unchanged=int(data.get("media_unchanged", 0)),
            pages_unchanged=int(data.get("pages_unchanged", 0)),
            detections=int(data.get("detections", 0)),
            errors=int(data.get("errors", 0)),
            error_samples=tuple(str(e) for e in data.get("error_samples", ())),
            interrupted=bool(data.get("interrupted", False)),
            wall_s=float(data.get("wall_s", 0.0)),
            discovery={str(k): int(v) for k, v in (data.get("discovery") or {}).items()},
        )


@dataclass(frozen=True)
class RunView:
    """A monitoring run as a client follows it."""

    id: int
    kind: str
    site_id: int
    site: str | None
    state: str
    attempts: int
    requested_by: str | None
    created_at: datetime
    updated_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str | None
    result: SweepCounts | None


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def run_view(job: Job, site_name: str | None) -> RunView:
    """One job as :class:`RunView`."""
    payload = job.payload or {}
    result = payload.get("result") or job.result  # the latter when a dispatcher's worker ran it
    return RunView(
        id=job.id,
        kind=job.kind,
        site_id=int(payload.get("site_id", 0)),
        site=site_name,
        state=job.state.value,
        attempts=job.attempts,
        requested_by=payload.get("requested_by"),
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=_time(payload.get("started_at")),
        finished_at=_time(payload.get("finished_at")) or job.finished_at,
        last_error=job.last_error,
        result=SweepCounts.from_payload(result) if isinstance(result, dict) else None,
    )


def _site_names(session: Session) -> dict[int, str]:
    return {site_id: name for site_id, name in session.execute(select(Site.id, Site.name))}


def _is_stale(job: Job, now: datetime) -> bool:
    """Whether an unfinished job was abandoned: leased past its lease, or queued for longer
    than a lease without a worker taking it (the process that queued it stopped)."""
    if job.state is JobState.LEASED:
        return job.lease_expires_at is None or job.lease_expires_at < now
    return job.created_at + LEASE < now


def queue_sweep(
    session: Session, *, site_id: int, actor: Actor, now: datetime | None = None
) -> Job:
    """Queue a sweep of ``site_id`` on behalf of ``actor`` (whose rights the caller checked).

    Refused (``UserError``) for a shut-down site, and (``DuplicateError``) while another run of
    the same site is queued or running; an abandoned one is marked failed instead."""
    now = now or utcnow()
    site = monitored_site(session, site_id)
    open_jobs = session.scalars(
        select(Job).where(Job.kind == SWEEP, Job.state.in_([JobState.QUEUED, JobState.LEASED]))
    )
    for job in open_jobs:
        if int((job.payload or {}).get("site_id", 0)) != site.id:
            continue
        if not _is_stale(job, now):
            raise DuplicateError(
                f"site {site.name!r} already has a sweep {job.state.value} (run {job.id})"
            )
        log.warning("run %d of site %r was abandoned; marking it failed", job.id, site.name)
        job.state = JobState.FAILED
        job.last_error = "abandoned: the process running it stopped before it finished"
        job.updated_at = now
    job = Job(
        kind=SWEEP,
        payload={"site_id": site.id, "requested_by": actor.name},
        state=JobState.QUEUED,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    log.info("run %d: sweep of %r queued by %s", job.id, site.name, actor.name)
    return job


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Call ``callback`` once ``session``'s transaction commits, and never if it rolls back:
    a worker started from a request then sees the request's rows and holds none of its locks."""
    done = False

    def committed(_: Session) -> None:
        nonlocal done
        if not done:
            done = True
            callback()

    def rolled_back(_: Session) -> None:
        nonlocal done
        done = True

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)


def start_sweep(
    factory: sessionmaker[Session],
    *,
    job_id: int,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
) -> threading.Thread:
    """Run queued sweep ``job_id`` in a daemon thread of this process."""
    thread = threading.Thread(
        target=run_sweep_job,
        kwargs={
            "factory": factory,
            "job_id": job_id,
            "settings": settings,
            "registry": registry,
            "limits": limits,
        },
        name=f"jianwang-run-{job_id}",
        daemon=True,
    )
    thread.start()
    return thread


def _lease(factory: sessionmaker[Session], job_id: int, owner: str) -> int | None:
    """Take queued job ``job_id``; its site id, or ``None`` when it is not (or no longer)
    queued."""
    with transaction(factory) as session:
        now = utcnow()
        # A conditional update (pipeline.jobs.claim): a dispatcher may lease the same queued
        # sweep, and exactly one of the two takes it.
        job = jobs.claim(session, job_id, owner=owner, now=now, lease_s=LEASE.total_seconds())
        if job is None:
            log.warning("run %d: not queued any more; not started", job_id)
            return None
        job.payload = {**job.payload, "started_at": now.isoformat()}
        return int(job.payload["site_id"])


def _renew(factory: sessionmaker[Session], job_id: int) -> None:
    with transaction(factory) as session:
        job = session.get(Job, job_id)
        if job is not None and job.state is JobState.LEASED:
            now = utcnow()
            job.lease_expires_at = now + LEASE
            job.updated_at = now


def _finish(
    factory: sessionmaker[Session],
    job_id: int,
    *,
    counts: SweepCounts | None = None,
    error: str | None = None,
) -> None:
    with transaction(factory) as session:
        job = session.get(Job, job_id)
        if job is None:
            log.warning("run %d vanished before it finished", job_id)
            return
        now = utcnow()
        job.state = JobState.FAILED if error is not None else JobState.DONE
        job.last_error = error
        job.lease_expires_at = None
        job.updated_at = now
        job.finished_at = now
        payload = {**job.payload, "finished_at": now.isoformat()}
        if counts is not None:
            payload["result"] = job.result = counts.to_payload()
        job.payload = payload


def run_sweep_job(
    factory: sessionmaker[Session],
    *,
    job_id: int,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
) -> RunView | None:
    """Lease queued sweep ``job_id``, sweep its site and record how it ended.

    This is a worker's outermost frame, so any failure is logged and recorded on the job as
    its ``last_error`` (state ``failed``) rather than lost with the thread."""
    site_id = _lease(factory, job_id, threading.current_thread().name)
    if site_id is None:
        return None
    renewed = time.monotonic()

    def progress(_item: str) -> None:
        nonlocal renewed
        if time.monotonic() - renewed >= RENEW_EVERY_S:
            _renew(factory, job_id)
            renewed = time.monotonic()

    try:
        result = sweep_site(
            factory,
            site_id=site_id,
            settings=settings,
            registry=registry,
            limits=limits,
            on_progress=progress,
        )
    except JianwangError as exc:
        log.warning("run %d: sweep of site %d refused: %s", job_id, site_id, exc)
        _finish(factory, job_id, error=str(exc))
    except Exception as exc:
        log.exception("run %d: sweep of site %d failed", job_id, site_id)
        _finish(factory, job_id, error=f"{type(exc).__name__}: {exc}")
    else:
        _finish(factory, job_id, counts=SweepCounts.of(result))
    with transaction(factory) as session:
        return get_run(session, job_id)


def get_run(session: Session, run_id: int) -> RunView:
    """Monitoring run ``run_id``; ``NotFoundError`` when there is none."""
    job = session.get(Job, run_id)
    if job is None or job.kind != SWEEP:
        raise NotFoundError(f"no monitoring run with id {run_id}")
    site_id = int((job.payload or {}).get("site_id", 0))
    site = session.get(Site, site_id)
    return run_view(job, site.name if site else None)


def list_runs(
    session: Session,
    *,
    site_ids: Collection[int] | None = None,
    state: JobState | None = None,
) -> list[RunView]:
    """Monitoring runs, newest first; only those of ``site_ids`` when given."""
    query = select(Job).where(Job.kind == SWEEP).order_by(Job.id.desc())
    if state is not None:
        query = query.where(Job.state == state)
    names = _site_names(session)
    views = [
        run_view(job, names.get(int((job.payload or {}).get("site_id", 0))))
        for job in session.scalars(query)
    ]
    if site_ids is not None:
        wanted = set(site_ids)
        views = [v for v in views if v.site_id in wanted]
    return views
