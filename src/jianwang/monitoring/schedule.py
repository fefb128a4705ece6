"""Sweep schedules: when each registered site is due, and the loop that keeps sweeping them.

A site's ``schedule`` is an interval such as ``30m``, ``6h`` or ``1d``; it is due when it has never
been swept or its last complete sweep is at least that long ago. The time of the last complete
sweep is kept in the database (``Site.last_sweep_at``), so a scheduler that is stopped and started
again resumes where it left off: sites swept recently are not swept again, and a sweep that was
cut short never counts as done.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.db import transaction, utcnow
from jianwang.db.models import Site, SiteKind, SiteStatus
from jianwang.errors import JianwangError, UserError

log = logging.getLogger(__name__)

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MIN_INTERVAL = timedelta(minutes=1)
"""No site is swept more often than this, whatever its schedule says."""
IDLE_CHECK = timedelta(minutes=1)
"""The loop looks again at least this often (sites added or rescheduled meanwhile)."""


def parse_interval(text: str) -> timedelta:
    """``"30m"`` → 30 minutes; units s, m, h, d, w; at least ``MIN_INTERVAL``."""
    match = _INTERVAL.match(text or "")
    if match is None:
        raise UserError(f"schedule {text!r}: give an interval such as 30m, 6h or 1d")
    interval = timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2).lower()])
    if interval < MIN_INTERVAL:
        raise UserError(f"schedule {text!r}: at least {MIN_INTERVAL} between sweeps")
    return interval


def due_at(site: Site) -> datetime | None:
    """When ``site`` is next due (``None``: it has no schedule, is not active, or is a live
    site, whose stream is watched rather than swept)."""
    if site.status is not SiteStatus.ACTIVE or not site.schedule or site.kind is SiteKind.LIVE:
        return None
    try:
        interval = parse_interval(site.schedule)
    except UserError as exc:
        log.warning("site %s: %s; not scheduled", site.name, exc)
        return None
    if site.last_sweep_at is None:
        return datetime.min.replace(tzinfo=utcnow().tzinfo)
    return site.last_sweep_at + interval


def due_sites(session: Session, now: datetime) -> tuple[list[int], datetime | None]:
    """Ids of the scheduled sites due at ``now`` (longest overdue first), and when the next of
    the others falls due."""
    due: list[tuple[datetime, int]] = []
    later: list[datetime] = []
    for site in session.scalars(select(Site).order_by(Site.id)):
        when = due_at(site)
        if when is None:
            continue
        (due.append((when, site.id)) if when <= now else later.append(when))
    due.sort()
    return [site_id for _, site_id in due], min(later, default=None)


def run_schedule(
    factory: sessionmaker[Session],
    sweep: Callable[[int, Callable[[], bool]], bool],
    *,
    stop: threading.Event,
    clock: Callable[[], datetime] = utcnow,
    between: Callable[[], object] | None = None,
) -> int:
    """Sweep due sites until ``stop`` is set; returns the number of complete sweeps.

    ``sweep(site_id, stopping)`` sweeps one site, checks ``stopping()`` between pages, and says
    whether it completed (only a complete sweep moves the site's ``last_sweep_at`` on). A sweep
    that fails is logged and the others go on; a site that keeps failing is tried again after
    the idle wait, not in a tight loop. Between sweeps the loop sleeps until the next site is
    due, at most ``IDLE_CHECK``, waking at once when ``stop`` is set. ``between`` runs on every
    pass before the due sites (the staydown checks that have fallen due); its failure is logged
    like a sweep's.
    """
    done = 0
    while not stop.is_set():
        if between is not None:
            try:
                between()
            except JianwangError as exc:
                log.error("scheduler: staydown checks failed: %s", exc)
        with transaction(factory) as session:
            due, next_due = due_sites(session, clock())
        completed = 0
        for site_id in due:
            if stop.is_set():
                break
            try:
                completed += bool(sweep(site_id, stop.is_set))
            except JianwangError as exc:  # one site's failure never stops the others
                log.error("scheduler: sweep of site %d failed: %s", site_id, exc)
        done += completed
        if stop.is_set():
            break
        if completed:
            continue  # sweeping took time: look again before sleeping
        wait = IDLE_CHECK
        if next_due is not None:
            wait = min(wait, max(timedelta(0), next_due - clock()))
        log.debug("scheduler: sleeping %.0f s", wait.total_seconds())
        stop.wait(wait.total_seconds())
    log.info("scheduler stopped after %d complete sweep(s)", done)
    return done
