"""The dispatcher behind ``jianwang scheduler``: queue the sweeps that fell due, then hand the
runnable jobs to an executor, round after round.

It keeps no state of its own. A due sweep is queued under the key ``sweep:<site>:<last sweep>``
(the site's ``last_sweep_at``, or ``first``), so queueing it again in the same round, in the
next round, or from a second dispatcher is a no-op, and the next sweep of the site gets a new key
only once this one moved ``last_sweep_at`` on. A dispatcher stopped while jobs are leased leaves
them in the table; started again, it re-leases them when their leases expire and carries on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from jianwang.db import transaction, utcnow
from jianwang.db.models import Job, Site
from jianwang.monitoring.schedule import IDLE_CHECK, due_sites
from jianwang.pipeline import jobs
from jianwang.pipeline.executors import JobOutcome
from jianwang.pipeline.steps import SWEEP

log = logging.getLogger(__name__)


class Executor(Protocol):
    """What the dispatcher needs of an executor."""

    def run_until_idle(self, *, stop: Callable[[], bool] | None = None) -> list[JobOutcome]: ...


def sweep_key(site: Site) -> str:
    """The idempotency key of the sweep due now for ``site``."""
    last = site.last_sweep_at.isoformat(timespec="seconds") if site.last_sweep_at else "first"
    return f"{SWEEP}:{site.id}:{last}"


def enqueue_due_sweeps(session: Session, *, now: datetime | None = None) -> list[Job]:
    """Queue one sweep job per scheduled site due at ``now`` (no-op for those already queued)."""
    due, _ = due_sites(session, now or utcnow())
    queued = []
    for site_id in due:
        site = session.get(Site, site_id)
        assert site is not None
        queued.append(
            jobs.enqueue(session, kind=SWEEP, payload={"site_id": site_id}, key=sweep_key(site))
        )
    return queued


@dataclass
class DispatchReport:
    """What the dispatcher did over its rounds."""

    rounds: int = 0
    queued: int = 0
    outcomes: list[JobOutcome] = field(default_factory=list)


def dispatch(
    factory: Callable[[], Session],
    executor: Executor,
    *,
    stop: threading.Event | None = None,
    once: bool = False,
    clock: Callable[[], datetime] = utcnow,
    idle_s: float = IDLE_CHECK.total_seconds(),
) -> DispatchReport:
    """Queue due sweeps and run jobs until ``stop`` is set (one round with ``once``).

    ``factory`` is a session factory; each round queues in its own transaction, so a crash
    between rounds loses nothing that was queued."""
    stop = stop or threading.Event()
    report = DispatchReport()
    while not stop.is_set():
        with transaction(factory) as session:  # type: ignore[arg-type]
            queued = enqueue_due_sweeps(session, now=clock())
            report.queued += sum(1 for job in queued if job.attempts == 0)
        report.outcomes.extend(executor.run_until_idle(stop=stop.is_set))
        report.rounds += 1
        if once:
            break
        stop.wait(idle_s)
    log.info(
        "dispatcher stopped after %d round(s), %d job(s) run", report.rounds, len(report.outcomes)
    )
    return report
