"""Where jobs run: in this process (:class:`LocalExecutor`) or on a Dask cluster
(:class:`DaskExecutor`).

Both go through :func:`execute`, which runs one leased job's step while a heartbeat thread
renews its lease, then completes or fails it with a conditional update (see ``pipeline.jobs``).
The Dask executor sends no job to a worker, only its id: each task, :func:`run_job`, claims the
job in the database itself. A task Dask re-runs after its worker died therefore finds the job
still leased by the dead worker and does nothing; once that lease expires the dispatcher hands
the job out again and exactly one task takes it. Results come back through the database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jianwang.config import Settings
from jianwang.db import transaction
from jianwang.errors import JianwangError
from jianwang.pipeline import jobs
from jianwang.pipeline.steps import DEFAULT_STEPS, Step, StepContext

log = logging.getLogger(__name__)

POLL_S = 0.5
"""How often a waiting dispatcher looks at the job table again (backoffs, expiring leases)."""


@dataclass(frozen=True)
class JobOutcome:
    """How one attempt at a job ended: ``done``, ``queued`` (to be retried), ``dead``, ``lost``
    (its lease was taken meanwhile), or ``skipped`` (not runnable when the task came)."""

    job_id: int
    kind: str
    state: str
    error: str | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0


class _Heartbeat:
    """Renews a job's lease every third of its length while the step runs, in its own thread,
    so a long sweep keeps its job and a dead worker's job expires soon after it died."""

    def __init__(self, ctx: StepContext, job: Any, policy: jobs.JobPolicy) -> None:
        self._ctx, self._job, self._policy = ctx, job, policy
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job.id}", daemon=True)

    def _run(self) -> None:
        every = max(self._policy.lease_s / 3.0, 0.05)
        while not self._stop.wait(every):
            try:
                with transaction(self._ctx.factory) as session:
                    if not jobs.renew(session, self._job, lease_s=self._policy.lease_s):
                        log.warning("job %d: lease lost while running", self._job.id)
                        return
            except Exception:  # a missed renewal is retried next beat; the lease is long
                log.exception("job %d: renewing its lease failed", self._job.id)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def execute(
    ctx: StepContext, job: Any, *, policy: jobs.JobPolicy, steps: Mapping[str, Step]
) -> JobOutcome:
    """Run leased ``job``'s step and record how it ended (this is a worker's outermost frame:
    a step's exception becomes the job's error, retried or dead, never lost with the task)."""
    started, cpu = time.perf_counter(), time.process_time()
    step = steps.get(job.kind)
    error: str | None = None
    result: dict[str, Any] = {}
    if step is None:
        error = f"no step for job kind {job.kind!r}"
    else:
        try:
            with _Heartbeat(ctx, job, policy):
                result = step(ctx, dict(job.payload or {}))
        except JianwangError as exc:
            log.warning("job %d (%s) failed: %s", job.id, job.kind, exc)
            error = str(exc)
        except Exception as exc:
            log.exception("job %d (%s) failed", job.id, job.kind)
            error = f"{type(exc).__name__}: {exc}"
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - started
    with transaction(ctx.factory) as session:
        if error is None:
            state = "done" if jobs.complete(session, job, result) else "lost"
        else:
            failed = jobs.fail(session, job, error, policy=policy)
            state = failed.value if failed is not None else "lost"
    if state == "lost":
        log.warning(
            "job %d: its lease was taken meanwhile; this attempt's end not recorded", job.id
        )
    return JobOutcome(job.id, job.kind, state, error, round(cpu_s, 4), round(wall_s, 4))


@functools.lru_cache(maxsize=4)
def _context_for(settings_json: str) -> StepContext:
    """One context per settings per worker process, so a worker keeps its open indexes and its
    connection pool from one task to the next."""
    return StepContext.open(Settings.model_validate_json(settings_json), migrate=False)


def run_job(
    settings: Settings,
    job_id: int,
    *,
    steps: Mapping[str, Step] | None = None,
    owner: str | None = None,
) -> JobOutcome:
    """A Dask task: claim job ``job_id`` in the database and run it (``skipped`` when it is not
    runnable: done already, or held by a live lease)."""
    ctx = _context_for(settings.model_dump_json())
    policy = jobs.JobPolicy.from_settings(settings)
    with transaction(ctx.factory) as session:
        job = jobs.claim(
            session,
            job_id,
            owner=owner or jobs.new_owner("dask"),
            lease_s=policy.lease_s,
            max_attempts=policy.max_attempts,
        )
    if job is None:
        return JobOutcome(job_id, "?", "skipped")
    return execute(ctx, job, policy=policy, steps=steps or DEFAULT_STEPS)


class LocalExecutor:
    """Leases and runs jobs in this process, one at a time, until none is runnable."""

    def __init__(
        self,
        settings: Settings,
        *,
        steps: Mapping[str, Step] | None = None,
        ctx: StepContext | None = None,
        kinds: list[str] | None = None,
    ) -> None:
        self.settings = settings
        self.steps = steps or DEFAULT_STEPS
        self.policy = jobs.JobPolicy.from_settings(settings)
        self.ctx = ctx or StepContext.open(settings)
        self.kinds = kinds
        self.owner = jobs.new_owner("local")

    def run_until_idle(
        self, *, stop: Callable[[], bool] | None = None, wait: bool = False
    ) -> list[JobOutcome]:
        """Run runnable jobs until there are none (with ``wait``, also wait out backoffs and
        expiring leases until no job is open) or ``stop()`` says so."""
        outcomes: list[JobOutcome] = []
        while stop is None or not stop():
            with transaction(self.ctx.factory) as session:
                job = jobs.lease(
                    session,
                    owner=self.owner,
                    kinds=self.kinds,
                    lease_s=self.policy.lease_s,
                    max_attempts=self.policy.max_attempts,
                )
                pending = jobs.open_count(session, kinds=self.kinds) if job is None else 1
            if job is not None:
                outcomes.append(execute(self.ctx, job, policy=self.policy, steps=self.steps))
            elif wait and pending:
                time.sleep(POLL_S)
            else:
                break
        return outcomes

    def close(self) -> None:
        """Release the database connections."""
        self.ctx.close()


class DaskExecutor:
    """Hands runnable jobs to a Dask cluster as :func:`run_job` tasks.

    Connects to the scheduler at ``address``, or starts a ``LocalCluster`` of ``n_workers``
    processes. Only job ids travel; workers need the same database and data folder (a shared
    path or a database server) as the dispatcher's settings name."""

    def __init__(
        self,
        settings: Settings,
        *,
        address: str | None = None,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        steps: Mapping[str, Step] | None = None,
        ctx: StepContext | None = None,
    ) -> None:
        from distributed import Client, LocalCluster

        self.settings = settings
        self.steps = dict(steps) if steps is not None else None
        self.ctx = ctx or StepContext.open(settings)
        self.cluster: Any = None
        if address is None:
            self.cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=threads_per_worker,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.WARNING,
            )
            address = self.cluster.scheduler_address
        self.client: Any = Client(address)
        self._in_flight: dict[int, Any] = {}
        self._rounds = 0

    def _submit_runnable(self) -> int:
        with transaction(self.ctx.factory) as session:
            runnable = jobs.runnable_ids(session)
        submitted = 0
        for job_id in runnable:
            if job_id in self._in_flight:
                continue
            self._rounds += 1
            self._in_flight[job_id] = self.client.submit(
                run_job,
                self.settings,
                job_id,
                steps=self.steps,
                key=f"jianwang-job-{job_id}-{self._rounds}",
                pure=False,
            )
            submitted += 1
        return submitted

    def run_until_idle(
        self, *, stop: Callable[[], bool] | None = None, timeout_s: float | None = None
    ) -> list[JobOutcome]:
        """Dispatch until no job is open (queued or leased), ``stop()`` says so, or
        ``timeout_s`` passes; the outcomes of the tasks that finished meanwhile."""
        from distributed import wait

        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        outcomes: list[JobOutcome] = []
        while stop is None or not stop():
            self._submit_runnable()
            if self._in_flight:
                try:
                    wait(
                        list(self._in_flight.values()),
                        timeout=POLL_S,
                        return_when="FIRST_COMPLETED",
                    )
                except TimeoutError:
                    pass  # none finished yet: look at the table again
                except Exception as exc:  # cancelled with its worker: the lease tells the rest
                    log.debug("dispatch: waiting on tasks: %s", exc)
                for job_id, future in list(self._in_flight.items()):
                    if not future.done():
                        continue
                    del self._in_flight[job_id]
                    if future.status != "finished":  # its worker died, or it was cancelled
                        log.warning("job %d: its task ended %s", job_id, future.status)
                        continue
                    try:
                        outcome = future.result()
                    except (Exception, asyncio.CancelledError) as exc:
                        log.warning("job %d: its task ended with %s", job_id, exc)
                        continue
                    if outcome.state != "skipped":
                        outcomes.append(outcome)
            else:
                with transaction(self.ctx.factory) as session:
                    pending = jobs.open_count(session)
                if not pending:
                    break
                time.sleep(POLL_S)
            if deadline is not None and time.monotonic() > deadline:
                log.warning("dispatch: stopped waiting after %.0f s", timeout_s)
                break
        return outcomes

    def close(self) -> None:
        """Disconnect, stop the local cluster if this executor started one, and release the
        database connections; jobs still leased expire and are taken again later."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.ctx.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
