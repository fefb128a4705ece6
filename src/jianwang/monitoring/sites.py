"""The site registry: which sites are watched and how they are crawled.

A site may carry credentials (cookies and headers an authority holds for it); they are stored
with the site, sent only to its domains, and shown to people by name only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db.models import Site, SiteKind, SiteStatus
from jianwang.errors import DuplicateError, NotFoundError, UserError
from jianwang.monitoring.credentials import SiteCredentials, check_cookie, check_header
from jianwang.monitoring.schedule import parse_interval
from jianwang.monitoring.throttle import DEFAULT_CONCURRENCY, MAX_CONCURRENCY


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
    concurrency: int = DEFAULT_CONCURRENCY
    cookie_names: list[str] = field(default_factory=list)  # names only: values are secrets
    header_names: list[str] = field(default_factory=list)


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
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise UserError(f"invalid seed URL {url!r}: not a URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UserError(f"invalid seed URL {url!r}: expected http(s)://host/...")
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        raise UserError(f"invalid seed URL {url!r}: bad port") from None
    default = 443 if parts.scheme == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


def parse_cookie_options(values: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` options as a dict; errors name the cookie, never show its value."""
    cookies: dict[str, str] = {}
    for text in values:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UserError("--cookie expects NAME=VALUE")
        check_cookie(name, value)
        cookies[name] = value
    return cookies


def parse_header_options(values: Sequence[str]) -> dict[str, str]:
    """``"Name: value"`` options as a dict; errors name the header, never show its value."""
    headers: dict[str, str] = {}
    for text in values:
        name, sep, value = text.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise UserError('--header expects "Name: value"')
        check_header(name, value)
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]  # the last one given wins, whatever its case
        headers[name] = value
    return headers


def check_concurrency(concurrency: int) -> int:
    """A site's concurrency, refused outside 1..:data:`MAX_CONCURRENCY`."""
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UserError(f"concurrency {concurrency} is not between 1 and {MAX_CONCURRENCY}")
    return concurrency


def concurrency_of(site: Site) -> int:
    """Requests in flight to each of the site's hosts at once (a stored value kept in range)."""
    return max(1, min(site.concurrency or DEFAULT_CONCURRENCY, MAX_CONCURRENCY))


def credentials_of(site: Site) -> SiteCredentials | None:
    """The site's stored credentials, bound to its domains, or ``None`` when it has none."""
    try:
        return SiteCredentials.from_record(site.domains, site.credentials)
    except UserError as exc:
        raise UserError(f"site {site.name!r}: stored credentials are unusable: {exc}") from exc


def _credentials_record(
    domains: Sequence[str], cookies: Mapping[str, str], headers: Mapping[str, str]
) -> dict[str, dict[str, str]] | None:
    found = SiteCredentials(domains, cookies=cookies, headers=headers)
    return found.record() if found else None


def site_row(site: Site) -> SiteRow:
    """A site as shown to people: its credentials by name only."""
    credentials = credentials_of(site)
    return SiteRow(
        id=site.id,
        name=site.name,
        kind=site.kind.value,
        status=site.status.value,
        domains=list(site.domains),
        seeds=list(site.seeds),
        region=site.region,
        operator=site.operator,
        last_sweep_at=site.last_sweep_at,
        concurrency=concurrency_of(site),
        cookie_names=credentials.cookie_names if credentials else [],
        header_names=credentials.header_names if credentials else [],
    )


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
    browser: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    cookies: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Site:
    """Register a site; its allowed domains default to the hosts of its seeds.

    ``concurrency`` caps the requests in flight to each of its hosts (and the media a page has
    downloading at once). ``cookies`` and ``headers`` are credentials sent only to its domains.

    ``browser`` sweeps it in browser mode: pages rendered in headless Chromium, for sites whose
    players are built in JavaScript (slower, and it needs Debian's chromium installed).
    """
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
    check_concurrency(concurrency)
    all_domains = list(dict.fromkeys([d.strip().lower() for d in domains if d.strip()]))
    all_domains += [d for d in seed_domains if d not in all_domains]
    credentials = _credentials_record(all_domains, cookies or {}, headers or {})
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
        browser=browser,
        concurrency=concurrency,
        credentials=credentials,
        status=SiteStatus.ACTIVE,
    )
    session.add(site)
    session.flush()
    return site


def _site_named(session: Session, name: str) -> Site:
    site = session.scalar(select(Site).where(Site.name == name.strip()))
    if site is None:
        raise NotFoundError(f"no site named {name!r}")
    return site


def update_site(
    session: Session,
    *,
    name: str,
    cookies: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    clear_credentials: bool = False,
    concurrency: int | None = None,
) -> Site:
    """Change a registered site's credentials or concurrency.

    Cookies and headers given are added to the site's, replacing any of the same name;
    ``clear_credentials`` drops all the stored ones first (to rotate a session, or to remove one).
    """
    site = _site_named(session, name)
    if concurrency is not None:
        site.concurrency = check_concurrency(concurrency)
    if clear_credentials or cookies or headers:
        current = None if clear_credentials else credentials_of(site)
        record = current.record() if current else {"cookies": {}, "headers": {}}
        merged_headers = {
            k: v
            for k, v in record["headers"].items()
            if k.lower() not in {n.lower() for n in headers or {}}
        }
        site.credentials = _credentials_record(
            site.domains,
            {**record["cookies"], **(cookies or {})},
            {**merged_headers, **(headers or {})},
        )
    session.flush()
    return site


def show_site(session: Session, *, name: str) -> SiteRow:
    """One registered site, as listed to people."""
    return site_row(_site_named(session, name))


def list_sites(session: Session) -> list[SiteRow]:
    """Every registered site, oldest first."""
    return [site_row(s) for s in session.scalars(select(Site).order_by(Site.id))]


def active_site_ids(session: Session) -> list[int]:
    """Ids of the sites a sweep of "all sites" covers: the active ones, live sites aside (their
    streams are watched continuously, not swept)."""
    return list(
        session.scalars(
            select(Site.id)
            .where(Site.status == SiteStatus.ACTIVE, Site.kind != SiteKind.LIVE)
            .order_by(Site.id)
        )
    )


def live_streams(session: Session) -> list[tuple[int, str]]:
    """(site id, playlist URL) of every active live site's ``.m3u8`` seeds: what a running
    monitor watches continuously."""
    rows = session.scalars(
        select(Site)
        .where(Site.status == SiteStatus.ACTIVE, Site.kind == SiteKind.LIVE)
        .order_by(Site.id)
    )
    return [(site.id, seed) for site in rows for seed in site.seeds if ".m3u8" in seed.lower()]
