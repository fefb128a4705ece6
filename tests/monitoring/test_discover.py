"""Page discovery on realistic, malformed and hostile HTML."""

from __future__ import annotations

from jianwang.monitoring.discover import MediaRef, parse_page

PAGE = """<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>  第1集 在线观看 - 免费影院 </title>
<meta property="og:video" content="https://cdn.example.net/v/1.m3u8">
<meta property="og:audio" content="/stream/theme">
</head><body>
<a href="/">首页</a>
<a href="list/2.html#top">下一页</a>
<a href="https://other.example/page">外链</a>
<a href="javascript:void(0)">js</a>
<a href="mailto:admin@example.com">mail</a>
<a href="#comments">评论</a>
<a href="/">首页 again</a>
<a href="/download/ep1.MP4">下载</a>
<a href="/ost/track.flac?sig=1">原声</a>
<video controls poster="/p.jpg"><source src="/media/1.mp4" type="video/mp4"></video>
<video src="//cdn.example.net/raw/2"></video>
<audio src="/music/3.mp3"></audio>
<audio controls><source src="/m/4" type="audio/ogg"></audio>
<video><source src="/hls/5/index.m3u8" type="application/x-mpegURL"></video>
<video><source src="/dash/6/manifest" type="application/dash+xml"></video>
<iframe src="/embed/player?id=7"></iframe>
<iframe src="javascript:alert(1)"></iframe>
</body></html>"""

BASE = "http://127.0.0.1:8001/video/1.html"


def test_links_are_absolute_unique_and_without_fragments() -> None:
    found = parse_page(BASE, PAGE)
    assert found.links == [
        "http://127.0.0.1:8001/",
        "http://127.0.0.1:8001/video/list/2.html",
        "https://other.example/page",
    ]
    assert found.title == "第1集 在线观看 - 免费影院"
    assert found.iframes == ["http://127.0.0.1:8001/embed/player?id=7"]


def test_media_from_tags_links_and_open_graph() -> None:
    found = parse_page(BASE, PAGE.encode("utf-8"))
    assert found.media == [
        MediaRef("https://cdn.example.net/v/1.m3u8", "hls", "meta"),
        MediaRef("http://127.0.0.1:8001/stream/theme", "audio", "meta"),
        MediaRef("http://127.0.0.1:8001/download/ep1.MP4", "video", "a"),
        MediaRef("http://127.0.0.1:8001/ost/track.flac?sig=1", "audio", "a"),
        MediaRef("http://127.0.0.1:8001/media/1.mp4", "video", "source"),
        MediaRef("http://cdn.example.net/raw/2", "video", "video"),
        MediaRef("http://127.0.0.1:8001/music/3.mp3", "audio", "audio"),
        MediaRef("http://127.0.0.1:8001/m/4", "audio", "source"),
        MediaRef("http://127.0.0.1:8001/hls/5/index.m3u8", "hls", "source"),
        MediaRef("http://127.0.0.1:8001/dash/6/manifest", "dash", "source"),
    ]


def test_base_href_is_respected() -> None:
    html = '<head><base href="https://cdn.example.org/sub/"></head><a href="x.html">x</a>'
    assert parse_page("http://site.example/", html).links == ["https://cdn.example.org/sub/x.html"]


def test_text_page_needs_real_paragraph_text() -> None:
    chapter = "<div id='content'>" + "<p>" + "天下大势，分久必合。" * 60 + "</p>" + "</div>"
    menu = (
        "<ul>"
        + "".join(f"<li><a href='/c{i}'>{'章节名' * 5}</a></li>" for i in range(200))
        + "</ul>"
    )
    assert parse_page(BASE, chapter).is_text_page
    listing = parse_page(BASE, menu)
    assert not listing.is_text_page  # link text in a long table of contents is not prose
    assert len(listing.links) == 200


def test_charset_from_meta_is_used_for_bytes() -> None:
    html = '<meta charset="gbk"><title>免费阅读</title><p>第一章</p>'.encode("gbk")
    assert parse_page(BASE, html).title == "免费阅读"


def test_malformed_html_yields_what_it_can() -> None:
    broken = '<html><body><a href="/one">one<div><p><a href=/two>two</b></i><video src="/v.mp4"'
    found = parse_page(BASE, broken)
    assert "http://127.0.0.1:8001/one" in found.links
    assert "http://127.0.0.1:8001/two" in found.links


def test_hostile_inputs_never_raise() -> None:
    deep = '<a href="/before">b</a>' + "<div>" * 50_000 + "x" + "</div>" * 50_000
    assert "http://127.0.0.1:8001/before" in parse_page(BASE, deep).links
    junk_inputs: list[str | bytes] = [
        "",
        "   ",
        b"\x00\xff\xfe\x00",
        b"<?xml version='1.0' encoding='utf-8'?><a/>",
        "<a href='http://[::1'>bad ipv6</a>",
        "<a href='http://x:99999/'>bad port</a>",
        "<<<<>>>>" * 1000,
        "<title>" * 10_000,
    ]
    for junk in junk_inputs:
        found = parse_page(BASE, junk)
        assert isinstance(found.links, list)
    assert parse_page(BASE, "<a href='http://x:99999/'>bad port</a>").links == []


def test_a_tag_with_a_flood_of_attributes_is_parsed_quickly() -> None:
    """libxml2 checks attributes for repeats in quadratic time: such a tag loses them first."""
    attributes = " ".join(f"a{n}=1" for n in range(200_000))
    page = f"<html><body><div {attributes}>x</div><a href='/next'>next</a></body></html>"
    found = parse_page("http://site.example/", page.encode())
    assert found.links == ["http://site.example/next"]
