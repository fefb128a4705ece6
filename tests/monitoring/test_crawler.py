"""Crawling sandbox sites end to end: what is captured, what is left alone, what goes wrong."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import av
import numpy as np
import pytest

from jianwang.config import Settings
from jianwang.monitoring.crawler import CapturedItem, CrawlPolicy, crawl_site
from jianwang.monitoring.fetch import Fetcher, OpenResponse, Validators
from jianwang.sandbox.server import Resource, SandboxServer
from jianwang.sandbox.sites import SiteItem, SiteSpec, run_sandbox

CHAPTER = "\n".join(
    f"第{n}段：滚滚长江东逝水，浪花淘尽英雄。是非成败转头空，青山依旧在，几度夕阳红。" * 3
    for n in range(1, 13)
)


def make_clip(path: Path, seed: int, seconds: float = 2.0) -> Path:
    """A tiny H.264 MP4 of moving noise (different for each seed)."""
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        video.options = {"preset": "ultrafast", "g": "25"}
        for index in range(int(seconds * 25)):
            image = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return path


class RecordingFetcher(Fetcher):
    """A fetcher that remembers every URL it was asked to open."""

    requested: list[str]

    def open(self, url: str, **kwargs: object) -> AbstractContextManager[OpenResponse]:  # type: ignore[override]
        self.requested.append(url)
        return super().open(url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    work = tmp_path_factory.mktemp("sites")
    clips = [make_clip(work / f"film{n}.mp4", seed=n) for n in range(3)]
    specs = [
        SiteSpec(
            "tube",
            "video",
            "免费电影网",
            [
                SiteItem(f"电影{n}", "video", path=clip, as_hls=n == 2)
                for n, clip in enumerate(clips)
            ],
        ),
        SiteSpec(
            "novel",
            "literature",
            "笔趣阁",
            [
                SiteItem(f"第{n}章", "text", text=f"{CHAPTER}\n终章{n}", group="三国")
                for n in (1, 2)
            ],
            robots_txt="User-agent: *\nDisallow: /secret/\n",
        ),
    ]
    server = run_sandbox(specs, work / "build")
    server.add_route("novel", "/secret/x.html", Resource(b"<a href='/'>x</a>", "text/html"))
    yield server
    server.stop()


def _fetcher(tmp_path: Path, **overrides: object) -> RecordingFetcher:
    settings = Settings(allow_private_hosts=True, data_dir=tmp_path, **overrides)  # type: ignore[arg-type]
    fetcher = RecordingFetcher(settings, backoff_s=0.0)
    fetcher.requested = []
    return fetcher


def test_video_site_every_item_captured_once(sandbox: SandboxServer, tmp_path: Path) -> None:
    base = sandbox.base_url("tube")
    seen: list[CapturedItem] = []
    policy = CrawlPolicy(
        seeds=[base + "/"], allowed_domains=[base[len("http://") :]], max_pages=50, max_depth=3
    )
    fetcher = _fetcher(tmp_path)
    with fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content", on_item=seen.append)
    assert report.errors == []
    assert seen == report.items
    media_urls = sorted(item.media_url or "" for item in report.items)
    assert media_urls == [base + "/hls/3/index.m3u8", base + "/media/1.mp4", base + "/media/2.mp4"]
    assert {item.kind for item in report.items} == {"video"}
    assert len({item.sha256 for item in report.items}) == 3
    for item in report.items:
        assert item.path.is_file()
        assert hashlib.sha256(item.path.read_bytes()).hexdigest() == item.sha256
        assert item.page_url.startswith(base + "/video/")
        assert item.page_title.startswith("电影")
        assert item.http_status == 200
        assert item.resolved_ip == "127.0.0.1"
    hls = next(item for item in report.items if item.media_url and "hls" in item.media_url)
    assert hls.path.suffix == ".ts"
    # index + 3 item pages, each fetched once; no page or media URL requested twice
    assert report.pages_fetched == 4
    page_requests = [u for u in fetcher.requested if u.endswith((".html", "/"))]
    assert len(page_requests) == len(set(page_requests)) == 4
    # ads on the pages point off-site: never requested
    assert not any("casino" in url for url in fetcher.requested)


def test_a_second_sweep_does_not_transfer_unchanged_files(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Pages, files and HLS playlists are asked for conditionally; unchanged, no body moves:
    pages are read from their stored copies, files and streams are not captured again."""
    base = sandbox.base_url("tube")
    policy = CrawlPolicy(seeds=[base + "/"], allowed_domains=[base[len("http://") :]])
    with _fetcher(tmp_path) as fetcher:
        first = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    known = {
        item.media_url: v
        for item in first.items
        if item.media_url and (v := Validators.of(item.response_headers)) is not None
    }
    assert len(known) == 3  # two files and the HLS stream's media playlist
    seen = {page.url: page for page in first.pages}
    assert len(seen) == first.pages_fetched == 4
    assert all(page.path.is_file() and page.validators is not None for page in seen.values())
    again_fetcher = _fetcher(tmp_path)
    with again_fetcher:
        again = crawl_site(
            again_fetcher,
            policy,
            media_dir=tmp_path / "content",
            known=known.get,
            seen=seen.get,
        )
    assert again.media_unchanged == 3 and again.media_fetched == 0 and again.items == []
    assert again.pages_fetched == again.pages_unchanged == 4  # links read from the copies
    assert not any(url.endswith(".ts") for url in again_fetcher.requested)
    assert first.media_fetched == 3 and first.media_unchanged == 0
    # A changed page is fetched whole again; a lost copy too.
    page = sandbox.sites["tube"].routes["/video/1.html"]
    sandbox.add_route("tube", "/video/1.html", Resource(b"<a href='/'>new</a>", "text/html"))
    next(iter(seen.values())).path.unlink()
    try:
        with _fetcher(tmp_path) as third_fetcher:
            third = crawl_site(
                third_fetcher,
                policy,
                media_dir=tmp_path / "content",
                known=known.get,
                seen=seen.get,
            )
    finally:
        sandbox.add_route("tube", "/video/1.html", page)
    assert third.pages_unchanged == 2 and third.pages_fetched == 4


def test_novel_chapters_captured_as_text(sandbox: SandboxServer, tmp_path: Path) -> None:
    base = sandbox.base_url("novel")
    policy = CrawlPolicy(
        seeds=[base + "/", base + "/secret/x.html"],
        max_pages=20,
        max_depth=3,
        capture_kinds={"text"},
    )
    fetcher = _fetcher(tmp_path)
    with fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    assert report.skipped_robots == [base + "/secret/x.html"]
    assert sorted(item.page_url for item in report.items) == [
        base + "/book/1/1.html",
        base + "/book/1/2.html",
    ]
    for item in report.items:
        assert item.kind == "text"
        assert item.media_url is None
        assert item.path.suffix == ".html"
        assert item.sha256 == item.page_sha256
        html = item.path.read_text(encoding="utf-8")
        assert "滚滚长江东逝水" in html
        assert "请牢记" in html  # the pirate page is kept as served, spam and all
    assert report.pages_fetched == 4  # shelf, table of contents, two chapters


def test_pages_outside_allowed_domains_are_not_fetched(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    tube, novel = sandbox.base_url("tube"), sandbox.base_url("novel")
    sandbox.add_route(
        "tube",
        "/friends.html",
        Resource(f'<a href="{novel}/">友情链接</a><a href="/">home</a>'.encode(), "text/html"),
    )
    policy = CrawlPolicy(
        seeds=[tube + "/friends.html"],
        allowed_domains=[tube[7:]],
        max_pages=2,
        max_depth=5,
        capture_kinds={"text"},
    )
    fetcher = _fetcher(tmp_path)
    with fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    assert report.pages_fetched == 2  # the page limit holds
    assert not any(url.startswith(novel) for url in fetcher.requested)  # same host, other port


def test_errors_are_reported_and_the_crawl_goes_on(sandbox: SandboxServer, tmp_path: Path) -> None:
    tube = sandbox.base_url("tube")
    sandbox.add_route(
        "tube",
        "/broken.html",
        Resource(
            b'<video src="/media/missing.mp4"></video><a href="/gone.html">gone</a>'
            b'<a href="/video/1.html">ok</a>',
            "text/html",
        ),
    )
    policy = CrawlPolicy(seeds=[tube + "/broken.html"], max_pages=10, max_depth=1)
    fetcher = _fetcher(tmp_path)
    with fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    reasons = {error.url: error.reason for error in report.errors}
    assert "404" in reasons[tube + "/media/missing.mp4"]
    assert "404" in reasons[tube + "/gone.html"]
    assert [item.media_url for item in report.items] == [tube + "/media/1.mp4"]


def test_sandbox_is_refused_without_private_hosts(sandbox: SandboxServer, tmp_path: Path) -> None:
    base = sandbox.base_url("tube")
    with Fetcher(Settings(allow_private_hosts=False, data_dir=tmp_path)) as fetcher:
        report = crawl_site(fetcher, CrawlPolicy(seeds=[base + "/"]), media_dir=tmp_path)
    assert report.pages_fetched == 0
    assert report.items == []
    assert "loopback" in report.errors[0].reason
