"""Capturing one URL on request (``jianwang identify URL``): a page, or a media file or stream.

A page yields its text (when it is a text page) and every medium it embeds; a direct media URL or
an HLS playlist yields the medium itself. Every request goes through the same guarded fetcher as
the crawler, so an identify request can no more reach a forbidden address than a sweep can.
"""

from __future__ import annotations

import logging
from pathlib import Path

from jianwang.config import Settings
from jianwang.errors import FetchError
from jianwang.monitoring.crawler import CapturedItem, CaptureKind, CrawlPolicy, crawl_site
from jianwang.monitoring.discover import has_media_extension, media_kind_of
from jianwang.monitoring.fetch import Download, Fetcher
from jianwang.monitoring.hls import capture_hls

log = logging.getLogger(__name__)


def _media_item(url: str, download: Download, kind: CaptureKind) -> CapturedItem:
    return CapturedItem(
        kind=kind,
        page_url=url,
        media_url=url,
        path=download.path,
        sha256=download.sha256,
        size=download.size,
        content_type=download.content_type,
        page_sha256="",
        page_title="",
        http_status=download.status,
        fetched_at=download.fetched_at,
        final_url=download.final_url,
        redirect_chain=download.redirect_chain,
        resolved_ip=download.resolved_ip,
        response_headers=download.headers,
    )


def _capture_media(fetcher: Fetcher, url: str, dest_dir: Path) -> CapturedItem:
    max_bytes = fetcher.settings.max_media_bytes
    kind = media_kind_of(url)
    if kind == "hls":
        return _media_item(url, capture_hls(fetcher, url, dest_dir, max_bytes=max_bytes), "video")
    download = fetcher.download(url, dest_dir, max_bytes=max_bytes)
    mime = download.content_type.split(";", 1)[0].strip().lower()
    audio = kind == "audio" or mime.startswith("audio/")
    return _media_item(url, download, "audio" if audio else "video")


def capture_url(url: str, *, settings: Settings, dest_dir: Path) -> list[CapturedItem]:
    """Everything identifiable at ``url``; a URL that yields nothing raises ``FetchError``."""
    with Fetcher(settings) as fetcher:
        if has_media_extension(url):
            return [_capture_media(fetcher, url, dest_dir)]
        policy = CrawlPolicy(seeds=[url], max_pages=1, max_depth=0, respect_robots=False)
        report = crawl_site(fetcher, policy, media_dir=dest_dir)
        if report.items:
            for error in report.errors:
                log.warning("%s: %s", error.url, error.reason)
            return report.items
        if report.errors:
            first = report.errors[0]
            raise FetchError(f"{first.url}: {first.reason}")
        if report.pages_fetched:
            # Not an HTML page and not a known media extension: try it as media.
            return [_capture_media(fetcher, url, dest_dir)]
    raise FetchError(f"{url}: nothing to identify there")
