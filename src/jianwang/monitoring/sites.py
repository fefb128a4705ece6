"""The site registry: which sites are watched and how they are crawled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db.models import Site, SiteKind, SiteStatus
from jianwang.errors import DuplicateError, UserError
from jianwang.monitoring.schedule import parse_interval


@dataclass(frozen=True)
class SiteRow:
    """A site as listed to a person."""

    id: int
    name: str
    kind: str
    status: str
    domains: list[str]
    seeds: list[str]
    region: str | None
    operator: str | None
    last_sweep_at: datetime | None


MAX_RATE_PER_S = 20.0
"""No site is asked for more than this many requests per second, whatever it is told."""


def parse_site_kind(kind: str | SiteKind) -> SiteKind:
    """A site kind from user input, with the valid choices in the error."""
    try:
        return SiteKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in SiteKind)
        raise UserError(f"unknown site kind {kind!r}; choose one of: {choices}") from None


def domain_of(url: str) -> str:
    """``host[:port]`` of an http(s) URL; anything else is a user error naming the URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UserError(f"invalid seed URL {url!r}: expected http(s)://host/...")
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        raise UserError(f"invalid seed URL {url!r}: bad port") from None
    default = 443 if parts.scheme == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


def add_site(
    session: Session,
    *,
    name: str,
    kind: str | SiteKind,
    seeds: Sequence[str],
    domains: Sequence[str] = (),
    operator: str | None = None,
    icp_number: str | None = None,
    region: str | None = None,
    max_pages: int = 200,
    max_depth: int = 4,
    respect_robots: bool = True,
    schedule: str | None = None,
    rate_per_s: float | None = None,
) -> Site:
    """Register a site; its allowed domains default to the hosts of its seeds."""
    name = name.strip()
    if not name:
        raise UserError("a site needs a name")
    site_kind = parse_site_kind(kind)
    if schedule is not None:
        parse_interval(schedule)  # refused here with a clear message, not at sweep time
    if rate_per_s is not None and not 0 < rate_per_s <= MAX_RATE_PER_S:
        raise UserError(
            f"site {name!r}: a rate of {rate_per_s:g} requests per second is not between 0 "
            f"and {MAX_RATE_PER_S:g}"
        )
    if not seeds:
        raise UserError(f"site {name!r}: give at least one --seed URL")
    seed_domains = [domain_of(seed) for seed in seeds]
    if session.scalar(select(Site).where(Site.name == name)) is not None:
        raise DuplicateError(f"site {name!r} is already registered")
    if max_pages < 1 or max_depth < 0:
        raise UserError("max pages must be at least 1 and depth at least 0")
    all_domains = list(dict.fromkeys([d.strip().lower() for d in domains if d.strip()]))
    all_domains += [d for d in seed_domains if d not in all_domains]
    site = Site(
        name=name,
        kind=site_kind,
        seeds=[s.strip() for s in seeds],
        domains=all_domains,
        operator=operator,
        icp_number=icp_number,
        region=region,
        max_pages=max_pages,
        max_depth=max_depth,
        respect_robots=respect_robots,
        schedule=schedule,
        rate_per_s=rate_per_s,
        status=SiteStatus.ACTIVE,
    )
    session.add(site)
    session.flush()
    return site


def list_sites(session: Session) -> list[SiteRow]:
    """Every registered site, oldest first."""
    return [
        SiteRow(
            id=s.id,
            name=s.name,
            kind=s.kind.value,
            status=s.status.value,
            domains=list(s.domains),
            seeds=list(s.seeds),
            region=s.region,
            operator=s.operator,
            last_sweep_at=s.last_sweep_at,
        )
        for s in session.scalars(select(Site).order_by(Site.id))
    ]


def active_site_ids(session: Session) -> list[int]:
    """Ids of the sites a sweep of "all sites" covers."""
    return list(
        session.scalars(select(Site.id).where(Site.status == SiteStatus.ACTIVE).order_by(Site.id))
    )
