"""The discovery sandbox: a deterministic world whose answer key matches what its pages show."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from html import escape
from typing import Any

import httpx
import lxml.html
import opencc
import pytest

from jianwang.sandbox.discovery import (
    FORUM,
    LINKS_A,
    NEW,
    OLD,
    TORRENTS,
    DiscoverySandbox,
    DiscoveryWorld,
    bencode,
    build_discovery_world,
    serve_discovery_world,
)

CUES = re.compile(
    r"集|s\d\d|ep\d|\d{3,4}p|4k|高清|蓝光|hd|web-dl|bluray|网盘|提取码|下载|磁力|种子|torrent"
    r"|magnet|在线观看|出售|¥|txt|flac|mp3|无损|全本"
)
TO_SIMPLIFIED = opencc.OpenCC("t2s")


@pytest.fixture(scope="module")
def world() -> DiscoveryWorld:
    return build_discovery_world()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5) as c:
        yield c


def _fold(text: str) -> str:
    return str(TO_SIMPLIFIED.convert(unicodedata.normalize("NFKC", text))).casefold()


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", _fold(text))


def _names_protected(world: DiscoveryWorld, text: str) -> bool:
    """Whether ``text`` names a protected work other than the two common words."""
    folded, squashed = _fold(text), _squash(text)
    for work in world.works:
        if work.key in ("home", "jia"):
            continue
        for name in (work.title, *work.aliases):
            if name.isascii():
                if re.search(rf"(?<![a-z]){re.escape(name.casefold())}(?![a-z])", folded):
                    return True
                if " " in name and _squash(name) in squashed:
                    return True
            elif _squash(name) in squashed:
                return True
    return False


def _bdecode(data: bytes, at: int = 0) -> tuple[Any, int]:
    """A small bencode decoder for the test: (value, position after it)."""
    head = data[at : at + 1]
    if head == b"i":
        end = data.index(b"e", at)
        return int(data[at + 1 : end]), end + 1
    if head in (b"l", b"d"):
        items: list[Any] = []
        at += 1
        while data[at : at + 1] != b"e":
            value, at = _bdecode(data, at)
            items.append(value)
        if head == b"l":
            return items, at + 1
        return dict(zip(items[::2], items[1::2], strict=True)), at + 1
    colon = data.index(b":", at)
    length = int(data[at:colon])
    return data[colon + 1 : colon + 1 + length], colon + 1 + length


def _info_span(data: bytes) -> bytes:
    """The raw bytes of the top-level ``info`` value, as clients hash them."""
    assert data[:1] == b"d"
    at = 1
    while data[at : at + 1] != b"e":
        key, at = _bdecode(data, at)
        start = at
        _, at = _bdecode(data, at)
        if key == b"info":
            return data[start:at]
    raise AssertionError("no info dict")


def _spots_in(html: str) -> set[tuple[str, str]]:
    """(kind, text) of every spot on a page, read back with lxml."""
    doc = lxml.html.fromstring(html)
    spots = {("title", doc.findtext(".//title") or "")}
    spots |= {("heading", h.text_content()) for h in doc.iter("h1", "h2", "h3")}
    spots |= {("link", a.text_content()) for a in doc.iter("a")}
    spots |= {("listing", li.text_content()) for li in doc.iter("li") if not li.findall(".//a")}
    return spots


def _pages(world: DiscoveryWorld) -> Iterator[tuple[str, str, str]]:
    for site in world.sites:
        for path in site.paths():
            body = site.file(path).body
            if isinstance(body, str):
                yield site.name, path, body


def test_world_is_deterministic_per_seed(world: DiscoveryWorld) -> None:
    again = build_discovery_world(2026)
    for site in world.sites:
        other = again.site(site.name)
        assert site.files == other.files
        assert site.phase_2_files == other.phase_2_files
    assert world.title_spots == again.title_spots
    assert world.share_links == again.share_links
    assert world.torrents == again.torrents
    assert world.icp_numbers == again.icp_numbers
    different = build_discovery_world(7)
    assert different.share_links != world.share_links
    assert {t.info_hash for t in different.torrents} != {t.info_hash for t in world.torrents}


def test_key_meets_the_sizes(world: DiscoveryWorld) -> None:
    positives, negatives = world.positive_spots(), world.negative_spots()
    assert len(positives) >= 60
    assert len([s for s in negatives if s.note != "link-farm"]) >= 150
    assert len([s for s in negatives if s.note == "link-farm"]) >= 200
    assert len(world.torrents) >= 10
    assert len(world.share_links) >= 10
    assert len(world.magnets) >= 5
    assert len({n for numbers in world.icp_numbers.values() for n in numbers}) >= 8
    assert world.psb_numbers
    assert {c.kind for c in world.contacts} == {"email", "qq", "wechat", "telegram"}
    assert {a.network for a in world.ads} >= {"adsense", "baidu-union"}
    assert len(world.works) == 12
    dodges = {s.note for s in positives}
    assert dodges >= {"spaced", "symbols", "traditional", "fullwidth", "abbreviation", "bracket"}
    assert {s.note for s in negatives} == {"no-cue", "decoy", "common-word", "link-farm"}
    assert {s.kind for s in world.title_spots} == {"title", "heading", "link", "listing"}
    assert {s.work for s in positives} == {w.key for w in world.works}


def test_every_key_entry_is_on_its_page(world: DiscoveryWorld) -> None:
    for spot in world.title_spots:
        html = world.html(spot.site, spot.path)
        assert escape(spot.text, quote=False) in html, spot
        assert (spot.kind, spot.text) in _spots_in(html), spot
    for share in world.share_links:
        html = world.html(share.site, share.path)
        assert share.shown in lxml.html.fromstring(html).text_content()
        assert share.url.removeprefix("https://") in html
        assert share.code is None or share.code in html
    for magnet in world.magnets:
        assert escape(magnet.uri) in world.html(magnet.site, magnet.path)
    for (site, path), numbers in world.icp_numbers.items():
        text = unicodedata.normalize("NFKC", world.html(site, path)).replace(" ", "")
        assert all(number in text for number in numbers)
    for (site, path), numbers in world.psb_numbers.items():
        text = world.html(site, path).replace(" ", "")
        assert all(number in text for number in numbers)
    for contact in world.contacts:
        html = world.html(contact.site, contact.path)
        assert contact.shown in html
        assert contact.value in html


def test_every_spot_naming_a_protected_work_is_in_the_key(world: DiscoveryWorld) -> None:
    keyed = {(s.site, s.path, s.kind, s.text) for s in world.title_spots}
    for site, path, html in _pages(world):
        for kind, text in _spots_in(html):
            if _names_protected(world, text):
                assert (site, path, kind, text) in keyed, (site, path, kind, text)


def test_verdicts_follow_the_rule(world: DiscoveryWorld) -> None:
    for spot in world.title_spots:
        folded = _fold(spot.text)
        if spot.work is not None:
            assert spot.names == spot.work
            assert CUES.search(folded), spot
            assert _names_protected(world, spot.text) or spot.work in ("home", "jia"), spot
        elif spot.note == "no-cue":
            assert spot.names is not None or "定档" in folded or "杀青" in folded
            assert not CUES.search(folded), spot
        elif spot.note in ("decoy", "common-word", "link-farm"):
            assert spot.names is None
            assert not _names_protected(world, spot.text), spot
    common = [s.text for s in world.title_spots if s.note == "common-word"]
    assert any("国家" in t for t in common)
    assert any(t == "Home" for t in common)
    assert any(t == "Homepage" for t in common)


def test_torrent_files_decode_to_the_key(world: DiscoveryWorld) -> None:
    site = world.site(TORRENTS)
    for torrent in world.torrents:
        data = site.file(torrent.path).body
        assert isinstance(data, bytes)
        meta, end = _bdecode(data)
        assert end == len(data)
        info = meta[b"info"]
        assert hashlib.sha1(_info_span(data)).hexdigest() == torrent.info_hash
        assert bencode({"x": [1, "y"]}) == b"d1:xli1e1:yee"
        assert info[b"name"].decode() == torrent.name
        if b"length" in info:
            files = [(torrent.name, info[b"length"])]
        else:
            files = [
                ("/".join(p.decode() for p in f[b"path"]), f[b"length"]) for f in info[b"files"]
            ]
        assert tuple(files) == torrent.files
        assert sum(size for _, size in files) == torrent.total_size
        assert len(files) == torrent.file_count
        pieces = -(-torrent.total_size // info[b"piece length"])
        assert len(info[b"pieces"]) == 20 * pieces
    hashes = {t.info_hash for t in world.torrents}
    listed = {m.info_hash for m in world.magnets if m.site == TORRENTS}
    assert listed == hashes


def test_base32_magnet_names_the_same_hash(world: DiscoveryWorld) -> None:
    base32 = [m for m in world.magnets if not re.search(r"btih:[0-9a-f]{40}&", m.uri)]
    assert base32
    for magnet in base32:
        btih = re.search(r"btih:([A-Z2-7]{32})&", magnet.uri)
        assert btih is not None
        assert base64.b32decode(btih.group(1)).hex() == magnet.info_hash


def test_serving_in_two_phases(world: DiscoveryWorld, client: httpx.Client) -> None:
    with DiscoverySandbox(world) as sandbox:
        assert sandbox.phase == 1
        links = client.get(sandbox.base_url(LINKS_A) + "/")
        assert links.status_code == 200
        assert sandbox.base_url(FORUM) + "/" in links.text  # friend links carry real ports
        torrent = world.torrents[0]
        served = client.get(sandbox.base_url(TORRENTS) + torrent.path)
        assert served.headers["content-type"] == "application/x-bittorrent"
        assert hashlib.sha1(_info_span(served.content)).hexdigest() == torrent.info_hash
        old = client.get(sandbox.base_url(OLD) + "/")
        assert "最新域名" not in old.text
        with pytest.raises(httpx.ConnectError):
            client.get(sandbox.base_url(NEW) + "/")

        sandbox.switch_to_phase_2()
        new_port = sandbox.port(NEW)
        notices = sandbox.announcements()
        assert len(notices) == 4
        assert f"最新域名：127.0.0.1:{new_port} 请收藏" in client.get(sandbox.base_url(OLD)).text
        for _, note, text in notices:
            page = client.get(sandbox.base_url(OLD) + note.path).text
            assert escape(text, quote=False) in page
        fullwidth = "".join(chr(ord(d) + 0xFEE0) for d in str(new_port))
        assert fullwidth in client.get(sandbox.base_url(OLD) + "/vip.html").text
        new_home = client.get(sandbox.base_url(NEW) + "/")
        assert new_home.status_code == 200
        assert _spots_in(new_home.text) - {("title", "")} >= {
            (s.kind, s.text) for s in world.title_spots if s.site == NEW and s.path == "/"
        }
        assert client.get(sandbox.base_url(NEW) + "/video/1.html").status_code == 200
    assert sandbox.phase == 0


def test_serve_in_phase_2_directly(world: DiscoveryWorld, client: httpx.Client) -> None:
    sandbox = serve_discovery_world(world, phase=2)
    try:
        page = client.get(sandbox.base_url(OLD) + "/notice.html").text
        assert f"127。0。0。1：{sandbox.port(NEW)}" in page
        assert client.get(sandbox.base_url(NEW) + "/notice.html").status_code == 200
    finally:
        sandbox.stop()
