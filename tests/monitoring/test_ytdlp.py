"""yt-dlp's site-specific extractors in the crawl, with a sandbox extractor on a local server."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin

import pytest
from yt_dlp.extractor.common import InfoExtractor

from jianwang.config import Settings
from jianwang.errors import FetchError, UnsafeURLError
from jianwang.monitoring.crawler import CrawlPolicy, crawl_site
from jianwang.monitoring.fetch import Fetcher
from jianwang.monitoring.ytdlp import MediaExtractor, choose_format
from local_http import LocalServer, Reply, Seen

UA = "JianwangTest/1"


class SandboxWatchIE(InfoExtractor):
    """Pages ``/watch/<id>`` whose player is fed by ``/api/<id>.json``, as many real sites do."""

    _VALID_URL = r"http://(?:127\.0\.0\.1:\d+|watch\.example)/watch/(?P<id>[0-9a-z]+)$"
    API: ClassVar[str | None] = None  # where the API lives when not on the page's own origin

    def _real_extract(self, url: str) -> dict[str, Any]:
        video_id = self._match_id(url)
        api = urljoin(self.API or url, f"/api/{video_id}.json")
        data = self._download_json(api, video_id)
        formats = [
            {
                "format_id": f["id"],
                "url": urljoin(url, f["url"]),
                "height": f.get("height"),
                "vcodec": f.get("vcodec"),
                "acodec": f.get("acodec"),
                "tbr": f.get("tbr"),
                **({"protocol": "m3u8_native", "ext": "mp4"} if f["url"].endswith(".m3u8") else {}),
            }
            for f in data["formats"]
        ]
        return {"id": video_id, "title": data["title"], "formats": formats}


FORMATS = [
    {"id": "hd", "url": "/media/high.mp4", "height": 720, "vcodec": "avc1", "acodec": "mp4a"},
    {"id": "sd", "url": "/media/low.mp4", "height": 144, "vcodec": "avc1", "acodec": "mp4a"},
    {"id": "hls", "url": "/hls/master.m3u8", "height": 144},
    {"id": "v", "url": "/media/video-only.mp4", "height": 90, "vcodec": "avc1", "acodec": "none"},
    {"id": "a", "url": "/media/audio.m4a", "vcodec": "none", "acodec": "mp4a", "tbr": 64},
]


def _answer(seen: Seen) -> Reply:
    if seen.path == "/robots.txt":
        return Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
    if seen.path == "/":
        links = ["/watch/abc", "/watch/broken", "/video/1.html"]
        return Reply(body="".join(f'<a href="{link}">x</a>' for link in links).encode())
    if seen.path.startswith("/watch/"):
        return Reply(body=b"<title>watch</title><div id='player'></div>")
    if seen.path == "/video/1.html":
        return Reply(body=b'<title>plain</title><video src="/media/plain.mp4"></video>')
    if seen.path == "/api/abc.json":
        body = json.dumps({"title": "Film", "formats": FORMATS}).encode()
        return Reply(body=body, content_type="application/json")
    if seen.path == "/api/broken.json":
        return Reply(body=b"{not json", content_type="application/json")
    if seen.path == "/api/slow.json":
        time.sleep(3.0)
        return Reply(body=b"{}", content_type="application/json")
    if seen.path.startswith("/media/"):
        return Reply(body=b"media:" + seen.path.encode() * 100, content_type="video/mp4")
    return Reply(404, b"no")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(_answer) as local:
        yield local


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        allow_private_hosts=True,
        data_dir=tmp_path,
        crawl_delay_s=0.0,
        user_agent=UA,
        **overrides,  # type: ignore[arg-type]
    )


def test_an_extractor_s_small_format_is_captured_and_the_crawl_goes_on(
    server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jianwang")
    policy = CrawlPolicy(seeds=[server.base + "/"], extractors=(SandboxWatchIE,))
    with Fetcher(_settings(tmp_path)) as fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    captured = {item.page_url: item.media_url for item in report.items}
    assert captured == {
        server.base + "/watch/abc": server.base + "/media/low.mp4",  # smallest with sound
        server.base + "/video/1.html": server.base + "/media/plain.mp4",  # our own discovery
    }
    assert server.hits("/media/high.mp4") == 0
    api = next(seen for seen in server.requests if seen.path == "/api/abc.json")
    assert api.headers["user-agent"] == UA
    # The extractor's error is the page's error, logged; the other pages were still captured.
    [error] = report.errors
    assert error.url == server.base + "/watch/broken"
    assert "yt-dlp (SandboxWatch) could not extract" in error.reason
    assert "watch/broken" in caplog.text
    # Ordinary pages are fetched once, by us: the generic extractor never re-fetches them.
    assert server.hits("/video/1.html") == 1 and server.hits("/") == 1
    assert server.hits("/watch/abc") == 1


def test_the_generic_extractor_never_claims_a_page(server: LocalServer, tmp_path: Path) -> None:
    with Fetcher(_settings(tmp_path)) as fetcher:
        extractor = MediaExtractor(fetcher.settings, guard=fetcher.check)
        for path in ("/", "/video/1.html", "/watch/abc", "/media/plain.mp4"):
            assert extractor.claims(server.base + path) is None
            assert extractor.extract(server.base + path, kinds={"video"}) == []
    assert server.requests == []
    with_sandbox = MediaExtractor(
        _settings(tmp_path), guard=lambda url: None, extra=[SandboxWatchIE]
    )
    assert with_sandbox.claims(server.base + "/watch/abc") == "SandboxWatch"


def test_a_forbidden_page_host_is_refused_before_yt_dlp_runs(
    server: LocalServer, tmp_path: Path
) -> None:
    settings = Settings(allow_private_hosts=False, data_dir=tmp_path)
    with Fetcher(settings) as fetcher:
        extractor = MediaExtractor(settings, guard=fetcher.check, extra=[SandboxWatchIE])
        with pytest.raises(UnsafeURLError, match="loopback"):
            extractor.extract(server.base + "/watch/abc", kinds={"video"})
    assert server.requests == []


def test_an_extractor_s_own_requests_are_guarded(server: LocalServer, tmp_path: Path) -> None:
    """A public watch page whose API call points inside: refused before it is sent."""

    class InsideIE(SandboxWatchIE):
        API = server.base

    settings = Settings(allow_private_hosts=False, data_dir=tmp_path)
    with Fetcher(settings, resolver=lambda host, port: ["93.184.216.34"]) as fetcher:
        extractor = MediaExtractor(settings, guard=fetcher.check, extra=[InsideIE])
        with pytest.raises(UnsafeURLError, match=r"loopback"):
            extractor.extract("http://watch.example/watch/abc", kinds={"video"})
    assert server.requests == []


def test_extraction_time_is_bounded(server: LocalServer, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    extractor = MediaExtractor(
        settings, guard=lambda url: None, extra=[SandboxWatchIE], time_limit_s=0.3
    )
    started = time.monotonic()
    with pytest.raises(FetchError, match="too slow") as caught:
        extractor.extract(server.base + "/watch/slow", kinds={"video"})
    assert time.monotonic() - started < 2.0  # cut off long before the API answers
    assert "/watch/slow" in str(caught.value)


def _fmt(**fields: Any) -> dict[str, Any]:
    return {"protocol": "https", **fields}


def test_choose_format() -> None:
    combined = [
        _fmt(url="https://c/720.mp4", height=720, vcodec="avc1", acodec="mp4a"),
        _fmt(url="https://c/240.mp4", height=240, vcodec="avc1", acodec="mp4a"),
        _fmt(url="https://c/a.m4a", vcodec="none", acodec="mp4a", abr=48),
    ]
    assert choose_format(combined, {"video", "audio"}).url == "https://c/240.mp4"  # type: ignore[union-attr]
    music = choose_format(combined, {"audio"})
    assert music is not None and (music.url, music.kind) == ("https://c/a.m4a", "audio")
    split = [
        _fmt(url="https://c/v.mp4", height=144, vcodec="avc1", acodec="none"),
        _fmt(url="https://c/720.m3u8", protocol="m3u8_native", height=720),
        _fmt(url="https://c/360.m3u8", protocol="m3u8_native", height=360),
        _fmt(url="https://c/seg", protocol="http_dash_segments", manifest_url="https://c/m.mpd"),
    ]
    chosen = choose_format(split, {"video"})
    assert chosen is not None and (chosen.url, chosen.kind) == ("https://c/360.m3u8", "hls")
    dash = choose_format(split[3:], {"video"})
    assert dash is not None and (dash.url, dash.kind) == ("https://c/m.mpd", "dash")
    unusable = [
        _fmt(url="rtmp://c/live", protocol="rtmp"),
        _fmt(url="https://c/drm.mp4", has_drm=True, vcodec="avc1", acodec="mp4a"),
        _fmt(url="https://c/sb", protocol="mhtml"),
    ]
    assert choose_format(unusable, {"video", "audio"}) is None
