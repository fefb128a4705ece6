"""New-address announcements: the domains a site says it has moved to or also lives at.

Pirate sites hop from domain to domain as they are blocked or reported, and tell their visitors
where to go next: "最新域名：www.example.com", "永久地址发布页", "备用网址", "请收藏防走失", "we
have moved to …". Reading these links the domains of one operation together, so a case follows
the operator rather than one address. Announcements dodge keyword filters and link checkers by
writing the domain as text with the dots disguised (``www . example . com``, ``example点com``,
``example[.]com``, full-width ``．`` or ideographic ``。``), so domains are read from the text as
well as from links.

Only domains near a cue count: in the cue's own line (the same element, up to a ``<br>``) or in
the lines right after it, so a page's menus, friend links and ads are not taken for the site's
new addresses. The page's own host is left out; a host's port is kept where it is written, as
sites on one machine (the sandbox's ``127.0.0.1:PORT``) differ only by port. Pure parsing, no
I/O, never raises, bounded work.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from itertools import islice
from urllib.parse import urlsplit

from jianwang.monitoring.operators import (
    PageLine,
    base_url,
    fold_text,
    page_lines,
    parse_html,
)

logger = logging.getLogger(__name__)

MAX_ANNOUNCEMENTS = 200
"""Domains returned per page."""
FOLLOWING_LINES = 20
"""Lines after a cue searched for its domains, at most."""
FOLLOWING_CHARS = 2_000
"""Characters after a cue's line searched for its domains, at most."""
MISSES_BEFORE_FIRST = 2
"""Lines without a domain tolerated between a cue and the first domain it announces."""
SHORT_LINE = 40
"""A line after the cue this short is only a link ("线路一", "点击进入"): its link counts."""

CUES = (
    "最新域名", "最新地址", "最新网址", "永久地址", "永久域名", "永久网址", "地址发布页", "发布页",
    "备用域名", "备用地址", "备用网址", "新域名", "新地址", "新网址", "域名已更换", "网址已更换",
    "地址已更换", "更换域名", "请收藏", "防走失", "防止走失", "记住我们的新地址", "回家的路",
    "new domain", "new address", "we have moved to", "we've moved to", "moved to",
    "permanent address", "permanent domain", "backup domain", "mirror",
)  # fmt: skip
"""What announces an address, in simplified form (traditional forms are folded to these)."""

_CUE = re.compile(
    "|".join(
        rf"(?<![a-z]){re.escape(c)}(?![a-z])" if c.isascii() else re.escape(c)
        for c in sorted(CUES, key=len, reverse=True)
    ),
    re.IGNORECASE,
)
_STOP = re.compile(r"友情链接|友链|合作伙伴|合作网站|friend\s*links?|partners", re.IGNORECASE)
_DOT_BRACKET = re.compile(
    r"\s{0,4}[\[({【]\s{0,4}(?:\.|点|dot)\s{0,4}[\])}】]\s{0,4}", re.IGNORECASE
)
_DOT_WORD = re.compile(
    r"(?<=[a-z0-9])\s{0,4}点\s{0,4}(?=[a-z0-9])|(?<=[a-z0-9])\s{1,4}dot\s{1,4}(?=[a-z0-9])",
    re.IGNORECASE,
)
_DOT_SPACED = re.compile(r"(?<=[a-z0-9])\s{1,4}\.\s{0,4}(?=[a-z0-9])", re.IGNORECASE)
_HOST = re.compile(
    r"(?<![a-z0-9@._-])(?P<scheme>https?://)?"
    r"(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,24}"
    r"|(?:\d{1,3}\.){3}\d{1,3})"
    r"(?::(?P<port>\d{1,5}))?(?P<path>/[a-z0-9._~:/?#@!$&*+,;=%-]*)?"
    r"(?![a-z0-9-])",
    re.IGNORECASE,
)
_TLD_WORDS = """
    com net org cn cc tv me io co info xyz top vip club site online live app pro biz us uk jp
    hk tw mo sg la in ru de fr nl eu ws pw to im fm ly gg tk ml ga cf gq one fun icu shop link
    work buzz wang ink win bid lol mobi tech store space website life world today asia art best
    cloud cyou host monster plus run sbs tube video movie stream show media red blue pink news
    press blog page zone ltd kim xin ren cam porn sex xxx tokyo kr vn th my ph id ca au nz br
    mx ar es it pl ch se no fi dk be at cz ua tr ir pk bd lk np kz uz
"""
TLDS = frozenset(_TLD_WORDS.split())
"""Top-level domains a domain written in text may end in: the common ones and those pirate
sites favour. A word like ``us.now`` or ``index.html`` is not taken for a domain."""
_IGNORED = ("baidu.com", "google.com", "qq.com", "weibo.com", "microsoft.com", "apple.com",
            "mozilla.org", "w3.org", "miit.gov.cn", "beian.gov.cn")  # fmt: skip
"""Domains an announcement names that are not the site's: search engines and browsers it says
to use, the filing registry in its footer."""


@dataclass(frozen=True)
class Announcement:
    """A domain a page announces as its new, permanent or backup address.

    ``domain`` is the host (with ``:port`` where written), ``url`` the link or the full URL the
    page gave (``None`` when only a bare domain was written), ``cue`` the words that announced it
    and ``text`` the line the cue stands in.
    """

    domain: str
    url: str | None
    cue: str
    text: str


def _dedodge(text: str) -> str:
    """Text with disguised dots made dots: ``example[.]com``, ``example点com``, ``a . com``."""
    text = fold_text(text).replace("。", ".")
    text = _DOT_BRACKET.sub(".", text)
    text = _DOT_WORD.sub(".", text)
    return _DOT_SPACED.sub(".", text)


def _valid_host(host: str) -> str | None:
    """The host cut back to its last label that is a known top-level domain, or ``None``."""
    labels = host.split(".")
    if all(label.isdigit() for label in labels):
        return host if len(labels) == 4 and all(int(x) <= 255 for x in labels) else None
    while len(labels) >= 2:
        if labels[-1] in TLDS:
            return ".".join(labels)
        labels.pop()
    return None


def _domains_in_text(text: str) -> list[tuple[str, str | None]]:
    """The domains (with written port) a text names, each with its URL if one was written."""
    found: list[tuple[str, str | None]] = []
    for m in _HOST.finditer(_dedodge(text)):
        written = m.group("host").lower()
        host = _valid_host(written)
        if host is None:
            continue
        if host != written:
            domain, url = host, None  # the path and port belonged to a longer, invalid host
        else:
            port = m.group("port")
            domain = f"{host}:{port}" if port else host
            scheme = (m.group("scheme") or "").lower()
            url = f"{scheme}{domain}{m.group('path') or '/'}" if scheme else None
        found.append((domain, url))
    return found


def _domain_of_url(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not hostname:
        return None
    return f"{hostname}:{port}" if port is not None else hostname


def _same_site(domain: str, own: str) -> bool:
    """Whether a domain is the page's own (``www.`` or not): linking it to itself says nothing."""
    return domain.removeprefix("www.") == own.removeprefix("www.")


def _ignored(domain: str) -> bool:
    host = domain.split(":", 1)[0]
    return any(host == d or host.endswith("." + d) for d in _IGNORED)


def find_new_addresses(html: bytes | str, url: str) -> list[Announcement]:
    """The domains a page announces as the site's new, permanent or backup addresses.

    In page order, one entry per domain; the page's own host (with or without ``www.``) and
    well-known platforms are left out. Never raises on bad HTML.
    """
    own = _domain_of_url(url) or ""
    root = parse_html(html, url)
    if root is None:
        return []
    try:
        lines = page_lines(root, base_url(root, url))
    except (ValueError, RecursionError) as exc:
        logger.warning("page %s only partly read: %s", url, exc)
        return []
    found: dict[str, Announcement] = {}
    page = _Page(lines)
    for index, line in enumerate(lines):
        cue = page.cue(index)
        if cue is None:
            continue
        for domain, link in page.announced(index):
            if _same_site(domain, own) or _ignored(domain):
                continue
            known = found.get(domain)
            if known is None:
                found[domain] = Announcement(domain, link, cue, line.text[:300])
            elif known.url is None and link is not None:
                found[domain] = replace(known, url=link)  # the link beside the written domain
            if len(found) >= MAX_ANNOUNCEMENTS:
                return list(found.values())
    return list(found.values())


def _cue_in(text: str) -> str | None:
    """The first cue in a line that is not part of a domain (``mirror.example.net``)."""
    text = _dedodge(text)
    cues = list(islice(_CUE.finditer(text), 20))
    if not cues:
        return None
    hosts = [m.span() for m in _HOST.finditer(text)]
    for m in cues:
        if not any(start <= m.start() < end for start, end in hosts):
            return m.group(0)
    return None


class _Page:
    """A page's lines with what each holds (its cue, the domains its text names) worked out
    once, since a line is looked at both as a cue's line and as a line after another cue."""

    def __init__(self, lines: list[PageLine]) -> None:
        self.lines = lines
        self._cues: dict[int, str | None] = {}
        self._written: dict[int, list[tuple[str, str | None]]] = {}

    def cue(self, index: int) -> str | None:
        if index not in self._cues:
            self._cues[index] = _cue_in(self.lines[index].text)
        return self._cues[index]

    def candidates(self, index: int, links_count: bool) -> list[tuple[str, str | None]]:
        """Domains in one line: written in its text, and those its links lead to when
        ``links_count`` (the cue's own line, or a short line after it)."""
        if index not in self._written:
            self._written[index] = _domains_in_text(self.lines[index].text)
        found = list(self._written[index])
        if links_count:
            for anchor in self.lines[index].anchors:
                domain = _domain_of_url(anchor.url) if anchor.url else None
                if domain is not None:
                    found.append((domain, anchor.url))
        return found

    def announced(self, index: int) -> list[tuple[str, str | None]]:
        """The domains a cue in line ``index`` announces: in its line, then in the lines
        after it while they go on naming domains (after a gap of at most
        ``MISSES_BEFORE_FIRST`` lines where the cue's line names none), up to another cue or
        a friend-links heading."""
        found = self.candidates(index, links_count=True)
        misses = 0 if found else -MISSES_BEFORE_FIRST
        chars = 0
        stop = min(index + 1 + FOLLOWING_LINES, len(self.lines))
        for after in range(index + 1, stop):
            text = self.lines[after].text
            chars += len(text)
            if chars > FOLLOWING_CHARS or self.cue(after) or _STOP.search(fold_text(text)):
                break
            more = self.candidates(after, links_count=len(text) <= SHORT_LINE)
            if more:
                found += more
                misses = 0
                continue
            misses += 1
            if misses > 0:
                break
        return found
