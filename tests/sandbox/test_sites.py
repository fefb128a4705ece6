"""Sandbox site layouts: the pages a crawler meets, built deterministically."""

from __future__ import annotations

from pathlib import Path

import pytest

from jianwang.sandbox.server import Resource, Routes
from jianwang.sandbox.sites import SiteItem, SiteSpec, build_site


def _html(routes: Routes, path: str) -> str:
    route = routes[path]
    assert isinstance(route, Resource)
    assert route.content_type == "text/html; charset=utf-8"
    assert isinstance(route.content, bytes)
    return route.content.decode("utf-8")


@pytest.fixture
def media(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00" * 64)  # served as is; never decoded in these tests
    return path


def test_video_site_paginates_and_embeds(media: Path, tmp_path: Path) -> None:
    spec = SiteSpec(
        "tube", "video", "免费影院", [SiteItem(f"片{n}", "video", path=media) for n in range(10)]
    )
    routes = build_site(spec, tmp_path)
    first, second = _html(routes, "/"), _html(routes, "/list/2.html")
    assert '<meta charset="utf-8">' in first
    assert first.count('class="card"') == 8
    assert second.count('class="card"') == 2
    assert 'href="/list/2.html"' in first
    page = _html(routes, "/video/3.html")
    assert '<source src="/media/3.mp4" type="video/mp4">' in page
    assert "评论" in page
    assert "猜你喜欢" in page
    assert "casino" in page  # ads
    served = routes["/media/3.mp4"]
    assert isinstance(served, Resource)
    assert served.content == media


def test_music_site_has_albums_and_audio_tracks(tmp_path: Path) -> None:
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3")
    items = [SiteItem(f"歌{n}", "audio", path=song, group=f"专辑{n % 2}") for n in range(4)]
    routes = build_site(SiteSpec("tunes", "music", "无损音乐", items), tmp_path)
    assert 'href="/album/1.html"' in _html(routes, "/")
    assert 'href="/track/1.html"' in _html(routes, "/album/1.html")
    assert '<source src="/music/2.mp3" type="audio/mpeg">' in _html(routes, "/track/2.html")


def test_novel_chapters_sit_among_navigation_and_spam(tmp_path: Path) -> None:
    text = "\n".join(f"第{n}段正文。" for n in range(10))
    items = [SiteItem(f"第{n}章", "text", text=text) for n in (1, 2, 3)]
    routes = build_site(SiteSpec("novel", "literature", "笔趣阁", items), tmp_path)
    assert 'href="/book/1/"' in _html(routes, "/")
    toc = _html(routes, "/book/1/")
    assert all(f'href="/book/1/{n}.html"' in toc for n in (1, 2, 3))
    middle = _html(routes, "/book/1/2.html")
    assert 'href="/book/1/1.html">上一章' in middle
    assert 'href="/book/1/3.html">下一章' in middle
    assert '<div id="content">' in middle
    assert middle.count("本站域名 www.novel.com 请牢记") == 2  # after paragraphs 4 and 8
    assert "第9段正文。" in middle


def test_platform_pages_are_clean(media: Path, tmp_path: Path) -> None:
    items = [SiteItem("正版片", "video", path=media), SiteItem("正版书", "text", text="正文")]
    routes = build_site(SiteSpec("licensed", "platform", "正版平台", items), tmp_path)
    watch = _html(routes, "/watch/1.html")
    assert "<video" in watch
    assert "casino" not in watch
    assert "请牢记" not in _html(routes, "/watch/2.html")


def test_builds_are_deterministic(media: Path, tmp_path: Path) -> None:
    spec = SiteSpec("tube", "video", "影院", [SiteItem("a", "video", path=media)])
    first, second = build_site(spec, tmp_path), build_site(spec, tmp_path)
    assert first.keys() == second.keys()
    for path, route in first.items():
        other = second[path]
        assert isinstance(route, Resource) and isinstance(other, Resource)
        assert route.content == other.content


def test_text_item_without_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither text nor path"):
        build_site(SiteSpec("n", "literature", "t", [SiteItem("c", "text")]), tmp_path)
