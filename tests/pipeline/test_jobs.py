"""The durable job service: idempotent enqueue, exclusive leases, expiry, backoff, dead, retry."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import Job, JobState
from jianwang.errors import NotFoundError, UserError
from jianwang.pipeline import jobs

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
POLICY = jobs.JobPolicy(lease_s=60, max_attempts=3, backoff_s=10)


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = create_db_engine(db_url)
    ensure_schema(engine)
    return engine


def test_enqueue_is_idempotent_by_key(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as s:
        first = jobs.enqueue(s, kind="sweep", payload={"site_id": 1}, key="sweep:1:first", now=T0)
    with transaction(factory) as s:
        again = jobs.enqueue(s, kind="sweep", payload={"site_id": 2}, key="sweep:1:first", now=T0)
        other = jobs.enqueue(s, kind="sweep", payload={"site_id": 2}, key="sweep:2:first", now=T0)
        assert again.id == first.id and again.payload == {"site_id": 1}
        assert other.id != first.id
        assert len(jobs.list_jobs(s)) == 2
        assert [j.id for j in jobs.list_jobs(s, kind="sweep", state=JobState.QUEUED)] == [
            other.id,
            first.id,
        ]


def test_lease_takes_oldest_once_and_expired_leases_are_taken_again(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as s:
        a = jobs.enqueue(s, kind="match", payload={}, key="a", now=T0)
        b = jobs.enqueue(s, kind="sweep", payload={}, key="b", now=T0)
    with transaction(factory) as s:
        got = jobs.lease(s, owner="w1", now=T0, lease_s=60)
        assert got is not None and got.id == a.id and got.attempts == 1
        assert jobs.lease(s, owner="w2", kinds=["match"], now=T0, lease_s=60) is None
        second = jobs.lease(s, owner="w2", now=T0, lease_s=60)
        assert second is not None and second.id == b.id
        assert jobs.lease(s, owner="w3", now=T0 + timedelta(seconds=59), lease_s=60) is None
    with transaction(factory) as s:  # w1 died: its lease runs out and w3 takes the job
        again = jobs.lease(
            s, owner="w3", kinds=["match"], now=T0 + timedelta(seconds=61), lease_s=60
        )
        assert again is not None and again.id == a.id and again.attempts == 2
    with transaction(factory) as s:  # the stale worker can neither renew nor complete it
        assert not jobs.renew(s, got, now=T0 + timedelta(seconds=62), lease_s=60)
        assert not jobs.complete(s, got, {"by": "w1"})
        assert jobs.fail(s, got, "late", policy=POLICY) is None
        assert jobs.complete(s, again, {"by": "w3"})
    with transaction(factory) as s:
        done = s.get(Job, a.id)
        assert done is not None and done.state is JobState.DONE and done.result == {"by": "w3"}
        assert done.finished_at is not None


def test_two_sessions_racing_never_share_a_job(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as s:
        for n in range(30):
            jobs.enqueue(s, kind="match", payload={"n": n}, key=f"race:{n}")
    taken: dict[str, list[int]] = {"w1": [], "w2": []}
    errors: list[BaseException] = []

    def worker(owner: str) -> None:
        own = session_factory(create_db_engine(str(engine.url.render_as_string(False))))
        try:
            while True:
                with transaction(own) as s:
                    job = jobs.lease(s, owner=owner, lease_s=60)
                if job is None:
                    return
                taken[owner].append(job.id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(o,)) for o in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    all_taken = taken["w1"] + taken["w2"]
    assert len(all_taken) == 30 and len(set(all_taken)) == 30
    with transaction(factory) as s:
        assert all(j.attempts == 1 and j.state is JobState.LEASED for j in jobs.list_jobs(s))


def test_failures_back_off_exponentially_then_the_job_is_dead(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as s:
        job_id = jobs.enqueue(s, kind="sweep", payload={}, key="flaky", now=T0).id
    now = T0
    for attempt, wait_s in ((1, 10), (2, 20)):
        with transaction(factory) as s:
            job = jobs.lease(s, owner=f"w{attempt}", now=now, lease_s=60)
            assert job is not None and job.id == job_id and job.attempts == attempt
            assert jobs.fail(s, job, f"boom {attempt}", now=now, policy=POLICY) is JobState.QUEUED
        with transaction(factory) as s:
            row = s.get(Job, job_id)
            assert row is not None and row.run_after == now + timedelta(seconds=wait_s)
            assert row.last_error == f"boom {attempt}"
            assert (
                jobs.lease(s, owner="early", now=now + timedelta(seconds=wait_s - 1), lease_s=60)
                is None
            )
        now += timedelta(seconds=wait_s)
    with transaction(factory) as s:
        job = jobs.lease(s, owner="w3", now=now, lease_s=60)
        assert job is not None
        assert jobs.fail(s, job, "boom 3", now=now, policy=POLICY) is JobState.DEAD
    with transaction(factory) as s:
        row = s.get(Job, job_id)
        assert row is not None and row.state is JobState.DEAD and row.last_error == "boom 3"
        assert jobs.lease(s, owner="w4", now=now + timedelta(days=1), lease_s=60) is None
        with pytest.raises(NotFoundError):
            jobs.retry(s, 999_999)
        assert jobs.retry(s, job_id).state is JobState.QUEUED
        with pytest.raises(UserError):
            jobs.retry(s, job_id)  # queued now: not stuck, refused
    with transaction(factory) as s:
        row = s.get(Job, job_id)
        assert row is not None and row.state is JobState.QUEUED and row.attempts == 0
        again = jobs.lease(s, owner="w5", now=now, lease_s=60)
        assert again is not None and again.id == job_id and again.attempts == 1


def test_a_job_whose_worker_keeps_dying_is_marked_dead(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as s:
        job_id = jobs.enqueue(s, kind="sweep", payload={}, key="poison", now=T0).id
    now = T0
    for _ in range(POLICY.max_attempts):
        with transaction(factory) as s:
            assert jobs.lease(s, owner="w", now=now, lease_s=1, max_attempts=3) is not None
        now += timedelta(seconds=2)  # the worker died: the lease runs out
    with transaction(factory) as s:
        assert jobs.lease(s, owner="w", now=now, lease_s=1, max_attempts=3) is None
        row = s.get(Job, job_id)
        assert row is not None and row.state is JobState.DEAD
        assert "lease expired" in (row.last_error or "")
