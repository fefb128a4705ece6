"""New-address announcements: every domain hop a page announces, and nothing else."""

from __future__ import annotations

import time

import pytest

from jianwang.monitoring.announcements import (
    MAX_ANNOUNCEMENTS,
    Announcement,
    find_new_addresses,
)

URL = "http://127.0.0.1:8001/index.html"


def domains(html: str | bytes, url: str = URL) -> list[str]:
    return [a.domain for a in find_new_addresses(html, url)]


NOTICE_PAGE = """<html><head><title>免费影院</title></head><body>
<nav><a href="/">首页</a> <a href="https://ads.example/x">广告</a> <a href="https://other.example/">电影</a></nav>
<div class="notice">本站最新域名：<a href="https://new1.example.com/">new1.example.com</a>，
备用域名 www . backup2 . com 请收藏防走失！</div>
<h3>永久地址发布页：</h3>
<ul><li>fabu点xyz</li><li>mirror[.]example[.]net</li><li>127.0.0.1:8002</li>
<li><a href="http://127.0.0.1:8003/">线路三</a></li></ul>
<p>本站内容来自网络，如有侵权请联系删除</p>
<p>site3.cc</p>
<div>友情链接：<a href="https://friend.example.org/">朋友影院</a></div>
<footer>京ICP备12345678号 <a href="https://beian.miit.gov.cn/">beian.miit.gov.cn</a></footer>
</body></html>"""


def test_a_notice_links_every_announced_domain() -> None:
    found = find_new_addresses(NOTICE_PAGE.encode(), URL)
    assert found[0] == Announcement(
        domain="new1.example.com",
        url="https://new1.example.com/",
        cue="最新域名",
        text="本站最新域名：new1.example.com， 备用域名 www . backup2 . com 请收藏防走失！",
    )
    assert [(a.domain, a.url, a.cue) for a in found] == [
        ("new1.example.com", "https://new1.example.com/", "最新域名"),
        ("www.backup2.com", None, "最新域名"),
        ("fabu.xyz", None, "永久地址"),
        ("mirror.example.net", None, "永久地址"),
        ("127.0.0.1:8002", None, "永久地址"),
        ("127.0.0.1:8003", "http://127.0.0.1:8003/", "永久地址"),
    ]  # not the menu's links, the friend link, site3.cc after the gap, nor the filing registry


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>最新地址：www.newsite.com</p>", ["www.newsite.com"]),
        ("<p>最新网址：WWW.NewSite.COM/index.html</p>", ["www.newsite.com"]),
        ("<p>永久域名 https://fabu.example.cc 请牢记</p>", ["fabu.example.cc"]),
        ("<p>新域名：example．vip</p>", ["example.vip"]),
        ("<p>新域名：example。top</p>", ["example.top"]),
        ("<p>新地址：example[.]xyz</p>", ["example.xyz"]),
        ("<p>新地址：example(.)xyz</p>", ["example.xyz"]),
        ("<p>新地址：example 点 xyz</p>", ["example.xyz"]),
        ("<p>New domain: example dot org</p>", ["example.org"]),
        ("<p>网址已更换为 www . abc123 . tv</p>", ["www.abc123.tv"]),
        ("<p>域名已更换：127.0.0.1:8005</p>", ["127.0.0.1:8005"]),
        ("<p>We have moved to <a href='https://moved.example.org/'>our new home</a>.</p>",
         ["moved.example.org"]),
        ("<p>Permanent address: perm.example.io. Bookmark it.</p>", ["perm.example.io"]),
        ("<p>最新網址：new.example.com 請收藏</p>", ["new.example.com"]),
        ("<p>发布页</p><p><a href='https://a.example.com/'>线路一</a></p>"
         "<p><a href='https://b.example.com/'>线路二</a></p>", ["a.example.com", "b.example.com"]),
        ("<p>备用地址：<br>one.example.com<br>two.example.com<br>three.example.com</p>",
         ["one.example.com", "two.example.com", "three.example.com"]),
        ("<p>记住我们的新地址</p><p>（复制到浏览器打开）</p><p>xin.example.com</p>",
         ["xin.example.com"]),
    ],
)  # fmt: skip
def test_announcement_forms(html: str, expected: list[str]) -> None:
    assert domains(html) == expected


@pytest.mark.parametrize(
    "html",
    [
        "<p>欢迎访问 other.example.com 和 <a href='https://x.example/'>链接</a></p>",
        "<p>最新电影：流浪地球2 已更新</p>",
        "<p>最新域名：127.0.0.1:8001</p>",  # the page's own address
        "<p>最新域名：请用百度搜索 baidu.com 找到我们</p>",
        "<p>请收藏本站</p><p>长篇说明</p><p>更多说明</p><p>还有说明</p><p>late.example.com</p>",
        "<p>最新域名：index.html 和 jquery.min.js</p>",
        "<p>新地址：admin@mail.example.com</p>",
        "<p>The mirror broke. Then we left.</p>",
        "<p>最新域名</p><div>友情链接</div><p>friend.example.com</p>",
        "<p>a mirror.example.com of another site</p>",  # the cue word is the domain's own
    ],
)
def test_no_announcement(html: str) -> None:
    assert domains(html) == []


def test_own_host_is_compared_with_port_and_www() -> None:
    html = "<p>最新域名：www.pirate.net 或 pirate.net:8443 或 127.0.0.1:8001</p>"
    assert domains(html, "https://pirate.net/") == ["pirate.net:8443", "127.0.0.1:8001"]
    assert domains(html, "http://127.0.0.1:8001/") == ["www.pirate.net", "pirate.net:8443"]


def test_a_written_domain_takes_the_link_that_follows() -> None:
    html = "<p>最新域名：hop.example.com</p><p><a href='https://hop.example.com/?from=old'>进入</a></p>"
    (found,) = find_new_addresses(html, URL)
    assert found.url == "https://hop.example.com/?from=old"


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"\xff\xfe\x00" * 1000,
        "<p>最新域名</p>" * 200_000,
        "".join(f"<p>最新域名：site{i}.example.com</p>" for i in range(50_000)),
        "<p>最新域名：" + "a." * 1_000_000 + "</p>",
        "<p>最新域名：" + " . " * 1_000_000 + "</p>",
        "<p>最新域名：" + "点" * 2_000_000 + "</p>",
        "<div>" * 100_000 + "最新域名：deep.example.com" + "</div>" * 100_000,
        "<p>最新域名：</p>" + "<p>x</p>" * 300_000,
    ],
)
def test_hostile_pages_are_bounded(html: str | bytes) -> None:
    started = time.monotonic()
    found = find_new_addresses(html, URL)
    assert time.monotonic() - started < 15
    assert len(found) <= MAX_ANNOUNCEMENTS
