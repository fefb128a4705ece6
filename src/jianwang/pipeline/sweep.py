"""One sweep of one site: crawl it, record each capture, and match it as it arrives.

Each captured item is recorded and matched in its own transaction, so an interrupted sweep keeps
everything it captured so far, and a second sweep neither duplicates captures nor detections.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import transaction, utcnow
from jianwang.db.models import AssetKind, Capture, Site, SiteStatus
from jianwang.detections.review import ReviewPolicy, triage
from jianwang.detections.service import detect_capture, find_capture
from jianwang.detections.titles import title_matcher
from jianwang.errors import MediaError, UserError
from jianwang.evidence import ledger
from jianwang.evidence.artefacts import add_artefact
from jianwang.media.limits import DecodeLimits
from jianwang.media.probe import probe
from jianwang.monitoring.crawler import CapturedItem, CrawlPolicy, crawl_site
from jianwang.monitoring.fetch import Fetcher, Validators
from jianwang.monitoring.sites import concurrency_of, credentials_of
from jianwang.monitoring.visits import remember_pages, seen_pages
from jianwang.pipeline.discovery import DiscoveryCounts, PageDiscovery
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """What one sweep did."""

    site: str
    pages: int = 0
    captures_new: int = 0
    captures_seen: int = 0
    media_unchanged: int = 0  # media files the server confirmed unchanged: not transferred
    pages_unchanged: int = 0  # pages the server confirmed unchanged: read from their last copy
    interrupted: bool = False  # stopped on request: the site's last sweep time is not moved on
    detections: int = 0
    errors: list[str] = field(default_factory=list)
    discovery: DiscoveryCounts = field(default_factory=DiscoveryCounts)  # beyond the media
    wall_s: float = 0.0  # the whole sweep
    handling_s: float = 0.0  # of which recording and matching captures (decoding included)


def _length_of(item: CapturedItem) -> float | None:
    if item.kind == "text":
        return None
    try:
        return probe(item.path).duration_s
    except MediaError:
        return None


def record_capture(
    session: Session, *, site: Site, item: CapturedItem, store: ContentStore
) -> tuple[Capture, bool]:
    """Store one captured item (once: the same bytes at the same page are the same capture),
    with its evidence artefacts: the page, the HTTP exchange (status, final URL, redirects,
    resolved IP, response headers) as JSON in ``store``, and a screenshot where there is one."""
    existing = find_capture(session, site_id=site.id, page_url=item.page_url, sha256=item.sha256)
    if existing is not None:
        return existing, False
    capture = Capture(
        site_id=site.id,
        site=site,
        kind=AssetKind(item.kind),
        page_url=item.page_url,
        media_url=item.media_url,
        final_url=item.final_url,
        redirect_chain=list(item.redirect_chain),
        fetched_at=item.fetched_at,
        http_status=item.http_status,
        resolved_ip=item.resolved_ip,
        response_headers=dict(item.response_headers),
        page_title=(item.page_title or "")[:500] or None,
        page_sha256=item.page_sha256,
        content_sha256=item.sha256,
        content_path=str(item.path),
        size_bytes=item.size,
        length=_length_of(item),
        view_count=item.view_count,
        source_spans=[list(span) for span in item.source_spans] if item.source_spans else None,
    )
    session.add(capture)
    session.flush()
    exchange = {
        "url": item.media_url or item.page_url,
        "final_url": item.final_url,
        "redirect_chain": list(item.redirect_chain),
        "status": item.http_status,
        "resolved_ip": item.resolved_ip,
        "fetched_at": item.fetched_at.isoformat(),
        "headers": dict(item.response_headers),
    }
    headers_path = store.put_bytes(ledger.canonical_json(exchange), ".json").path
    artefacts = [
        add_artefact(session, capture=capture, kind=kind, path=path, content_type=mime)
        for kind, path, mime in (
            ("page", item.page_path, "text/html"),
            ("headers", headers_path, "application/json"),
            ("screenshot", item.screenshot_path, "image/png"),
        )
        if path is not None
    ]
    ledger.append(
        session,
        kind="capture",
        subject=f"capture:{capture.id}",
        payload={
            "site": site.name,
            "page_url": capture.page_url,
            "media_url": capture.media_url,
            "final_url": capture.final_url,
            "redirect_chain": capture.redirect_chain,
            "fetched_at": capture.fetched_at.isoformat(),
            "http_status": capture.http_status,
            "resolved_ip": capture.resolved_ip,
            "page_sha256": capture.page_sha256,
            "content_sha256": capture.content_sha256,
            "size_bytes": capture.size_bytes,
            "view_count": capture.view_count,
            "source_spans": capture.source_spans,
            "artefacts": {a.kind: a.sha256 for a in artefacts},
        },
    )
    return capture, True


def known_media(session: Session, site_id: int) -> dict[str, Validators]:
    """The validators (ETag, Last-Modified) of each media URL's latest capture on a site, so the
    next sweep asks for it conditionally and skips it when unchanged."""
    rows = session.execute(
        select(Capture.media_url, Capture.response_headers)
        .where(Capture.site_id == site_id, Capture.media_url.is_not(None))
        .order_by(Capture.fetched_at)
    ).all()
    known: dict[str, Validators] = {}
    for url, headers in rows:
        validators = Validators.of({k.lower(): str(v) for k, v in (headers or {}).items()})
        if url and validators is not None:
            known[url] = validators  # later captures overwrite earlier ones
    return known


def fetch_settings_for(site: Site, settings: Settings) -> Settings:
    """The settings a site's sweep fetches with: its own request rate, where the registry gives
    one, sets the pause between requests to each of its hosts."""
    if not site.rate_per_s:
        return settings
    return settings.model_copy(update={"crawl_delay_s": 1.0 / site.rate_per_s})


def policy_for(site: Site, settings: Settings) -> CrawlPolicy:
    """The crawl policy a site's registry entry asks for, capped by the settings."""
    return CrawlPolicy(
        seeds=list(site.seeds),
        allowed_domains=list(site.domains),
        max_pages=min(site.max_pages, settings.max_pages_per_site),
        max_depth=site.max_depth,
        capture_kinds=set(site.capture_kinds),
        respect_robots=site.respect_robots,
        browser=site.browser,
        concurrency=concurrency_of(site),
    )


def monitored_site(session: Session, site_id: int) -> Site:
    """The site to sweep or watch; ``UserError`` when it is unknown or shut down (then only
    staydown checks run on it)."""
    site = session.get(Site, site_id)
    if site is None:
        raise UserError(f"no site with id {site_id}")
    if site.status is SiteStatus.SHUT_DOWN:
        raise UserError(f"site {site.name!r} is shut down; only staydown checks run on it")
    return site


def sweep_site(
    factory: sessionmaker[Session],
    *,
    site_id: int,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
    indexes: IndexSet | None = None,
    on_progress: Callable[[str], None] | None = None,
    stopping: Callable[[], bool] | None = None,
    defer_matching: Callable[[Session, Capture], None] | None = None,
) -> SweepResult:
    """Crawl one site and match every new capture against the protection list.

    ``stopping`` is asked before each page; a sweep stopped early keeps what it captured but
    does not count as the site's last sweep, so a scheduler sweeps the site again. With
    ``defer_matching`` a new capture is not matched here: the callback gets it in the
    transaction that records it (to queue a match job, so that other workers match a big site's
    captures while this one crawls on)."""
    with transaction(factory) as session:
        site = monitored_site(session, site_id)
        policy = policy_for(site, settings)
        fetch_settings = fetch_settings_for(site, settings)
        credentials = credentials_of(site)  # a malformed entry stops the sweep before it starts
        name = site.name
        known = known_media(session, site_id)
        pages_seen = seen_pages(session, site_id)
        matcher = title_matcher(session)
        domains = list(site.domains)
        if indexes is None:
            indexes = open_indexes(session, settings.index_dir, registry)
    result = SweepResult(site=name)
    active_indexes = indexes
    review = ReviewPolicy.from_settings(settings)

    def handle(item: CapturedItem) -> None:
        began = time.perf_counter()
        try:
            record_and_match(item)
        finally:
            result.handling_s += time.perf_counter() - began

    store = ContentStore(Path(settings.content_dir))

    def record_and_match(item: CapturedItem) -> None:
        with transaction(factory) as session:
            site_row = session.get(Site, site_id)
            assert site_row is not None
            capture, new = record_capture(session, site=site_row, item=item, store=store)
            if not new:
                result.captures_seen += 1
                return
            result.captures_new += 1
            if defer_matching is not None:
                defer_matching(session, capture)
                return
            outcome = detect_capture(
                session,
                capture=capture,
                indexes=active_indexes,
                registry=registry,
                limits=limits,
                content_dir=Path(settings.content_dir),
            )
            triage(session, detections=outcome.detections, policy=review)
            result.detections += len(outcome.detections)
            if outcome.error:
                result.errors.append(f"{item.media_url or item.page_url}: {outcome.error}")
        if on_progress is not None:
            on_progress(item.media_url or item.page_url)

    started = time.perf_counter()
    media_dir = Path(settings.content_dir)
    with Fetcher(
        fetch_settings, credentials=credentials, concurrency=policy.concurrency
    ) as fetcher:
        discovery = PageDiscovery(
            factory,
            site_id=site_id,
            domains=domains,
            matcher=matcher,
            fetcher=fetcher,
            store=store,
            review=review,
        )
        report = crawl_site(
            fetcher,
            policy,
            media_dir=media_dir,
            on_item=handle,
            known=known.get,
            seen=pages_seen.get,
            stopping=stopping,
            on_page=discovery,
        )
    result.discovery = discovery.counts
    result.wall_s = time.perf_counter() - started
    result.pages = report.pages_fetched
    result.media_unchanged = report.media_unchanged
    result.pages_unchanged = report.pages_unchanged
    result.interrupted = report.interrupted
    result.errors.extend(f"{err.url}: {err.reason}" for err in report.errors)
    with transaction(factory) as session:
        remember_pages(session, site_id, report.pages)  # interrupted too: what was seen stands
        site_row = session.get(Site, site_id)
        assert site_row is not None
        if not result.interrupted:
            site_row.last_sweep_at = utcnow()
    log.info(
        "swept %s: %d pages, %d new captures, %d media unchanged, %d detections, %d errors",
        name,
        result.pages,
        result.captures_new,
        result.media_unchanged,
        result.detections,
        len(result.errors),
    )
    return result
