"""Share links with their codes, magnet links and torrent links, as link sites write them."""

from __future__ import annotations

import time

import pytest

from jianwang.monitoring.links import (
    MAX_LINKS,
    Magnet,
    ShareLink,
    find_downloads,
    find_magnets,
    find_share_links,
    find_torrent_urls,
    parse_magnet,
)

POST = """【资源名称】流浪地球2 4K
【百度网盘】链接：https://pan.baidu.com/s/1AbCdEfGhIjKl 提取码：x7k9 复制这段内容后打开App
【夸克网盘】pan.quark.cn/s/8f3e2a1b9c0d
【阿里云盘】https://www.aliyundrive.com/s/AbCdEfGh123 提取码: 8a8b
链接: https://pan.baidu.com/s/1ZzZzZzZ?pwd=q1w2 解压密码：www.pirate.example
115：https://115.com/s/sw3abcdef?password=k8k8#
蓝奏云：https://wwa.lanzouw.com/iAbCd1234xyz 密码:3fa2
天翼云盘：https://cloud.189.cn/t/AbCdEfGh（访问码：ab12）
123云盘：123pan.com/s/abc-def1 提取码:1234
迅雷云盘：pan.xunlei.com/s/VNabcdefgh?pwd=abcd#
微云：share.weiyun.com/5AbCdEf
MEGA：https://mega.nz/file/AbCdEfGh#KeyKeyKeyKey_123
GD：https://drive.google.com/file/d/1AbCdEfGhIjKlMnOp/view?usp=sharing
OneDrive：https://1drv.ms/u/s!AbCdEfGhIjK
旧链接：https://pan.baidu.com/s/1NoCodeHere
解压密码: zzzz
"""


def test_every_provider_in_a_forum_post_with_its_code() -> None:
    assert find_share_links(POST, []) == [
        ShareLink("baidu", "https://pan.baidu.com/s/1AbCdEfGhIjKl", "x7k9"),
        ShareLink("quark", "https://pan.quark.cn/s/8f3e2a1b9c0d", None),
        ShareLink("aliyun", "https://www.aliyundrive.com/s/AbCdEfGh123", "8a8b"),
        ShareLink("baidu", "https://pan.baidu.com/s/1ZzZzZzZ?pwd=q1w2", "q1w2"),
        ShareLink("115", "https://115.com/s/sw3abcdef?password=k8k8", "k8k8"),
        ShareLink("lanzou", "https://wwa.lanzouw.com/iAbCd1234xyz", "3fa2"),
        ShareLink("tianyi", "https://cloud.189.cn/t/AbCdEfGh", "ab12"),
        ShareLink("123pan", "https://123pan.com/s/abc-def1", "1234"),
        ShareLink("xunlei", "https://pan.xunlei.com/s/VNabcdefgh?pwd=abcd", "abcd"),
        ShareLink("weiyun", "https://share.weiyun.com/5AbCdEf", None),
        ShareLink("mega", "https://mega.nz/file/AbCdEfGh#KeyKeyKeyKey_123", None),
        ShareLink(
            "google_drive", "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOp/view?usp=sharing"
        ),
        ShareLink("onedrive", "https://1drv.ms/u/s!AbCdEfGhIjK", None),
        ShareLink(
            "baidu", "https://pan.baidu.com/s/1NoCodeHere", None
        ),  # 解压密码 is no share code
    ]


BAIDU = "https://pan.baidu.com/s/1abcdefg"


@pytest.mark.parametrize(
    ("text", "url", "code"),
    [
        ("链接：pan.baidu.com/s/1abcdefg 提取码:abcd", BAIDU, "abcd"),
        ("链接：pan.baidu.com/s/1abcdefg\n提取码：AB12", BAIDU, "AB12"),
        ("ｐａｎ．ｂａｉｄｕ．ｃｏｍ／ｓ／１ａｂｃｄｅｆｇ　提取码：ａｂｃｄ", BAIDU, "abcd"),
        ("pan.baidu\u200b.com/s/1abcdefg 提\u200b取码: wxyz", BAIDU, "wxyz"),
        ("pan。baidu。com/s/1abcdefg 提取码 是 ab3d", BAIDU, "ab3d"),
        ("http://yun.baidu.com/s/1abcdefg 密码: 9z9z", "http://yun.baidu.com/s/1abcdefg", "9z9z"),
        (
            "https://pan.baidu.com/share/init?surl=AbCdEf 提取码 ab3d",
            "https://pan.baidu.com/share/init?surl=AbCdEf",
            "ab3d",
        ),
        ("www.alipan.com/s/AbCdEfGh123 code: 7x7x", "https://www.alipan.com/s/AbCdEfGh123", "7x7x"),
        ("https://115cdn.com/s/swabc123 访问码：qq11", "https://115cdn.com/s/swabc123", "qq11"),
        ("https://lanzoux.com/b0abcdefg 密码：abcd", "https://lanzoux.com/b0abcdefg", "abcd"),
        ("https://ilanzou.com/s/AbCdEf", "https://ilanzou.com/s/AbCdEf", None),
        ("123pan.cn/s/abcd-efgh.html 提取码：0000", "https://123pan.cn/s/abcd-efgh.html", "0000"),
        (
            "https://drive.google.com/drive/folders/1AbCdEfGhIjKlMn",
            "https://drive.google.com/drive/folders/1AbCdEfGhIjKlMn",
            None,
        ),
        (
            "https://mega.nz/folder/AbCdEfGh#Key_Key-Key",
            "https://mega.nz/folder/AbCdEfGh#Key_Key-Key",
            None,
        ),
        ("https://mega.nz/#F!AbCdEfGh!Key", "https://mega.nz/#F!AbCdEfGh!Key", None),
        ("网盘：https://pan.quark.cn/s/abcdef12。", "https://pan.quark.cn/s/abcdef12", None),
        ("pan.baidu.com/s/1abcdefg 提取码:ab 不是", BAIDU, None),  # too short to be a code
        ("pan.baidu.com/s/1abcdefg  QR code scan", BAIDU, None),
        ("pan.baidu.com/s/1abcdefg 压缩包密码: abcd", BAIDU, None),
        ("pan.baidu.com/s/1abcdefg unzip password: abcd", BAIDU, None),
    ],
)
def test_share_link_forms(text: str, url: str, code: str | None) -> None:
    assert [(link.url, link.code) for link in find_share_links(text)] == [(url, code)]


def test_a_code_belongs_to_the_link_it_follows() -> None:
    text = (
        "第一集 https://pan.baidu.com/s/1first111 第二集 https://pan.baidu.com/s/1second22 "
        "提取码：bbbb"
    )
    assert [link.code for link in find_share_links(text)] == [None, "bbbb"]
    far = "https://pan.baidu.com/s/1abcdefg " + "很长的说明文字" * 20 + " 提取码：abcd"
    assert find_share_links(far)[0].code is None  # too far away to be its code


def test_links_given_as_hrefs() -> None:
    text = "百度网盘下载 提取码：abcd"
    hrefs = ["https://pan.baidu.com/s/1hrefonly", "https://example.com/page", "javascript:;"]
    assert find_share_links(text, hrefs) == [
        ShareLink("baidu", "https://pan.baidu.com/s/1hrefonly", "abcd")
    ]
    both = "https://pan.baidu.com/s/1intext1 提取码：aaaa"
    found = find_share_links(both, ["https://pan.baidu.com/s/1intext1"])
    assert found == [ShareLink("baidu", "https://pan.baidu.com/s/1intext1", "aaaa")]
    ambiguous = find_share_links(
        "提取码：aaaa 提取码：bbbb 提取码：cccc",
        ["https://pan.baidu.com/s/1hrefone", "https://pan.quark.cn/s/hreftwo"],
    )
    assert [link.code for link in ambiguous] == [None, None]  # 3 codes for 2 links: no guess


def test_not_share_links() -> None:
    text = (
        "访问 https://www.baidu.com/s?wd=movie 或 https://pan.baidu.com/disk/home 或 "
        "https://example.com/s/abcdef 密码：abcd 及 mypan.baidu.com.evil.example/s/1abcdef"
    )
    assert find_share_links(text, ["https://pan.quark.cn/", "not a url", ""]) == []


def test_a_link_farm_is_bounded() -> None:
    text = " ".join(
        f"https://pan.baidu.com/s/1link{i:07d} 提取码:{i % 10000:04d}" for i in range(20_000)
    )
    started = time.monotonic()
    found = find_share_links(text, [f"https://pan.quark.cn/s/q{i:08d}" for i in range(100_000)])
    assert len(found) == MAX_LINKS
    assert time.monotonic() - started < 10
    assert find_share_links("", []) == []
    assert find_share_links("pan.baidu.com/s/" + "a" * 1_000_000) != []  # one long link: no hang


HASH = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"


def test_magnet_links() -> None:
    uri = (
        f"magnet:?xt=urn:btih:{HASH.upper()}&dn=%E6%B5%81%E6%B5%AA%E5%9C%B0%E7%90%83+2"
        "&tr=udp%3A%2F%2Ftracker.example%3A80%2Fannounce&tr=http%3A%2F%2Ft2.example%2Fannounce"
        "&xl=12345678"
    )
    assert parse_magnet(uri) == Magnet(
        info_hash=HASH,
        name="流浪地球 2",
        trackers=("udp://tracker.example:80/announce", "http://t2.example/announce"),
        size=12_345_678,
        uri=uri,
    )
    base32 = parse_magnet("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&dn=x")
    assert base32 is not None and base32.info_hash == HASH
    hybrid = parse_magnet(f"magnet:?xt=urn:btih:{HASH}&xt=urn:btmh:1220{'ab' * 32}")
    assert hybrid is not None and hybrid.info_hash_v2 == "ab" * 32


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "http://example.com/?xt=urn:btih:" + HASH,
        "magnet:?dn=no-hash",
        "magnet:?xt=urn:btih:1234",
        "magnet:?xt=urn:btih:" + "g" * 40,
        "magnet:?xt=urn:btih:" + "1" * 32,  # base32 has no 1
        "magnet:?xt=urn:btmh:1220" + "ab" * 32,  # v2 only: no v1 info-hash
        "magnet:?xt=urn:ed2k:" + HASH,
    ],
)
def test_not_magnets(uri: str) -> None:
    assert parse_magnet(uri) is None


def test_magnets_in_posts() -> None:
    text = (
        f"磁力链接：magnet:?xt=urn:btih:{HASH}&dn=流浪地球，复制到迅雷下载\n"
        f"（magnet:?xt=urn:btih:{'a' * 40}）\n"
        f"again magnet:?xt=urn:btih:{HASH.upper()}&dn=dup.\n"
        f"magnet:?xt=urn:btih:{'b' * 20}\u200b{'b' * 20}"
    )
    found = find_magnets(text, [f"magnet:?xt=urn:btih:{'c' * 40}", "https://x.example/"])
    assert [m.info_hash for m in found] == [HASH, "a" * 40, "b" * 40, "c" * 40]
    assert found[0].name == "流浪地球"
    huge = "magnet:?xt=urn:btih:" + HASH + "&tr=" + "&tr=".join(f"udp://t{i}" for i in range(5000))
    started = time.monotonic()
    assert len(find_magnets(huge)[0].trackers) <= 100
    assert time.monotonic() - started < 2


def test_torrent_urls() -> None:
    hrefs = ["/dl/a.torrent", "https://x.example/b.TORRENT?sig=1", "https://x.example/c.html",
             "http://[bad", "/dl/a.torrent"]  # fmt: skip
    assert find_torrent_urls(hrefs) == ["/dl/a.torrent", "https://x.example/b.TORRENT?sig=1"]


def test_downloads_on_a_page() -> None:
    html = f"""<html><body><div class="post">
    <p>百度网盘：<a href="https://pan.baidu.com/s/1pageLinkA">点击下载</a> 提取码：pa11</p>
    <p>夸克：<a href="https://pan.quark.cn/s/pagelinkb">点此</a></p>
    <p>提取码：pb22</p>
    <p><a href="magnet:?xt=urn:btih:{HASH}&amp;dn=Film">磁力</a>
       <a href="/files/film.torrent">种子下载</a> <a href="/about">关于</a></p>
    </div></body></html>"""
    found = find_downloads(html.encode(), "http://127.0.0.1:8010/post/1.html")
    assert found.share_links == [
        ShareLink("baidu", "https://pan.baidu.com/s/1pageLinkA", "pa11"),
        ShareLink("quark", "https://pan.quark.cn/s/pagelinkb", "pb22"),
    ]
    assert [(m.info_hash, m.name) for m in found.magnets] == [(HASH, "Film")]
    assert found.torrent_urls == ["http://127.0.0.1:8010/files/film.torrent"]
    assert find_downloads(b"", "http://x.example/") == find_downloads("   ", "http://x.example/")
    assert find_downloads(b"\x00\xff" * 1000, "http://x.example/").share_links == []


def test_href_links_pair_with_as_many_unclaimed_codes_in_order() -> None:
    found = find_share_links(
        "第一部 提取码：aaaa 第二部 提取码：bbbb",
        ["https://pan.baidu.com/s/1hrefone", "https://pan.quark.cn/s/hreftwo?pwd=zzzz",
         "https://pan.quark.cn/s/hrefthree"],
    )  # fmt: skip
    assert [(link.provider, link.code) for link in found] == [
        ("baidu", "aaaa"),
        ("quark", "zzzz"),  # its own code, in the URL
        ("quark", "bbbb"),
    ]
