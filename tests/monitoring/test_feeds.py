"""Sitemaps and feeds: what they list is parsed safely and crawled like the site's own links."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from jianwang.config import Settings
from jianwang.monitoring.crawler import CrawlPolicy, crawl_site
from jianwang.monitoring.discover import parse_page
from jianwang.monitoring.feeds import looks_like_feed, parse_feed
from jianwang.monitoring.fetch import Fetcher
from jianwang.sandbox.server import Resource, SandboxServer, SandboxSite

from media_factory import film, song

BASE = "http://tube.example/"
LIMIT = 1_000_000

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:video="http://www.google.com/schemas/sitemap-video/1.1">
  <url><loc>http://tube.example/watch/1.html</loc></url>
  <url>
    <loc>http://tube.example/watch/2.html</loc>
    <video:video>
      <video:content_loc>http://cdn.example/v/2.mp4</video:content_loc>
      <video:player_loc>http://tube.example/embed/2</video:player_loc>
    </video:video>
  </url>
</urlset>"""

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
  <title>Free Songs Daily</title>
  <item><title>Song</title><link>/track/7.html</link>
    <enclosure url="/dl/7?id=7" type="audio/mpeg" length="1"/></item>
  <item><link>http://tube.example/track/8.html</link>
    <media:content url="http://tube.example/v/8.m3u8"/></item>
</channel></rss>"""

ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Novels</title>
  <entry><link href="/chapter/3.html"/>
    <link rel="enclosure" type="video/mp4" href="/v/3.bin"/></entry>
</feed>"""


def test_sitemaps_and_feeds_list_their_pages_and_media() -> None:
    sitemap = parse_feed(BASE + "sitemap.xml", SITEMAP, max_bytes=LIMIT)
    assert sitemap is not None and sitemap.kind == "sitemap"
    assert sitemap.links == [BASE + "watch/1.html", BASE + "watch/2.html", BASE + "embed/2"]
    assert [(m.url, m.kind) for m in sitemap.media] == [("http://cdn.example/v/2.mp4", "video")]
    rss = parse_feed(BASE + "feed", RSS, max_bytes=LIMIT)
    assert rss is not None and rss.title == "Free Songs Daily"
    assert rss.links == [BASE + "track/7.html", BASE + "track/8.html"]
    assert [(m.url, m.kind) for m in rss.media] == [
        (BASE + "dl/7?id=7", "audio"),  # no extension: the enclosure's type says audio
        (BASE + "v/8.m3u8", "hls"),
    ]
    atom = parse_feed(BASE + "atom", ATOM, max_bytes=LIMIT)
    assert atom is not None and atom.links == [BASE + "chapter/3.html"]
    assert [(m.url, m.kind) for m in atom.media] == [(BASE + "v/3.bin", "video")]
    index = b"<sitemapindex><sitemap><loc>/s1.xml.gz</loc></sitemap></sitemapindex>"
    listed = parse_feed(BASE, gzip.compress(index), max_bytes=LIMIT)
    assert listed is not None and listed.links == [BASE + "s1.xml.gz"]


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>a page</body></html>",
        b"<?xml version='1.0'?><svg/>",
        b"not xml at all <<<",
        b"",
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item>'
        b"<link>&x;</link></item></channel></rss>",
    ],
)
def test_other_bodies_are_not_feeds_and_entities_are_never_resolved(body: bytes) -> None:
    found = parse_feed(BASE, body, max_bytes=LIMIT)
    assert found is None or found.links == []  # the entity is left unresolved


def test_a_gzip_bomb_sitemap_is_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000 and looks_like_feed(bomb, "application/octet-stream")
    assert parse_feed(BASE + "s.xml.gz", bomb, max_bytes=LIMIT) is None


def test_pages_name_their_feeds() -> None:
    html = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head></html>'
    )
    assert parse_page(BASE, html).links == [BASE + "rss"]


def test_the_crawl_reads_robots_sitemaps_and_feeds(tmp_path: Path) -> None:
    """Nothing links to the items: robots.txt names (by a relative URL) a gzipped sitemap index,
    whose sitemap lists
    a page with a video; a feed encloses a song file."""
    clip = film(tmp_path / "clip.mp4", seed=31, seconds=2)
    track = song(tmp_path / "track.m4a", seed=32, seconds=3)
    html = b"<title>Hidden</title><body><video src='/v/1.mp4'></video></body>"
    routes = {
        "/": Resource(b"<html><body>nothing linked here</body></html>", "text/html"),
        "/index.xml.gz": Resource(
            gzip.compress(b"<sitemapindex><sitemap><loc>/s1.xml</loc></sitemap></sitemapindex>"),
            "application/x-gzip",
        ),
        "/s1.xml": Resource(
            b"<urlset><url><loc>/hidden.html</loc></url><url><loc>/feed</loc></url></urlset>",
            "application/xml",
        ),
        "/hidden.html": Resource(html, "text/html"),
        "/feed": Resource(
            b"<rss><channel><title>Pod</title><item><enclosure url='/dl/9' type='audio/mp4'/>"
            b"</item></channel></rss>",
            "application/rss+xml",
        ),
        "/v/1.mp4": Resource(clip, "video/mp4"),
        "/dl/9": Resource(track, "audio/mp4"),
    }
    robots = "User-agent: *\nAllow: /\nSitemap: /index.xml.gz\n"
    with SandboxServer([SandboxSite("tube", routes, robots_txt=robots)]) as server:
        base = server.base_url("tube")
        settings = Settings(allow_private_hosts=True, data_dir=tmp_path)
        policy = CrawlPolicy(seeds=[base + "/"], allowed_domains=[base[len("http://") :]])
        with Fetcher(settings, backoff_s=0.0) as fetcher:
            report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    assert report.errors == []
    captured = {(item.media_url, item.kind, item.page_title) for item in report.items}
    assert captured == {
        (base + "/v/1.mp4", "video", "Hidden"),
        (base + "/dl/9", "audio", "Pod"),
    }
