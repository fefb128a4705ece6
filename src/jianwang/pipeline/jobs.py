"""The durable job table as a service: enqueue once per key, lease atomically, retry with backoff.

The database is the source of truth for distributed work. A worker (a thread here, a Dask task
on another machine) owns a job only while its lease runs; every state change it makes is a
conditional ``UPDATE`` that names its lease owner, so a worker whose lease expired and was taken
by another can no longer complete, fail or renew the job. That is what lets Dask re-run a task
after a worker died, or a restarted dispatcher hand out expired jobs again, without a job ever
running twice at once or finishing twice.

Leasing takes the oldest runnable job: queued with ``run_after`` passed, or leased with its lease
expired. PostgreSQL picks it with ``SELECT ... FOR UPDATE SKIP LOCKED`` so competing dispatchers
never wait on each other; SQLite (one writer at a time) claims a candidate with a conditional
``UPDATE`` and checks the row count, moving on to the next candidate when another process won.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jianwang.config import Settings
from jianwang.db import utcnow
from jianwang.db.models import Job, JobState
from jianwang.errors import NotFoundError, UserError

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 4000
_CANDIDATES = 20
"""Runnable jobs an SQLite lease tries in turn before concluding that others took them all."""


@dataclass(frozen=True)
class JobPolicy:
    """How long leases last and how failures are retried (from the settings)."""

    lease_s: float = 300.0
    max_attempts: int = 5
    backoff_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> JobPolicy:
        return cls(
            lease_s=settings.job_lease_s,
            max_attempts=settings.job_max_attempts,
            backoff_s=settings.job_backoff_s,
        )

    def backoff(self, attempts: int) -> timedelta:
        """Wait before the next attempt after ``attempts`` failed ones: doubled each time."""
        return timedelta(seconds=self.backoff_s * 2 ** max(attempts - 1, 0))


def new_owner(label: str = "worker") -> str:
    """A lease owner unique to one attempt (host, process and a random part), so a worker that
    comes back after its lease was taken cannot mistake the new holder's lease for its own."""
    return f"{label}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


def _runnable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(
            Job.state == JobState.QUEUED,
            or_(Job.run_after.is_(None), Job.run_after <= now),
        ),
        and_(Job.state == JobState.LEASED, Job.lease_expires_at < now),
    )


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    key: str,
    now: datetime | None = None,
    run_after: datetime | None = None,
) -> Job:
    """Queue a job unless one with ``key`` exists; either way, the job with that key.

    The insert is ``ON CONFLICT DO NOTHING`` on the unique key, so two dispatchers enqueueing the
    same due sweep at once leave one job, not an error."""
    if not key or len(key) > 200:
        raise UserError(f"job key {key!r}: give 1 to 200 characters")
    existing = session.scalar(select(Job).where(Job.key == key))
    if existing is not None:
        return existing
    now = now or utcnow()
    values = {
        "kind": kind,
        "payload": payload,
        "key": key,
        "state": JobState.QUEUED,
        "attempts": 0,
        "run_after": run_after,
        "created_at": now,
        "updated_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Job).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    job = session.scalar(
        select(Job).where(Job.key == key).execution_options(populate_existing=True)
    )
    assert job is not None  # inserted now, or by whoever won the conflict
    log.debug("job %d (%s) queued as %r", job.id, kind, key)
    return job


def _claim(
    session: Session, job_id: int, *, owner: str, now: datetime, lease_s: float
) -> Job | None:
    """Take ``job_id`` if it is runnable at ``now``: one conditional UPDATE, so of two sessions
    racing for it exactly one sees a row count of one."""
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, _runnable(now))
        .values(
            state=JobState.LEASED,
            lease_owner=owner[:100],
            lease_expires_at=now + timedelta(seconds=lease_s),
            attempts=Job.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return session.get(Job, job_id, populate_existing=True)


def _bury_if_spent(session: Session, job: Job, max_attempts: int | None, now: datetime) -> bool:
    """A job re-leased after its lease expired more often than allowed (its worker keeps dying
    on it) is marked dead instead of being run again; true when it was."""
    if max_attempts is None or job.attempts <= max_attempts:
        return False
    job.state = JobState.DEAD
    job.last_error = (
        f"{job.last_error or ''}\nlease expired after {max_attempts} attempt(s): "
        "its worker stopped before finishing".strip()
    )
    job.lease_owner = None
    job.lease_expires_at = None
    job.finished_at = now
    job.updated_at = now
    job.attempts = max_attempts
    session.flush()
    log.error("job %d (%s) is dead: %s", job.id, job.kind, job.last_error)
    return True


def lease(
    session: Session,
    *,
    owner: str,
    kinds: list[str] | None = None,
    now: datetime | None = None,
    lease_s: float,
    max_attempts: int | None = None,
) -> Job | None:
    """Lease the oldest runnable job (of ``kinds`` when given) to ``owner``; ``None`` when there
    is none. With ``max_attempts``, an expired job that has used them all is marked dead."""
    now = now or utcnow()
    kind_filter = [Job.kind.in_(kinds)] if kinds else []
    if session.get_bind().dialect.name == "postgresql":
        while True:
            job = session.scalar(
                select(Job)
                .where(_runnable(now), *kind_filter)
                .order_by(Job.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if job is None:
                return None
            job.state = JobState.LEASED
            job.lease_owner = owner[:100]
            job.lease_expires_at = now + timedelta(seconds=lease_s)
            job.attempts += 1
            job.updated_at = now
            session.flush()
            if not _bury_if_spent(session, job, max_attempts, now):
                return job
    while True:
        candidates = session.scalars(
            select(Job.id).where(_runnable(now), *kind_filter).order_by(Job.id).limit(_CANDIDATES)
        ).all()
        if not candidates:
            return None
        for job_id in candidates:
            job = _claim(session, job_id, owner=owner, now=now, lease_s=lease_s)
            if job is None:
                continue  # another worker took it between our look and our update
            if not _bury_if_spent(session, job, max_attempts, now):
                return job
            break  # buried one: look again, the list may be stale


def claim(
    session: Session,
    job_id: int,
    *,
    owner: str,
    now: datetime | None = None,
    lease_s: float,
    max_attempts: int | None = None,
) -> Job | None:
    """Lease one named job if it is runnable (how a Dask task takes the job it was given);
    ``None`` when it is done, dead, held by a live lease, or waiting out its backoff."""
    now = now or utcnow()
    job = _claim(session, job_id, owner=owner, now=now, lease_s=lease_s)
    if job is None or _bury_if_spent(session, job, max_attempts, now):
        return None
    return job


def _held(job: Job) -> list[ColumnElement[bool]]:
    return [Job.id == job.id, Job.state == JobState.LEASED, Job.lease_owner == job.lease_owner]


def renew(session: Session, job: Job, *, now: datetime | None = None, lease_s: float) -> bool:
    """Extend the lease ``job`` was leased with; false when it is no longer held by that owner
    (it expired and another worker took it, or it was finished)."""
    now = now or utcnow()
    done = session.execute(
        update(Job)
        .where(*_held(job))
        .values(lease_expires_at=now + timedelta(seconds=lease_s), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(done, "rowcount", 0) == 1


def complete(
    session: Session, job: Job, result: dict[str, Any], *, now: datetime | None = None
) -> bool:
    """Mark the leased ``job`` done with ``result``; false (and nothing written) when its lease
    was lost, so a job completes once even if a stale worker finishes it later."""
    now = now or utcnow()
    done = session.execute(
        update(Job)
        .where(*_held(job))
        .values(
            state=JobState.DONE,
            result=result,
            last_error=None,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return getattr(done, "rowcount", 0) == 1


def fail(
    session: Session,
    job: Job,
    error: str,
    *,
    now: datetime | None = None,
    policy: JobPolicy,
) -> JobState | None:
    """Record a failed attempt: queued again after ``backoff_s * 2**(attempts-1)``, or dead
    once ``max_attempts`` are spent; the error is kept either way. ``None`` when the lease was
    lost (another worker holds the job now and its outcome counts)."""
    now = now or utcnow()
    current = session.scalar(
        select(Job.attempts).where(*_held(job)).execution_options(populate_existing=True)
    )
    if current is None:
        return None
    dead = current >= policy.max_attempts
    state = JobState.DEAD if dead else JobState.QUEUED
    done = session.execute(
        update(Job)
        .where(*_held(job))
        .values(
            state=state,
            last_error=error[:MAX_ERROR_CHARS],
            lease_owner=None,
            lease_expires_at=None,
            run_after=None if dead else now + policy.backoff(current),
            finished_at=now if dead else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        return None
    log.log(
        logging.ERROR if dead else logging.WARNING,
        "job %d (%s) attempt %d failed%s: %s",
        job.id,
        job.kind,
        current,
        "; it is dead" if dead else "; queued again",
        error[:200],
    )
    return state


def retry(session: Session, job_id: int, *, now: datetime | None = None) -> Job:
    """Queue a dead or failed job again with fresh attempts (its last error stays visible until
    it runs). ``NotFoundError`` for an unknown id, ``UserError`` for a job that is not stuck."""
    now = now or utcnow()
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    if job.state not in (JobState.DEAD, JobState.FAILED):
        raise UserError(f"job {job_id} is {job.state.value}; only dead or failed jobs are retried")
    job.state = JobState.QUEUED
    job.attempts = 0
    job.run_after = None
    job.finished_at = None
    job.lease_owner = None
    job.lease_expires_at = None
    job.updated_at = now
    session.flush()
    log.info("job %d (%s) queued again", job.id, job.kind)
    return job


def list_jobs(
    session: Session,
    *,
    state: JobState | None = None,
    kind: str | None = None,
    limit: int | None = 500,
) -> list[Job]:
    """Jobs, newest first, of ``state`` and ``kind`` when given."""
    query = select(Job).order_by(Job.id.desc())
    if state is not None:
        query = query.where(Job.state == state)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def runnable_ids(
    session: Session, *, now: datetime | None = None, kinds: list[str] | None = None
) -> list[int]:
    """Ids of the jobs a worker could lease at ``now``, oldest first (what a dispatcher hands
    out; each task still claims its job itself)."""
    query = select(Job.id).where(_runnable(now or utcnow())).order_by(Job.id)
    if kinds:
        query = query.where(Job.kind.in_(kinds))
    return list(session.scalars(query))


def open_count(session: Session, *, kinds: list[str] | None = None) -> int:
    """Jobs not finished yet (queued, or leased whether or not the lease is still live)."""
    query = select(Job.id).where(Job.state.in_([JobState.QUEUED, JobState.LEASED]))
    if kinds:
        query = query.where(Job.kind.in_(kinds))
    return len(session.scalars(query).all())


def next_runnable_at(session: Session) -> datetime | None:
    """When the next waiting job becomes runnable (a backoff or a lease running out)."""
    times = [
        *session.scalars(
            select(Job.run_after).where(Job.state == JobState.QUEUED, Job.run_after.is_not(None))
        ),
        *session.scalars(
            select(Job.lease_expires_at).where(
                Job.state == JobState.LEASED, Job.lease_expires_at.is_not(None)
            )
        ),
    ]
    return min((t for t in times if t is not None), default=None)


@dataclass(frozen=True)
class JobView:
    """A job as commands and the API show it (detached from the session)."""

    id: int
    kind: str
    key: str | None
    state: str
    attempts: int
    payload: dict[str, Any]
    lease_owner: str | None
    lease_expires_at: datetime | None
    run_after: datetime | None
    last_error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobView:
        return cls(
            id=job.id,
            kind=job.kind,
            key=job.key,
            state=job.state.value,
            attempts=job.attempts,
            payload=dict(job.payload or {}),
            lease_owner=job.lease_owner,
            lease_expires_at=job.lease_expires_at,
            run_after=job.run_after,
            last_error=job.last_error,
            result=job.result,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )
