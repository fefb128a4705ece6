"""Crawl one site breadth-first and capture the media and text it serves.

The crawl is a plain function over a :class:`Fetcher`: it fetches each page once, follows links
that stay inside the allowed domains, downloads every media file a page references once, keeps
text pages' HTML, and hands each capture to ``on_item`` as soon as it is stored (so a caller can
record captures while a long crawl is still running). A failure on one page or one item is
logged, recorded in the report, and the crawl goes on.

Media may live on other hosts than the pages (pirate sites serve from CDNs), so media URLs are
not limited to the allowed domains; they still pass the SSRF guard and robots.txt.

A page's media files are downloaded by up to ``CrawlPolicy.concurrency`` worker threads at once
(the fetcher caps requests in flight per host); what they bring back is recorded by the crawl's
own thread in the page's order, so ``on_item`` is never called concurrently. Pages that a
site-specific yt-dlp extractor claims also yield the media that extractor finds
(:mod:`jianwang.monitoring.ytdlp`).

In browser mode (``CrawlPolicy.browser``) each page is rendered in headless Chromium instead of
fetched (:mod:`jianwang.monitoring.browser`): its links and media come from the HTML after its
scripts ran plus the media requests its players made, and its captures carry a screenshot.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from jianwang.content import ContentStore
from jianwang.errors import FetchError
from jianwang.monitoring.browser import BrowserRenderer, RenderedPage
from jianwang.monitoring.dash import capture_dash
from jianwang.monitoring.discover import (
    AUDIO_EXTENSIONS,
    MediaRef,
    PageLinks,
    has_media_extension,
    media_kind_of,
    parse_page,
)
from jianwang.monitoring.feeds import FeedLinks, looks_like_feed, parse_feed
from jianwang.monitoring.fetch import (
    Download,
    Fetcher,
    FetchResult,
    NotModifiedError,
    RobotsCache,
    Validators,
)
from jianwang.monitoring.hls import capture_hls
from jianwang.monitoring.safety import DomainScope, normalise_url
from jianwang.monitoring.throttle import DEFAULT_CONCURRENCY
from jianwang.monitoring.visits import SeenPage
from jianwang.monitoring.ytdlp import MediaExtractor

logger = logging.getLogger(__name__)

CaptureKind = Literal["video", "audio", "text"]
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class CrawlPolicy:
    """What to crawl on one site.

    ``allowed_domains`` holds ``host`` or ``host:port`` entries. ``host:port`` matches exactly
    that origin (sandbox sites differ only by port); a bare ``host`` matches the host and its
    subdomains on the default ports. Empty means "the seeds' own hosts and ports".
    ``browser`` renders pages in headless Chromium, for players built in JavaScript.
    ``concurrency`` is how many of a page's media files are downloaded at once. ``ytdlp`` runs
    yt-dlp's site-specific extractors on the pages they claim; ``extractors`` adds
    ``InfoExtractor`` classes to them (tests use it for a sandbox extractor).
    """

    seeds: list[str]
    allowed_domains: list[str] = field(default_factory=list)
    max_pages: int = 100
    max_depth: int = 3
    capture_kinds: set[str] = field(default_factory=lambda: {"video", "audio", "text"})
    respect_robots: bool = True
    browser: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    ytdlp: bool = True
    extractors: tuple[type[Any], ...] = ()


@dataclass(frozen=True)
class CapturedItem:
    """One stored capture and the exchange that produced it.

    For media, ``http_status`` ... ``response_headers`` describe the media response (for HLS,
    the media playlist's); for text, the page's. ``page_*`` always describe the page it was on.
    """

    kind: CaptureKind
    page_url: str
    media_url: str | None
    path: Path
    sha256: str
    size: int
    content_type: str
    page_sha256: str
    page_title: str
    http_status: int
    fetched_at: datetime
    final_url: str
    redirect_chain: tuple[str, ...]
    resolved_ip: str | None
    response_headers: dict[str, str]
    page_path: Path | None = None  # the page's HTML as fetched (or rendered), stored by sha256
    screenshot_path: Path | None = None  # a PNG of the rendered page, in browser mode
    view_count: int | None = None  # the view or play count the page shows, where it shows one
    source_spans: tuple[tuple[float, float, float], ...] | None = None  # sampled streams


@dataclass(frozen=True)
class CrawlError:
    """A URL that could not be fetched or captured, and why."""

    url: str
    reason: str


@dataclass
class CrawlReport:
    """What a crawl did: pages fetched, items captured, errors met, URLs robots.txt ruled out."""

    pages_fetched: int = 0
    media_fetched: int = 0
    media_unchanged: int = 0  # confirmed unchanged by a conditional request, not transferred
    pages_unchanged: int = 0  # pages the server confirmed unchanged: their last copy was read
    pages: list[SeenPage] = field(default_factory=list)  # every page's copy, for the next sweep
    interrupted: bool = False  # stopped on request before the crawl was complete
    items: list[CapturedItem] = field(default_factory=list)
    errors: list[CrawlError] = field(default_factory=list)
    skipped_robots: list[str] = field(default_factory=list)


class _Scope:
    """Decides whether a page URL is inside the allowed domains."""

    def __init__(self, policy: CrawlPolicy) -> None:
        entries = policy.allowed_domains or [urlsplit(seed).netloc for seed in policy.seeds]
        self._domains = DomainScope(entries)

    def contains(self, url: str) -> bool:
        return self._domains.contains_url(url)


@dataclass(frozen=True)
class _MediaJob:
    """One media reference claimed for download: its normalised URL and its last validators."""

    ref: MediaRef
    key: str
    unless: Validators | None


def _media_kind(ref: MediaRef, download: Download) -> CaptureKind:
    """Audio or video for a direct file; when nothing says audio, "video" (the caller probes)."""
    if ref.kind == "audio":
        return "audio"
    if ref.kind == "video":
        return "video"
    mime = download.content_type.split(";", 1)[0].strip().lower()
    if mime.startswith("audio/") or download.path.suffix in AUDIO_EXTENSIONS:
        return "audio"
    return "video"


def _is_html(page: FetchResult) -> bool:
    mime = page.content_type.split(";", 1)[0].strip().lower()
    return not mime or mime in _HTML_TYPES


class _Crawl:
    """State of one crawl run; lives only inside :func:`crawl_site`."""

    def __init__(
        self,
        fetcher: Fetcher,
        policy: CrawlPolicy,
        media_dir: Path,
        on_item: Callable[[CapturedItem], None] | None,
        known: Callable[[str], Validators | None] | None = None,
        stopping: Callable[[], bool] | None = None,
        renderer: BrowserRenderer | None = None,
        seen: Callable[[str], SeenPage | None] | None = None,
        on_page: Callable[[FetchResult, PageLinks], None] | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.renderer = renderer
        self.known = known
        self.seen = seen
        self.on_page = on_page
        self.stopping = stopping
        self.policy = policy
        self.media_dir = media_dir
        self.on_item = on_item
        self.scope = _Scope(policy)
        self.robots = RobotsCache(fetcher) if policy.respect_robots else None
        self.extractor = (
            MediaExtractor(fetcher.settings, guard=fetcher.check, extra=policy.extractors)
            if policy.ytdlp
            else None
        )
        self.report = CrawlReport()
        self.seen_pages: set[str] = set()
        self.seen_media: set[str] = set()
        self.pending: list[tuple[str, int]] = []
        self.view_counts: dict[str, int] = {}  # page URL -> the view count the page shows
        self.max_pages = min(policy.max_pages, fetcher.settings.max_pages_per_site)

    def error(self, url: str, exc: Exception | str) -> None:
        reason = str(exc)
        logger.warning("crawl: %s: %s", url, reason)
        self.report.errors.append(CrawlError(url=url, reason=reason))

    def permitted(self, url: str) -> bool:
        if self.robots is None:
            return True
        if self.robots.allowed(url):
            return True
        logger.info("crawl: robots.txt disallows %s", url)
        self.report.skipped_robots.append(url)
        return False

    def emit(self, item: CapturedItem) -> None:
        self.report.items.append(item)
        if self.on_item is not None:
            self.on_item(item)

    def run(self) -> CrawlReport:
        if self.policy.browser and self.renderer is None:
            with BrowserRenderer(self.fetcher.settings) as renderer:  # one browser per crawl
                self.renderer = renderer
                return self.crawl()
        return self.crawl()

    def load(self, url: str) -> tuple[FetchResult, RenderedPage | None]:
        """The page at ``url``: fetched, or in browser mode rendered (its HTML after scripts).

        A page seen on an earlier sweep is asked for conditionally; when the server says it is
        unchanged, its copy from then stands in for it (no body is transferred). Every page
        fetched is kept by sha256 and listed in ``report.pages`` for the next sweep.
        """
        if self.policy.browser and self.renderer is not None:
            rendered = self.renderer.render(url, self.fetcher)
            return rendered.as_fetch_result(), rendered
        before = self.seen(url) if self.seen is not None else None
        if before is not None and before.validators is not None:
            try:
                page = self.fetcher.fetch_page(url, unless=before.validators)
            except NotModifiedError:
                kept = before.read()
                if kept is not None:
                    self.report.pages_unchanged += 1
                    self.report.pages.append(before)
                    return before.as_fetch_result(kept), None
                page = self.fetcher.fetch_page(url)
        else:
            page = self.fetcher.fetch_page(url)
        self.report.pages.append(SeenPage.keep(page, self.media_dir))
        return page, None

    def crawl(self) -> CrawlReport:
        queue: deque[tuple[str, int]] = deque()
        for seed in self.policy.seeds:
            self.enqueue(seed, 0)
        for sitemap in self.robots_sitemaps():
            self.enqueue(sitemap, 1)
        queue.extend(self.pending)
        self.pending.clear()
        attempts = 0
        while queue and attempts < self.max_pages:
            if self.stopping is not None and self.stopping():
                self.report.interrupted = True
                logger.info("crawl: stopped with %d pages left", len(queue))
                break
            url, depth = queue.popleft()
            try:
                if not self.permitted(url):
                    continue
                attempts += 1
                page, rendered = self.load(url)
            except FetchError as exc:
                self.error(url, exc)
                continue
            self.report.pages_fetched += 1
            self.seen_pages.add(page.final_url)
            self.visit(page, depth, rendered)
            queue.extend(self.pending)
            self.pending.clear()
        if queue:
            logger.info("crawl: page limit %d reached, %d left", self.max_pages, len(queue))
        return self.report

    def robots_sitemaps(self) -> list[str]:
        """Sitemaps the seeds' robots.txt files list (read only where robots.txt is obeyed)."""
        if self.robots is None:
            return []
        found: list[str] = []
        for seed in self.policy.seeds:
            try:
                listed = [urljoin(seed, u.strip()) for u in self.robots.sitemaps(seed)]
                found += [u for u in listed if u not in found]
            except FetchError as exc:
                self.error(seed, exc)
        return found

    def enqueue(self, url: str, depth: int) -> None:
        try:
            normal = normalise_url(url)
        except FetchError:
            return
        if normal in self.seen_pages or depth > self.policy.max_depth:
            return
        if not self.scope.contains(normal):
            logger.debug("crawl: %s is outside the allowed domains", normal)
            return
        self.seen_pages.add(normal)
        self.pending.append((normal, depth))

    def visit(self, page: FetchResult, depth: int, rendered: RenderedPage | None = None) -> None:
        if not self.scope.contains(page.final_url):
            self.error(page.url, f"redirected outside the allowed domains to {page.final_url}")
            return
        if looks_like_feed(page.content, page.content_type):
            listed = parse_feed(
                page.final_url, page.content, max_bytes=self.fetcher.settings.max_page_bytes
            )
            if listed is not None:
                self.visit_feed(page, depth, listed)
                return
        if not _is_html(page):
            logger.info("crawl: %s is %s, not a page", page.final_url, page.content_type)
            return
        found = parse_page(page.final_url, page.content)
        if found.view_count is not None:
            self.view_counts[page.final_url] = found.view_count
        for link in found.links + found.iframes:
            if not has_media_extension(link):
                self.enqueue(link, depth + 1)
        text = "text" in self.policy.capture_kinds and found.is_text_page
        refs = found.media + list(rendered.media) if rendered is not None else found.media
        refs = refs + self.extracted_media(page)
        shot = None
        if rendered is not None and rendered.screenshot is not None and (text or refs):
            shot = ContentStore(self.media_dir).put_bytes(rendered.screenshot, ".png").path
        if text:
            self.capture_text(page, found.title, shot)
        if refs:
            page_path = ContentStore(self.media_dir).put_bytes(page.content, ".html").path
            self.capture_all_media(page, found.title, refs, page_path, shot)
        if self.on_page is not None:  # after the page's own captures, which it may build on
            self.on_page(page, found)

    def visit_feed(self, page: FetchResult, depth: int, listed: FeedLinks) -> None:
        """A sitemap or feed: its pages are followed (a sitemap index's sitemaps too) and the
        media it lists (video sitemap entries, enclosures) captured with it as their page."""
        logger.info(
            "crawl: %s is a %s listing %d pages and %d media",
            page.final_url,
            listed.kind,
            len(listed.links),
            len(listed.media),
        )
        for link in listed.links:
            if has_media_extension(link):
                listed.add_media(link, media_kind_of(link), "sitemap")
            else:
                self.enqueue(link, depth + 1)
        if listed.media:
            page_path = ContentStore(self.media_dir).put_bytes(page.content, ".xml").path
            self.capture_all_media(page, listed.title, listed.media, page_path)

    def extracted_media(self, page: FetchResult) -> list[MediaRef]:
        """What a site-specific yt-dlp extractor finds on the page; nothing when none claims it.

        An extractor's failure is this page's error, recorded like any other, and the crawl goes
        on with what our own discovery found.
        """
        if self.extractor is None or self.extractor.claims(page.final_url) is None:
            return []
        try:
            return self.extractor.extract(page.final_url, kinds=self.policy.capture_kinds)
        except FetchError as exc:
            self.error(page.final_url, exc)
            return []

    def capture_text(
        self, page: FetchResult, title: str, screenshot_path: Path | None = None
    ) -> None:
        path = ContentStore(self.media_dir).put_bytes(page.content, ".html").path
        self.emit(
            CapturedItem(
                kind="text",
                page_url=page.final_url,
                media_url=None,
                path=path,
                sha256=page.sha256,
                size=len(page.content),
                content_type=page.content_type,
                page_sha256=page.sha256,
                page_title=title,
                http_status=page.status,
                fetched_at=page.fetched_at,
                final_url=page.final_url,
                redirect_chain=page.redirect_chain,
                resolved_ip=page.resolved_ip,
                response_headers=page.headers,
                page_path=path,
                screenshot_path=screenshot_path,
                view_count=self.view_counts.get(page.final_url),
            )
        )

    def wanted(self, ref: MediaRef) -> bool:
        kinds = self.policy.capture_kinds
        if ref.kind in ("video", "hls"):
            return "video" in kinds
        if ref.kind == "audio":
            return "audio" in kinds
        return bool(kinds & {"video", "audio"})  # dash or unknown: either may be inside

    def capture_media(
        self,
        page: FetchResult,
        title: str,
        ref: MediaRef,
        page_path: Path | None = None,
        screenshot_path: Path | None = None,
    ) -> None:
        """Capture one media reference of a page (see :meth:`capture_all_media`)."""
        self.capture_all_media(page, title, [ref], page_path, screenshot_path)

    def claim_media(self, ref: MediaRef) -> _MediaJob | None:
        """A reference to download, or ``None``: seen before, not wanted, or ruled out.

        Runs in the crawl's thread: it updates the crawl's bookkeeping and asks robots.txt.
        """
        try:
            key = normalise_url(ref.url)
        except FetchError as exc:
            self.error(ref.url, exc)
            return None
        if key in self.seen_media or not self.wanted(ref):
            return None
        self.seen_media.add(key)
        try:
            if not self.permitted(key):
                return None
        except FetchError as exc:
            self.error(ref.url, exc)
            return None
        unless = self.known(key) if self.known is not None and ref.kind != "dash" else None
        return _MediaJob(ref=ref, key=key, unless=unless)

    def fetch_media(self, job: _MediaJob) -> tuple[Download, CaptureKind]:
        """Transfer one claimed reference; runs in a worker thread, so it touches no crawl state."""
        max_bytes = self.fetcher.settings.max_media_bytes
        if job.ref.kind == "hls":
            download = capture_hls(
                self.fetcher, job.key, self.media_dir, max_bytes=max_bytes, unless=job.unless
            )
            return download, "video"
        if job.ref.kind == "dash":
            download, track = capture_dash(
                self.fetcher, job.key, self.media_dir, max_bytes=max_bytes
            )
            return download, "audio" if track == "audio" else "video"
        download = self.fetcher.download(
            job.key, self.media_dir, max_bytes=max_bytes, unless=job.unless
        )
        return download, _media_kind(job.ref, download)

    def capture_all_media(
        self,
        page: FetchResult,
        title: str,
        refs: Sequence[MediaRef],
        page_path: Path | None = None,
        screenshot_path: Path | None = None,
    ) -> None:
        """Download a page's media, up to ``policy.concurrency`` at once, and record each.

        Only the transfers run in worker threads. Their results are taken here, in the crawl's
        thread and in the page's order, so ``on_item`` (which writes to a database) is never
        called concurrently and the captures of a crawl come out in a fixed order.
        """
        jobs = [job for ref in refs if (job := self.claim_media(ref)) is not None]
        workers = min(self.policy.concurrency, len(jobs))
        if workers <= 1:
            for job in jobs:
                self.settle_media(page, title, job, page_path, screenshot_path, None)
            return
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crawl-media")
        try:
            futures = [pool.submit(self.fetch_media, job) for job in jobs]
            for job, future in zip(jobs, futures, strict=True):
                self.settle_media(page, title, job, page_path, screenshot_path, future.result)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # on_item raised: drop what is queued

    def settle_media(
        self,
        page: FetchResult,
        title: str,
        job: _MediaJob,
        page_path: Path | None,
        screenshot_path: Path | None,
        result: Callable[[], tuple[Download, CaptureKind]] | None,
    ) -> None:
        """Record one transfer (``result`` gives it; ``None``: transfer it here and now)."""
        key = job.key
        try:
            download, kind = result() if result is not None else self.fetch_media(job)
            self.report.media_fetched += 1
        except NotModifiedError:
            self.report.media_unchanged += 1
            logger.info("crawl: %s unchanged since its last capture", key)
            return
        except FetchError as exc:
            self.error(job.ref.url, exc)
            return
        if kind not in self.policy.capture_kinds:
            return
        self.emit(
            CapturedItem(
                kind=kind,
                page_url=page.final_url,
                media_url=key,
                path=download.path,
                sha256=download.sha256,
                size=download.size,
                content_type=download.content_type,
                page_sha256=page.sha256,
                page_title=title,
                http_status=download.status,
                fetched_at=download.fetched_at,
                final_url=download.final_url,
                redirect_chain=download.redirect_chain,
                resolved_ip=download.resolved_ip,
                response_headers=download.headers,
                source_spans=download.source_spans,
                page_path=page_path,
                screenshot_path=screenshot_path,
                view_count=self.view_counts.get(page.final_url),
            )
        )


def crawl_site(
    fetcher: Fetcher,
    policy: CrawlPolicy,
    *,
    media_dir: Path,
    on_item: Callable[[CapturedItem], None] | None = None,
    known: Callable[[str], Validators | None] | None = None,
    stopping: Callable[[], bool] | None = None,
    renderer: BrowserRenderer | None = None,
    seen: Callable[[str], SeenPage | None] | None = None,
    on_page: Callable[[FetchResult, PageLinks], None] | None = None,
) -> CrawlReport:
    """Crawl breadth-first from ``policy.seeds`` and capture what the pages serve.

    At most ``min(policy.max_pages, settings.max_pages_per_site)`` page fetches are attempted,
    none deeper than ``policy.max_depth`` links from a seed. Captured content is stored by
    sha256 under ``media_dir``. ``known`` gives the validators of a media URL's last capture:
    such a file is requested conditionally and, when the server says it is unchanged, neither
    transferred nor captured again. ``seen`` gives a page's copy from the last sweep: the page
    is requested conditionally and, unchanged, its links and content are read from that copy.
    ``on_page`` sees every HTML page visited with what was parsed from it (the sweep reads
    titles, share links, operators and announcements there); its exceptions propagate.
    ``stopping`` is asked before each page: once it says so the crawl ends, marked interrupted.
    Exceptions raised by ``on_item`` are the caller's and propagate.

    With ``policy.browser`` pages are rendered by ``renderer`` (every request still through
    ``fetcher``); without one, a browser is started for this crawl and closed after it. A browser
    that cannot start raises :class:`~jianwang.monitoring.browser.BrowserUnavailableError`.
    """
    return _Crawl(
        fetcher, policy, media_dir, on_item, known, stopping, renderer, seen, on_page
    ).run()
