"""Running a registered site from the API: its full entry with when it is next due, the
settings an authority tunes while it watches (schedule, rate, concurrency), and pausing.

``monitoring.sites`` registers sites and their credentials; this adds what the CLI does not
change. Shutting a site down is not here: only a case decision does that, and a shut-down site
is not resumed by a settings change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Actor
from jianwang.catalog.scopes import may_see_site
from jianwang.db.models import Site, SiteStatus
from jianwang.errors import NotFoundError, UserError
from jianwang.monitoring.schedule import due_at, parse_interval
from jianwang.monitoring.sites import MAX_RATE_PER_S, check_concurrency, site_row

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteView:
    """A site's registry entry as the API shows it (credentials by name only)."""

    id: int
    name: str
    kind: str
    status: str
    region: str | None
    operator: str | None
    icp_number: str | None
    domains: tuple[str, ...]
    seeds: tuple[str, ...]
    schedule: str | None
    rate_per_s: float | None
    concurrency: int
    max_pages: int
    max_depth: int
    browser: bool
    last_sweep_at: datetime | None
    next_sweep_at: datetime | None
    cookie_names: tuple[str, ...]
    header_names: tuple[str, ...]


def site_view(site: Site) -> SiteView:
    """One site as :class:`SiteView`."""
    row = site_row(site)
    return SiteView(
        id=site.id,
        name=site.name,
        kind=row.kind,
        status=row.status,
        region=site.region,
        operator=site.operator,
        icp_number=site.icp_number,
        domains=tuple(row.domains),
        seeds=tuple(row.seeds),
        schedule=site.schedule,
        rate_per_s=site.rate_per_s,
        concurrency=row.concurrency,
        max_pages=site.max_pages,
        max_depth=site.max_depth,
        browser=site.browser,
        last_sweep_at=site.last_sweep_at,
        next_sweep_at=_next_sweep(site),
        cookie_names=tuple(row.cookie_names),
        header_names=tuple(row.header_names),
    )


def _next_sweep(site: Site) -> datetime | None:
    """When the scheduler sweeps ``site`` next; a scheduled site never swept has been due since
    it was registered."""
    when = due_at(site)
    if when is None or site.last_sweep_at is not None:
        return when
    return site.created_at


def get_site(session: Session, site_id: int) -> Site:
    """A site by id; ``NotFoundError`` when there is none."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"no site with id {site_id}")
    return site


def visible_sites(session: Session, actor: Actor) -> list[Site]:
    """The sites ``actor`` may see (``catalog.scopes.may_see_site``), oldest first."""
    return [s for s in session.scalars(select(Site).order_by(Site.id)) if may_see_site(actor, s)]


def update_site_settings(
    session: Session,
    site: Site,
    *,
    changes: set[str],
    schedule: str | None = None,
    rate_per_s: float | None = None,
    concurrency: int | None = None,
    status: str | None = None,
) -> Site:
    """Change the named ``changes`` of a site: ``schedule`` (``None`` stops scheduled sweeps),
    ``rate_per_s`` (``None``: the installation's pace), ``concurrency``, and ``status``
    (``active`` or ``paused``).

    Every value is checked before any is set, so a refused change leaves the site as it was."""
    unknown = changes - {"schedule", "rate_per_s", "concurrency", "status"}
    if unknown:
        raise UserError(f"cannot change {', '.join(sorted(unknown))} of a site here")
    if "schedule" in changes and schedule is not None:
        schedule = schedule.strip()
        parse_interval(schedule)
    if "rate_per_s" in changes and rate_per_s is not None and not 0 < rate_per_s <= MAX_RATE_PER_S:
        raise UserError(
            f"site {site.name!r}: a rate of {rate_per_s:g} requests per second is not between 0 "
            f"and {MAX_RATE_PER_S:g}"
        )
    if "concurrency" in changes:
        if concurrency is None:
            raise UserError("concurrency cannot be empty; give 1 to 16")
        check_concurrency(concurrency)
    new_status: SiteStatus | None = None
    if "status" in changes:
        if status not in (SiteStatus.ACTIVE.value, SiteStatus.PAUSED.value):
            raise UserError(f"status {status!r}: give 'active' (resume) or 'paused'")
        new_status = SiteStatus(status)
        if site.status is SiteStatus.SHUT_DOWN:
            raise UserError(
                f"site {site.name!r} was shut down by a decision; it cannot be resumed here"
            )
    if "schedule" in changes:
        site.schedule = schedule or None
    if "rate_per_s" in changes:
        site.rate_per_s = rate_per_s
    if concurrency is not None:
        site.concurrency = concurrency
    if new_status is not None and new_status is not site.status:
        log.info("site %r: %s -> %s", site.name, site.status.value, new_status.value)
        site.status = new_status
    session.flush()
    return site
