"""Share links, magnet links and torrent links: how link sites and forums hand out copies.

A link site hosts no video. Its posts point at cloud-drive shares (a Baidu or Quark link and the
extraction code that opens it), at magnet links and at ``.torrent`` files, so each of these is
captured as an item like a video would be. Posts write them in many ways: as links or as bare
text, without a scheme, with full-width colons and dots, with zero-width characters slipped in
against keyword filters, and with the code on the next line (``提取码：abcd``), in the URL
(``?pwd=abcd``) or not at all. This module reads the common plain forms well and leaves
deliberately scrambled ones (spaces inside a share id) alone.

A code belongs to the share link it follows most closely; an unzip password (解压密码) is not a
share code. Pure parsing, no I/O, never raises; the text searched and the results returned are
bounded, so an endless link farm costs a bounded amount of work.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, urlsplit

from jianwang.monitoring.operators import base_url, page_lines, parse_html

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2_000_000
"""Text searched per call; a post or page longer than this is read up to here."""
MAX_LINKS = 500
"""Links of each kind returned per call."""
MAX_TRACKERS = 100
"""Trackers kept per magnet link."""
CODE_WINDOW = 80
"""How far after a share link (in characters) its extraction code may stand."""


@dataclass(frozen=True)
class ShareLink:
    """A cloud-drive share: the provider, the share URL and the extraction code, if given."""

    provider: str
    url: str
    code: str | None = None


@dataclass(frozen=True)
class Magnet:
    """A magnet link: the v1 info-hash (40 lowercase hex digits, from hex or base32), the name
    and size it announces, its trackers, and the v2 hash (``btmh``) where it carries one."""

    info_hash: str
    name: str | None = None
    trackers: tuple[str, ...] = ()
    size: int | None = None
    info_hash_v2: str | None = None
    uri: str = ""


@dataclass
class Downloads:
    """What a page hands out: share links, magnet links and links to ``.torrent`` files."""

    share_links: list[ShareLink] = field(default_factory=list)
    magnets: list[Magnet] = field(default_factory=list)
    torrent_urls: list[str] = field(default_factory=list)


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_URL_CHARS = r"[A-Za-z0-9._~:/?#@!$&*+,;=%-]"
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9.@/-])(?P<scheme>https?://)?"
    r"(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,6}[A-Za-z]{2,10})"
    rf"(?P<rest>[/?#]{_URL_CHARS}{{0,2000}})?",
    re.IGNORECASE,
)
_PROVIDERS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    # (provider, host, path and query that make a share link)
    ("baidu", re.compile(r"(?:pan|yun)\.baidu\.com"),
     re.compile(r"/s/[\w-]{5,}|/share/init\?(?:.*&)?surl=[\w-]+")),
    ("aliyun", re.compile(r"(?:www\.)?(?:aliyundrive|alipan)\.com"), re.compile(r"/s/\w{5,}")),
    ("quark", re.compile(r"pan\.quark\.cn"), re.compile(r"/s/\w{5,}")),
    ("115", re.compile(r"(?:www\.)?(?:115|115cdn|anxia)\.com"), re.compile(r"/s/\w{5,}")),
    ("lanzou", re.compile(r"(?:[a-z0-9-]+\.)*(?:i?lanzou[a-z]?|lanzn)\.com"),
     re.compile(r"/(?:[a-z]{1,3}/)?[\w-]{5,}")),
    ("123pan", re.compile(r"(?:www\.)?123(?:pan|684|685|865|912|592)\.(?:com|cn)"),
     re.compile(r"/s/[\w-]{4,}")),
    ("tianyi", re.compile(r"(?:h5\.)?cloud\.189\.cn"),
     re.compile(r"/t/\w{5,}|/web/share\?(?:.*&)?code=\w+|/share\.html#/t/\w+")),
    ("weiyun", re.compile(r"share\.weiyun\.com"), re.compile(r"/\w{5,}")),
    ("xunlei", re.compile(r"pan\.xunlei\.com"), re.compile(r"/s/[\w-]{5,}")),
    ("mega", re.compile(r"(?:www\.)?mega\.(?:nz|co\.nz)"),
     re.compile(r"/(?:file|folder)/[\w-]{5,}|/?#F?![\w-]{5,}")),
    ("google_drive", re.compile(r"drive\.google\.com"),
     re.compile(r"/file/d/[\w-]{10,}|/drive/(?:u/\d+/)?folders/[\w-]{10,}|/open\?id=[\w-]{10,}")),
    ("onedrive", re.compile(r"1drv\.ms|onedrive\.live\.com"),
     re.compile(r"/[a-z]/[\w!/-]{5,}|/\?(?:.*&)?(?:id|resid|cid)=[\w!%-]+")),
)  # fmt: skip
_URL_CODE_KEYS = frozenset({"pwd", "password", "passcode"})
_CODE = re.compile(
    r"(?:提取码|提取碼|密码|密碼|访问码|訪問碼|取件码|分享码|验证码|口令)\s{0,4}(?:[:=]|是|为)?\s{0,4}"
    r"(?P<zh>[A-Za-z0-9]{4,8})(?![A-Za-z0-9])"
    r"|(?<![A-Za-z])(?:code|pwd|password|passcode)\s{0,4}[:=]\s{0,4}(?P<en>[A-Za-z0-9]{4,8})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_NOT_SHARE_CODE = re.compile(r"(?:解压|解壓|压缩包?|壓縮包?|unzip|zip|rar|7z)\s*$", re.IGNORECASE)
_MAGNET = re.compile(r"magnet:\?[^\s\"'<>\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]{1,8000}", re.I)
_BTIH = re.compile(r"^urn:btih:([0-9a-f]{40}|[a-z2-7]{32})$", re.IGNORECASE)
_BTMH = re.compile(r"^urn:btmh:1220([0-9a-f]{64})$", re.IGNORECASE)


def _fold(text: str) -> str:
    """Full-width forms and ideographic full stops as ASCII, zero-width characters removed."""
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS].translate(_ZERO_WIDTH))
    return text.replace("。", ".")


def _share_link(match: re.Match[str]) -> ShareLink | None:
    """The share link a URL-like token is, or ``None`` for any other URL."""
    host = match.group("host").lower()
    rest = (match.group("rest") or "").rstrip(".,;:!?")
    rest = rest.removesuffix("#")  # "…?password=abcd#" as 115 writes it: the same share
    for provider, host_pattern, path_pattern in _PROVIDERS:
        if host_pattern.fullmatch(host) and path_pattern.match(rest):
            scheme = (match.group("scheme") or "https://").lower()
            return ShareLink(provider, f"{scheme}{host}{rest}", _code_in_url(rest))
    return None


def _code_in_url(rest: str) -> str | None:
    query = rest.partition("?")[2].partition("#")[0]
    for key, value in parse_qsl(query):
        if key.lower() in _URL_CODE_KEYS and re.fullmatch(r"[A-Za-z0-9]{2,16}", value):
            return value
    return None


def _code_after(text: str, start: int, stop: int) -> tuple[str | None, int]:
    """The first extraction code in ``text[start:stop]`` and where it starts (or -1)."""
    for m in _CODE.finditer(text, start, stop):
        if _NOT_SHARE_CODE.search(text[max(m.start() - 8, 0) : m.start()]):
            continue
        return m.group("zh") or m.group("en"), m.start()
    return None, -1


def find_share_links(text: str, hrefs: Sequence[str] = ()) -> list[ShareLink]:
    """Cloud-drive share links in a post's text and links, each with its extraction code.

    The code is the one in the URL (``?pwd=``) or else the nearest code cue after the link in
    the text, before the next share link. A link given only as an href (its URL not in the text)
    takes a code that no link in the text claimed, when there is one such link or as many such
    links as unclaimed codes.
    """
    folded = _fold(text)
    matches = [(m, link) for m in _TOKEN.finditer(folded) if (link := _share_link(m))]
    found: dict[str, ShareLink] = {}
    claimed: set[int] = set()
    for index, (m, link) in enumerate(matches):
        stop = matches[index + 1][0].start() if index + 1 < len(matches) else len(folded)
        code, at = _code_after(folded, m.end(), min(m.end() + CODE_WINDOW, stop))
        if at >= 0:
            claimed.add(at)
        _add(found, replace(link, code=link.code or code))
        if len(found) >= MAX_LINKS:
            return list(found.values())

    loose: list[ShareLink] = []
    for href in hrefs[: MAX_LINKS * 4]:
        for m in _TOKEN.finditer(_fold(href.strip())):
            link = _share_link(m)
            if link is None:
                continue
            if link.url in found:
                _add(found, link)
            elif link.url not in {x.url for x in loose}:
                loose.append(link)
            break
    codes = [
        (m.group("zh") or m.group("en"))
        for m in _CODE.finditer(folded)
        if m.start() not in claimed
        and not _NOT_SHARE_CODE.search(folded[max(m.start() - 8, 0) : m.start()])
    ]
    uncoded = [link for link in loose if link.code is None]
    if codes and (len(uncoded) == 1 or len(uncoded) == len(codes)):
        given = dict(zip((link.url for link in uncoded), codes, strict=False))
        loose = [replace(link, code=link.code or given.get(link.url)) for link in loose]
    for link in loose:
        _add(found, link)
    return list(found.values())[:MAX_LINKS]


def _add(found: dict[str, ShareLink], link: ShareLink) -> None:
    """Keep one entry per URL; a later sighting only fills in a missing code."""
    known = found.get(link.url)
    if known is None or (known.code is None and link.code is not None):
        found[link.url] = link


def parse_magnet(uri: str) -> Magnet | None:
    """A magnet URI's info-hash, name, size and trackers, or ``None`` when it names no v1
    info-hash (not a magnet link, a malformed hash, or a v2-only ``btmh`` link)."""
    uri = uri.strip()[:8000]
    if not uri.lower().startswith("magnet:?"):
        return None
    info_hash: str | None = None
    name: str | None = None
    v2: str | None = None
    size: int | None = None
    trackers: list[str] = []
    for key, value in parse_qsl(uri[8:], keep_blank_values=False):
        base = key.split(".", 1)[0].lower()
        if base == "xt":
            if (m := _BTIH.match(value.strip())) is not None and info_hash is None:
                info_hash = _hex_hash(m.group(1))
            elif (m := _BTMH.match(value.strip())) is not None:
                v2 = m.group(1).lower()
        elif base == "dn" and name is None:
            name = value.strip() or None
        elif base == "tr" and len(trackers) < MAX_TRACKERS and value.strip() not in trackers:
            trackers.append(value.strip())
        elif base == "xl" and value.strip().isdigit() and len(value.strip()) <= 20:
            size = int(value.strip())
    if info_hash is None:
        return None
    return Magnet(info_hash, name, tuple(trackers), size, v2, uri)


def _hex_hash(value: str) -> str | None:
    if len(value) == 40:
        return value.lower()
    try:
        return base64.b32decode(value.upper()).hex()
    except (binascii.Error, ValueError):
        return None


def find_magnets(text: str, hrefs: Sequence[str] = ()) -> list[Magnet]:
    """Magnet links in a post's text and links, one per info-hash, in order of appearance."""
    text = text[:MAX_TEXT_CHARS].translate(_ZERO_WIDTH)
    found: dict[str, Magnet] = {}
    candidates = [m.group(0) for m in _MAGNET.finditer(text)]
    candidates += [h for h in hrefs[: MAX_LINKS * 4] if h.strip().lower().startswith("magnet:")]
    for candidate in candidates:
        magnet = parse_magnet(_strip_trailing(candidate))
        if magnet is not None and magnet.info_hash not in found:
            found[magnet.info_hash] = magnet
            if len(found) >= MAX_LINKS:
                break
    return list(found.values())


def _strip_trailing(uri: str) -> str:
    """A URI cut from prose without the sentence's punctuation after it."""
    uri = uri.rstrip(".,;:!?")
    if uri.endswith(")") and uri.count("(") < uri.count(")"):
        uri = uri[:-1]
    return uri


def find_torrent_urls(hrefs: Sequence[str]) -> list[str]:
    """The links that point at ``.torrent`` files (by their path's extension)."""
    found: dict[str, None] = {}
    for href in hrefs:
        try:
            path = urlsplit(href.strip()).path
        except ValueError:
            continue
        if PurePosixPath(path).suffix.lower() == ".torrent":
            found[href.strip()] = None
            if len(found) >= MAX_LINKS:
                break
    return list(found)


def find_downloads(html: bytes | str, url: str) -> Downloads:
    """Share links, magnets and torrent links on one page, links placed where they stand in
    the text so that a code written after a linked "百度网盘" is found. Never raises."""
    root = parse_html(html, url)
    if root is None:
        return Downloads()
    try:
        lines = page_lines(root, base_url(root, url))
    except (ValueError, RecursionError) as exc:
        logger.warning("page %s only partly read: %s", url, exc)
        return Downloads()
    pieces: list[str] = []
    hrefs: list[str] = []
    for line in lines:
        text = line.text
        for anchor in reversed(line.anchors):  # from the end, so earlier offsets stay right
            link = anchor.url or anchor.href
            hrefs.append(link)
            text = f"{text[: anchor.start]} {link} {text[anchor.start :]}"
        pieces.append(text)
    text = "\n".join(pieces)
    hrefs.reverse()
    return Downloads(
        share_links=find_share_links(text, hrefs),
        magnets=find_magnets(text, hrefs),
        torrent_urls=find_torrent_urls([a.url for line in lines for a in line.anchors if a.url]),
    )
