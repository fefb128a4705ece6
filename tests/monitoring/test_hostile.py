"""Hostile sites against the whole crawl: each trick is refused or cut off with a logged reason,
the crawl goes on, and what was captured before is kept.

The fetcher's own tests cover each limit on one request; these run the crawler over local servers
that mix the tricks with ordinary pages, as a pirate site would.
"""

from __future__ import annotations

import gzip
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jianwang.config import Settings
from jianwang.monitoring.crawler import CapturedItem, CrawlPolicy, crawl_site
from jianwang.monitoring.fetch import Fetcher
from local_http import LocalServer, Reply, Seen

GZIP_BOMB = gzip.compress(bytes(64 * 2**20), compresslevel=9)  # 64 MB of zeros, ~64 KB sent
NESTING = 100_000
PUBLIC_IP = "93.184.216.34"


def _media(seen: Seen, content_type: str = "video/mp4") -> Reply:
    return Reply(
        body=b"\x00\x00\x00\x18ftypmp42" + seen.path.encode() * 50, content_type=content_type
    )


def _drip() -> Iterator[bytes]:
    for _ in range(400):
        yield b"<"
        time.sleep(0.05)


def _hostile(seen: Seen) -> Reply:
    """One site with every trick, and ordinary pages among them."""
    path = seen.path
    pages = {
        "/": "".join(
            f'<a href="{link}">x</a>'
            for link in (
                "/huge.html",
                "/nested.html",
                "/loop1",
                "/slow.html",
                "/bomb.html",
                "/html-as-video",
                "/manifests.html",
                "/good.html",
            )
        ),
        "/good.html": '<title>ok</title><video src="/media/good.mp4"></video>'
        '<video src="/media/served-as-html.mp4"></video>',
        "/manifests.html": '<video src="/bad.m3u8"></video><video src="/bad.mpd"></video>'
        '<video src="/empty.m3u8"></video><video src="/media/after-manifests.mp4"></video>',
    }
    if path == "/robots.txt":
        return Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
    if path in pages:
        return Reply(body=pages[path].encode())
    if path == "/huge.html":
        return Reply(body=b"<p>" + b"x" * 3_000_000)
    if path == "/nested.html":
        body = (
            '<video src="/media/nested.mp4"></video>'
            + "<div>" * NESTING
            + "deep"
            + "</div>" * NESTING
        )
        return Reply(body=body.encode())
    if path in ("/loop1", "/loop2"):
        return Reply(302, b"", {"Location": "/loop2" if path == "/loop1" else "/loop1"})
    if path == "/slow.html":
        return Reply(body=_drip())
    if path == "/bomb.html":
        return Reply(body=GZIP_BOMB, headers={"Content-Encoding": "gzip"})
    if path == "/html-as-video":  # a page that says it is a video: its links are not followed
        return Reply(body=b'<a href="/hidden.html">hidden</a>', content_type="video/mp4")
    if path == "/media/served-as-html.mp4":  # a video that says it is a page: still captured
        return _media(seen, "text/html")
    if path.startswith("/media/"):
        return _media(seen)
    if path == "/bad.m3u8":
        return Reply(body=b"<html>not a playlist</html>", content_type="application/x-mpegurl")
    if path == "/empty.m3u8":
        return Reply(body=b"#EXTM3U\n#EXT-X-ENDLIST\n", content_type="application/x-mpegurl")
    if path == "/bad.mpd":
        return Reply(body=b"<MPD><Period><unclosed", content_type="application/dash+xml")
    return Reply(404, b"no")


@pytest.fixture
def hostile() -> Iterator[LocalServer]:
    with LocalServer(_hostile) as server:
        yield server


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "allow_private_hosts": True,
        "data_dir": tmp_path,
        "crawl_delay_s": 0.0,
        "fetch_timeout_s": 1.0,
        "max_page_bytes": 2_000_000,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_every_trick_is_refused_with_a_reason_and_the_rest_is_captured(
    hostile: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jianwang")
    seen: list[CapturedItem] = []
    policy = CrawlPolicy(seeds=[hostile.base + "/"], max_pages=50, max_depth=2)
    started = time.monotonic()
    with Fetcher(_settings(tmp_path), backoff_s=0.0) as fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content", on_item=seen.append)
    assert time.monotonic() - started < 15
    base = hostile.base
    reasons = {error.url: error.reason for error in report.errors}
    assert "too large" in reasons[base + "/huge.html"]
    assert "too large" in reasons[base + "/bomb.html"]  # counted as inflated, not as sent
    assert "redirect loop" in reasons[base + "/loop1"]
    assert "too slow" in reasons[base + "/slow.html"]
    assert "not an HLS playlist" in reasons[base + "/bad.m3u8"]
    assert "no segments" in reasons[base + "/empty.m3u8"]
    assert "malformed DASH manifest" in reasons[base + "/bad.mpd"]
    assert len(reasons) == 7
    for url in reasons:  # each refusal is in the log, naming the URL
        assert any(url in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert f"{base}/html-as-video is video/mp4, not a page" in caplog.text
    assert hostile.hits("/hidden.html") == 0
    # What the ordinary pages serve is captured, including the media before the deep nesting
    # and the file a server mislabelled as a page; nothing captured was dropped by a later error.
    captured = {item.media_url: item for item in report.items}
    assert set(captured) == {
        base + "/media/nested.mp4",
        base + "/media/good.mp4",
        base + "/media/served-as-html.mp4",
        base + "/media/after-manifests.mp4",
    }
    assert captured[base + "/media/served-as-html.mp4"].content_type == "text/html"
    assert seen == report.items and all(item.path.is_file() for item in seen)


def test_deeply_nested_html_is_parsed_in_bounded_time(hostile: LocalServer, tmp_path: Path) -> None:
    policy = CrawlPolicy(seeds=[hostile.base + "/nested.html"], max_pages=1)
    started = time.monotonic()
    with Fetcher(_settings(tmp_path)) as fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    assert time.monotonic() - started < 5  # no recursion through 100 000 levels
    assert report.errors == []
    assert [item.media_url for item in report.items] == [hostile.base + "/media/nested.mp4"]


def test_infinite_pagination_stops_at_the_page_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Page N links to page N+1 forever; page 1 has a video."""

    def pages(seen: Seen) -> Reply:
        if seen.path.startswith("/page/"):
            n = int(seen.path.removeprefix("/page/"))
            video = '<video src="/media/1.mp4"></video>' if n == 1 else ""
            return Reply(body=f'{video}<a href="/page/{n + 1}">next</a>'.encode())
        if seen.path.startswith("/media/"):
            return _media(seen)
        return Reply(404, b"no")

    caplog.set_level(logging.INFO, logger="jianwang")
    with LocalServer(pages) as server:
        policy = CrawlPolicy(seeds=[server.base + "/page/1"], max_pages=25, max_depth=1_000_000)
        with Fetcher(_settings(tmp_path)) as fetcher:
            report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
        page_hits = [path for path in server.paths() if path.startswith("/page/")]
    assert report.pages_fetched == 25 and len(page_hits) == 25
    assert "page limit 25 reached" in caplog.text
    assert [item.media_url for item in report.items] == [server.base + "/media/1.mp4"]


class _ToLocal(httpx.BaseTransport):
    """Delivers connections to the public test address to the local server instead.

    The guard sees a public host (so it is on, as in production) while the bytes still come from
    a real local server; the refusals below happen before any connection is made.
    """

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_IP:
            request.url = request.url.copy_with(host="127.0.0.1")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def test_playlists_and_links_pointing_inside_are_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jianwang")

    def pirate(seen: Seen) -> Reply:
        port = seen.port
        if seen.path == "/robots.txt":
            return Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
        if seen.path == "/":
            return Reply(
                body=b'<video src="/metadata.m3u8"></video><video src="/master.m3u8"></video>'
                b'<video src="http://10.0.0.5/x.mp4"></video><video src="/film.mp4"></video>'
                b'<a href="/to-inside">more</a>'
            )
        if seen.path == "/metadata.m3u8":
            return Reply(
                body=b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n"
                b"http://169.254.169.254/latest/meta-data/seg0.ts\n#EXT-X-ENDLIST\n",
                content_type="application/vnd.apple.mpegurl",
            )
        if seen.path == "/master.m3u8":
            variant = f"http://127.0.0.1:{port}/secret.m3u8"
            return Reply(
                body=f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\n{variant}\n".encode(),
                content_type="application/vnd.apple.mpegurl",
            )
        if seen.path == "/to-inside":
            return Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        if seen.path == "/film.mp4":
            return _media(seen)
        return Reply(404, b"no")

    with LocalServer(pirate) as server:
        base = f"http://pirate.example:{server.port}"
        settings = _settings(tmp_path, allow_private_hosts=False)
        with (
            httpx.Client(transport=_ToLocal(), trust_env=False) as client,
            Fetcher(settings, client=client, resolver=lambda host, port: [PUBLIC_IP]) as fetcher,
        ):
            report = crawl_site(
                fetcher, CrawlPolicy(seeds=[base + "/"]), media_dir=tmp_path / "content"
            )
        asked = server.paths()
    reasons = {error.url: error.reason for error in report.errors}
    assert "cloud metadata" in reasons[base + "/metadata.m3u8"]
    assert "loopback" in reasons[base + "/master.m3u8"]
    assert "private" in reasons["http://10.0.0.5/x.mp4"]
    assert "cloud metadata" in reasons[base + "/to-inside"]
    assert "/secret.m3u8" not in asked  # refused before it was requested
    assert [item.media_url for item in report.items] == [base + "/film.mp4"]
    assert report.items[0].resolved_ip == PUBLIC_IP
    for url in reasons:
        assert url in caplog.text
