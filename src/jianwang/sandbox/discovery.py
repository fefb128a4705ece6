"""A sandbox beyond the registry and its answer key: the world ``jianwang bench discovery`` scores.

Seven kinds of page a crawler meets when it looks past the sites it already knows: two link sites
(paginated post lists that point at cloud-drive shares and magnets, one with a link farm), a
forum (boards, threads whose posts carry share links with extraction codes and magnets), a
torrent index (listings, detail pages, real ``.torrent`` files), a shop selling "complete series"
downloads, a news site of reviews that name works without offering them, and a pirate video site
that moves: in phase 2 its old address announces the new one (plain, with ideographic dots, in
full-width digits, spaced out) and the new address comes up with the same layout.

The key is recorded while the pages are rendered (every spot, share link, magnet and footer
number goes through one recording call that also writes the markup), so page and key cannot
drift apart. A *spot* is one place a title may be read: the page ``<title>``, an ``<h1>``, the
text of an ``<a>``, or a *listing* item (an ``<li>`` with no link inside: a torrent's file row,
a shop's ranking row, a "today's updates" row). The key is a set over (site, path, kind, text):
a detection at a spot not in the key counts neither way. Positives name a protected work (title
or alias, often dodged) together with a distribution cue; negatives are reviews and news that
name a work without a cue, unprotected look-alike titles with cues, the common words "Home" and
"家" in menus, ordinary words (国家, 大家, 家庭) and sentences, and a farm of junk links.

Ports exist only when serving, so pages hold tokens (``\\ue000form:site\\ue001``) where a port or
a site URL goes; :class:`DiscoverySandbox` reserves a port per site before anything starts, then
fills the tokens. The same seed gives the same bytes before the fill.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import random
import re
import socket
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from html import escape
from types import TracebackType
from typing import Literal
from urllib.parse import quote

import opencc

from jianwang.sandbox.server import RequestJournal, Resource, SandboxServer, SandboxSite

log = logging.getLogger(__name__)

SpotKind = Literal["title", "heading", "link", "listing"]
WorkKind = Literal["film", "tv_series", "music", "literature"]
SiteKind = Literal["links", "forum", "torrents", "shop", "video", "news"]
ContactKind = Literal["email", "qq", "wechat", "telegram"]
PageRef = tuple[str, str]
"""(site name, path): paths repeat across sites, so every key entry names both."""

HTML_TYPE = "text/html; charset=utf-8"
TORRENT_TYPE = "application/x-bittorrent"
HOST = "127.0.0.1"

LINKS_A, LINKS_B, FORUM, TORRENTS = "links-a", "links-b", "forum", "torrents"
SHOP, OLD, NEW, NEWS = "shop", "pirate-old", "pirate-new", "news"


# --- the answer key's records ------------------------------------------------------------------


@dataclass(frozen=True)
class DiscoveryWork:
    """A protected work: key, title, aliases (English title, abbreviation, Chinese name), kind."""

    key: str
    title: str
    aliases: tuple[str, ...]
    kind: WorkKind


@dataclass(frozen=True)
class TitleSpot:
    """One spot and what a title matcher should say about it.

    ``work`` is the expected detection (``None``: none); ``names`` is the work the text names
    whatever its cues (a review names a work and is still no detection), so a bench can score
    recognising the title apart from judging the distribution. ``note`` is the dodge for a
    positive (``spaced``, ``traditional``, ...) and the reason for a negative (``no-cue``,
    ``decoy``, ``common-word``, ``link-farm``).
    """

    site: str
    path: str
    kind: SpotKind
    text: str
    work: str | None
    names: str | None
    note: str


@dataclass(frozen=True)
class ShareLink:
    """A cloud-drive share on a page: canonical https URL, extraction code (``None``: none) and
    the line as a reader sees it (``shown``: the page's text, markup left out)."""

    site: str
    path: str
    provider: str
    url: str
    code: str | None
    shown: str
    work: str | None


@dataclass(frozen=True)
class MagnetLink:
    """A magnet URI on a page; ``info_hash`` is lowercase hex even where the URI has base32."""

    site: str
    path: str
    info_hash: str
    name: str
    uri: str


@dataclass(frozen=True)
class TorrentFile:
    """A served ``.torrent``: its info-hash (sha1 of the bencoded info dict) and its content;
    ``files`` holds paths inside the torrent (a single-file torrent's one file is its name)."""

    site: str
    path: str
    page: str
    info_hash: str
    name: str
    total_size: int
    file_count: int
    files: tuple[tuple[str, int], ...]
    work: str | None


@dataclass(frozen=True)
class Announcement:
    """A notice of the new address on an old-site page, in one of its written forms."""

    path: str
    form: Literal["plain", "ideographic", "fullwidth", "spaced"]
    template: str

    def text(self, port: int) -> str:
        """The notice as the page shows it once the new site has ``port``."""
        return self.template.replace("{port}", _format_port(self.form, port))


@dataclass(frozen=True)
class DomainHop:
    """A site that moved: its old and new site names and the notices that say so (phase 2)."""

    old_site: str
    new_site: str
    announcements: tuple[Announcement, ...]


@dataclass(frozen=True)
class Contact:
    """An operator contact shown on a page: ``value`` normalised, ``shown`` as on the page."""

    site: str
    path: str
    kind: ContactKind
    value: str
    shown: str


@dataclass(frozen=True)
class AdSlot:
    """An ad network's code on a page: ``network`` and the publisher or slot id it carries."""

    site: str
    path: str
    network: str
    ref: str


@dataclass(frozen=True)
class SiteFile:
    """A page (text with port tokens) or a binary file, with its content type."""

    body: str | bytes
    content_type: str

    def render(self, ports: Mapping[str, int]) -> bytes:
        """The bytes served once the sites' ports are known."""
        if isinstance(self.body, bytes):
            return self.body
        return fill_ports(self.body, ports).encode("utf-8")


@dataclass
class DiscoverySite:
    """One site of the world: its files in phase 1, what phase 2 replaces or adds, and from
    which phase it answers at all (the new address of the moving site is down in phase 1)."""

    name: str
    title: str
    kind: SiteKind
    files: dict[str, SiteFile]
    phase_2_files: dict[str, SiteFile] = field(default_factory=dict)
    first_phase: int = 1

    def file(self, path: str, *, phase: int = 2) -> SiteFile:
        """The file served at ``path`` in ``phase``."""
        if phase >= 2 and path in self.phase_2_files:
            return self.phase_2_files[path]
        return self.files[path]

    def paths(self) -> list[str]:
        """Every path the site serves in some phase."""
        return sorted({*self.files, *self.phase_2_files})

    def sandbox_site(self, *, phase: int, ports: Mapping[str, int]) -> SandboxSite:
        """The route table for ``phase`` with the ports filled in."""
        routes = {
            path: Resource(self.file(path, phase=phase).render(ports), f.content_type)
            for path, f in self.files.items()
        }
        if phase >= 2:
            for path, f in self.phase_2_files.items():
                routes[path] = Resource(f.render(ports), f.content_type)
        return SandboxSite(self.name, dict(routes))


@dataclass
class DiscoveryWorld:
    """The sites and the answer key, both from one build."""

    seed: int
    works: list[DiscoveryWork]
    decoys: list[str]
    sites: list[DiscoverySite]
    title_spots: list[TitleSpot]
    share_links: list[ShareLink]
    magnets: list[MagnetLink]
    torrents: list[TorrentFile]
    domain_hops: list[DomainHop]
    icp_numbers: dict[PageRef, list[str]]
    psb_numbers: dict[PageRef, list[str]]
    contacts: list[Contact]
    ads: list[AdSlot]
    payment_pages: list[PageRef]

    def site(self, name: str) -> DiscoverySite:
        """The site called ``name``."""
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(name)

    def html(
        self, site: str, path: str, *, phase: int = 2, ports: Mapping[str, int] | None = None
    ) -> str:
        """A page's HTML; port tokens stay in place unless ``ports`` are given."""
        body = self.site(site).file(path, phase=phase).body
        if not isinstance(body, str):
            raise ValueError(f"{site}{path} is not a page")
        return fill_ports(body, ports) if ports is not None else body

    def positive_spots(self) -> list[TitleSpot]:
        return [s for s in self.title_spots if s.work is not None]

    def negative_spots(self) -> list[TitleSpot]:
        return [s for s in self.title_spots if s.work is None]


# --- works, look-alikes and the words around them ------------------------------------------------

WORKS: tuple[DiscoveryWork, ...] = (
    DiscoveryWork("shanhe", "山河长歌", ("Ode of Mountains and Rivers", "SHCG"), "tv_series"),
    DiscoveryWork("xueluo", "雪落长安", ("Snowfall Over Changan", "XLCA"), "tv_series"),
    DiscoveryWork("xinghai", "星海迷航", ("Star Sea Odyssey", "SSO"), "film"),
    DiscoveryWork("yunjin", "云锦传", ("The Brocade Chronicle",), "tv_series"),
    DiscoveryWork("wuye", "午夜列车长", ("Midnight Conductor",), "film"),
    DiscoveryWork("qingyu", "青屿之夏", ("Summer at Qingyu", "QYZX"), "tv_series"),
    DiscoveryWork("lantern", "The Iron Lantern", ("铁灯笼",), "film"),
    DiscoveryWork("harbor", "Glass Harbor", ("玻璃港湾",), "film"),
    DiscoveryWork("moshang", "墨上寒山", ("Cold Mountain in Ink",), "literature"),
    DiscoveryWork("yeguang", "夜光信笺", ("Luminous Letters",), "music"),
    DiscoveryWork("home", "Home", (), "film"),
    DiscoveryWork("jia", "家", (), "literature"),
)
_YEARS = {"xinghai": 2023, "lantern": 2022, "harbor": 2021, "wuye": 2020, "home": 2019}

_DECOY_TABLE: tuple[tuple[str, WorkKind], ...] = (
    *((t, "tv_series") for t in ("山河长梦", "雪落江南", "云锦记", "青屿之冬", "沙海谜踪")),
    *((t, "tv_series") for t in ("风起青萍", "红尘客栈")),
    *((t, "film") for t in ("星海迷途", "午夜列车", "The Iron Gate", "Glass Houses")),
    *((t, "film") for t in ("Star Sea Voyagers", "Silent Orchard", "Paper Moon Express")),
    ("墨上春山", "literature"),
    ("夜光信号", "music"),
)
DECOYS = tuple(DiscoveryWork(f"decoy-{n}", t, (), k) for n, (t, k) in enumerate(_DECOY_TABLE, 1))
"""Unprotected titles, several one character or word away from a protected one."""

_POSITIVE_FORMS: tuple[tuple[str, str], ...] = (
    *(("shanhe", d) for d in ("plain", "spaced", "symbols", "traditional", "abbreviation")),
    ("shanhe", "bracket"),
    ("shanhe", "english"),
    *(("xueluo", d) for d in ("plain", "spaced", "symbols", "traditional", "abbreviation")),
    *(("xueluo", d) for d in ("traditional+spaced", "bracket", "symbols")),
    *(("xinghai", d) for d in ("plain", "english", "abbreviation", "fullwidth", "symbols")),
    ("xinghai", "scene"),
    ("xinghai", "spaced"),
    *(("yunjin", d) for d in ("plain", "traditional", "spaced", "english")),
    *(("wuye", d) for d in ("plain", "symbols", "traditional", "english")),
    *(("qingyu", d) for d in ("plain", "abbreviation", "traditional", "fullwidth", "bracket")),
    *(("lantern", d) for d in ("plain", "scene", "alias", "fullwidth")),
    *(("harbor", d) for d in ("plain", "scene", "alias", "bracket")),
    *(("moshang", d) for d in ("plain", "bracket", "spaced")),
    *(("yeguang", d) for d in ("plain", "english", "traditional")),
    ("home", "scene"),
    ("home", "bracket"),
    ("jia", "bracket"),
    ("jia", "bracket"),
)
"""Each (work, dodge) is placed once, on one of the sites that list posts."""

_COMMON_WORD_CUED = (
    "国家地理 4K纪录片 全集 网盘下载",
    "大家都在看：2024最新电影 高清在线观看",
    "家庭影院 1080P 播放器 免费下载",
    "家有萌宝 全30集 百度网盘",
    "专家推荐 4K HDR 片源 磁力下载",
    "回家的路 1080P 在线观看",
    "家常菜谱 视频教程 全集 下载",
    "Home Theater 4K 高清播放器 下载",
    "Homeward Lights 2018 1080P 下载",
    "Homemade 美食教程 全集 网盘",
    "Smart home 智能家居 App 下载",
    "home sweet home 壁纸 高清 下载",
)
"""Cues beside the common-word titles used as ordinary words: none of these is a detection."""

_REVIEWS: tuple[tuple[str | None, str], ...] = (
    ("xueluo", "《雪落长安》剧评：长安的雪落在谁的心上"),
    ("xinghai", "星海迷航 Star Sea Odyssey 定档十月 主演阵容曝光"),
    ("shanhe", "专访《山河长歌》导演：十年磨一剑"),
    ("harbor", "Glass Harbor review: a quiet triumph"),
    ("lantern", "The Iron Lantern 导演专访：光与铁"),
    ("qingyu", "《青屿之夏》收官 口碑逆袭"),
    ("yeguang", "夜光信笺 乐评：深夜里的温柔"),
    ("jia", "重读《家》：一个时代的回声"),
    ("moshang", "《墨上寒山》作者谈创作"),
    ("wuye", "午夜列车长 为什么值得一看"),
    ("yunjin", "云锦传 服化道赏析"),
    ("home", "《Home》(2019) 影评：回去的路"),
    ("xueluo", "雪 落 长 安 主演路透 片场花絮"),
    ("xinghai", "SSO 星海迷航 特效幕后"),
    (None, "星海迷途 定档官宣"),
    (None, "山河长梦 杀青 主演发文告别"),
)
"""Reviews and news: they name a work (or a look-alike) and offer nothing."""

_SYMBOLS = ("*", ".", "·", "-", "_", "|", "/", "~")
_BRACKETS = ("【{}】", "《{}》", "[{}]", "「{}」")
_QUALITY = ("1080P", "4K", "高清", "HD中字", "2160P", "蓝光")
_DISTRIBUTION = {
    "links": ("百度网盘下载", "网盘下载", "磁力下载", "种子下载", "阿里云盘 提取码", "夸克网盘"),
    "forum": ("网盘 提取码", "阿里云盘", "夸克网盘 下载", "磁力链接", "百度网盘"),
    "shop": ("网盘发货", "网盘 自动发货", "出售 网盘永久有效"),
    "video": ("在线观看", "高清在线观看", "免费在线观看"),
}
_JUNK = ("免费", "最新", "电影", "高清", "下载", "在线", "福利", "网址", "导航", "大全", "直播")
_JUNK_LATIN = ("casino", "bonus", "free", "movies", "vip", "bet", "slots", "win")
_CODE_LABELS = ("提取码: ", "提取码：", "密码:", "访问码：", "code: ")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TRACKER = "udp://tracker.opentrackr.example:1337/announce"
_ANNOUNCE_MARK = "<!--announcement-->"
_ANNOUNCEMENTS = (
    Announcement("/", "plain", "本站已更换域名，最新域名：127.0.0.1:{port} 请收藏"),
    Announcement("/notice.html", "ideographic", "永久地址 127。0。0。1：{port} 防止失联 请牢记"),
    Announcement(
        "/vip.html", "fullwidth", "备用域名：１２７．０．０．１：{port} 会员请到新域名登录"
    ),
    Announcement("/video/1.html", "spaced", "最新地址 127 . 0 . 0 . 1 : {port} 请收藏"),
)


# --- ports filled in at serve time ---------------------------------------------------------------

_TOKEN = re.compile("\ue000([a-z]+):([a-z0-9-]+)\ue001")


def _token(form: str, site: str) -> str:
    return f"\ue000{form}:{site}\ue001"


def _format_port(form: str, port: int) -> str:
    if form == "fullwidth":
        return _fullwidth(str(port))
    if form == "spaced":
        return " ".join(str(port))
    return str(port)


def fill_ports(text: str, ports: Mapping[str, int]) -> str:
    """Replace the port tokens in a page: ``url`` tokens by the site's base URL, the others by
    the port in the token's written form."""

    def one(match: re.Match[str]) -> str:
        form, site = match.groups()
        port = ports[site]
        return f"http://{HOST}:{port}" if form == "url" else _format_port(form, port)

    return _TOKEN.sub(one, text)


# --- text helpers --------------------------------------------------------------------------------


def normalise_number(shown: str) -> str:
    """An ICP or public-security number as the key stores it: half-width, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", shown))


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def _traditional(text: str) -> str:
    return str(_converter().convert(text))


def _english(work: DiscoveryWork) -> str:
    for alias in (work.title, *work.aliases):
        if alias.isascii() and " " in alias:
            return alias
    return work.title


def _abbreviation(work: DiscoveryWork) -> str | None:
    return next((a for a in work.aliases if a.isascii() and a.isupper() and " " not in a), None)


def _dodged_name(work: DiscoveryWork, dodge: str, rng: random.Random) -> str:
    """The work's name as a pirate writes it to slip past keyword filters."""
    title = work.title
    if dodge in ("spaced", "traditional+spaced"):
        return " ".join(title)
    if dodge == "symbols":
        return rng.choice(_SYMBOLS).join(title)
    if dodge == "bracket":
        return rng.choice(_BRACKETS).format(title)
    if dodge == "abbreviation":
        abbr = _abbreviation(work) or title
        return abbr if rng.random() < 0.7 else abbr.lower()
    if dodge == "english":
        return _english(work)
    if dodge == "scene":
        return f"{_english(work).replace(' ', '.')}.{_YEARS.get(work.key, 2024)}"
    if dodge == "fullwidth":
        return _fullwidth(_abbreviation(work) or _english(work))
    if dodge == "alias":
        return next((a for a in work.aliases if not a.isascii()), title)
    return title


def _cues(kind: WorkKind, flavour: str, rng: random.Random) -> str:
    """Distribution cues for a work of ``kind`` as a site of ``flavour`` writes them."""
    if kind == "tv_series":
        n = rng.choice((24, 30, 36, 40))
        ep = rng.randint(2, n - 1)
        episodes = (f"第1-{n}集", f"全{n}集", f"S01E01-E{ep:02d}", f"EP{ep:02d}", f"更新至第{ep}集")
        parts = [rng.choice((*episodes, "全集")), rng.choice(_QUALITY)]
    elif kind == "film":
        parts = [rng.choice(("1080P", "4K", "2160P", "BluRay 1080P", "WEB-DL", "HD中字"))]
    elif kind == "literature":
        parts = [rng.choice(("全本TXT", "全集 精校版", "完结 全本TXT"))]
    else:
        parts = [rng.choice(("无损FLAC", "320K MP3", "全集 无损"))]
    distribution = _DISTRIBUTION[flavour]
    if kind in ("literature", "music") and flavour in ("links", "forum"):
        distribution = ("网盘下载", "百度网盘 提取码", "下载")
    parts.append(rng.choice(distribution))
    return " ".join(parts)


def _random_id(rng: random.Random, length: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class _Item:
    """A spot's text and its verdict before it is placed on a page."""

    text: str
    work: str | None
    names: str | None
    note: str

    def retitled(self, text: str) -> _Item:
        return _Item(text, self.work, self.names, self.note)


# --- bencoding and torrents ----------------------------------------------------------------------

BValue = int | str | bytes | list["BValue"] | dict[str, "BValue"]


def bencode(value: BValue) -> bytes:
    """Bencode ``value`` (dict keys sorted as raw strings, as BEP 3 requires)."""
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    items = sorted((k.encode("utf-8"), v) for k, v in value.items())
    return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"


def build_torrent(name: str, files: list[tuple[str, int]], salt: str) -> tuple[bytes, str]:
    """A metainfo file and its info-hash; one entry in ``files`` makes a single-file torrent.

    The piece hashes are sha1s of made-up data (nobody downloads these files), sized so a
    many-gigabyte season still makes a torrent of a few tens of kilobytes.
    """
    total = sum(size for _, size in files)
    piece_length = 1 << 18
    while total // piece_length > 1500:
        piece_length <<= 1
    count = -(-total // piece_length)
    pieces = b"".join(
        hashlib.sha1(f"{salt}:{i}".encode(), usedforsecurity=False).digest() for i in range(count)
    )
    info: dict[str, BValue] = {"name": name, "piece length": piece_length, "pieces": pieces}
    if len(files) == 1 and files[0][0] == name:
        info["length"] = files[0][1]
    else:
        entries: list[BValue] = []
        for path, size in files:
            parts: list[BValue] = list(path.split("/"))
            entries.append({"length": size, "path": parts})
        info["files"] = entries
    meta: dict[str, BValue] = {
        "announce": _TRACKER,
        "comment": "Jianwang discovery sandbox",
        "created by": "jianwang",
        "creation date": 1704067200,
        "info": info,
    }
    info_hash = hashlib.sha1(bencode(info), usedforsecurity=False).hexdigest()
    return bencode(meta), info_hash


def _size_text(size: int) -> str:
    return f"{size / 2**30:.2f} GB" if size >= 2**30 else f"{size / 2**20:.1f} MB"


def _magnet_uri(info_hash: str, name: str, *, base32: bool = False) -> str:
    btih = base64.b32encode(bytes.fromhex(info_hash)).decode() if base32 else info_hash
    return f"magnet:?xt=urn:btih:{btih}&dn={quote(name)}&tr={quote(_TRACKER, safe='')}"


# --- recording pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """A site's look: title, menu, footer numbers, contacts, friends, ads."""

    name: str
    title: str
    kind: SiteKind
    menu: tuple[str, ...] = ("首页", "最新", "排行")
    menu_spots: tuple[tuple[str, str, str], ...] = ()  # (label, href, note): recorded negatives
    icp: tuple[str, ...] = ()
    icp_label: str = ""
    psb: tuple[str, ...] = ()
    contacts: tuple[tuple[ContactKind, str, str], ...] = ()
    friends: tuple[str, ...] = ()
    ads: bool = False
    notice: str = ""


_STYLES = {
    s.name: s
    for s in (
        _Style(LINKS_A, "影视资源导航", "links", icp=("京ICP备12345678号-1",),
               psb=("京公网安备 11010502030123号",), friends=(LINKS_B, FORUM, TORRENTS),
               contacts=(("email", "admin@yszy-nav.com", "联系邮箱：admin@yszy-nav.com"),)),
        _Style(LINKS_B, "高清资源分享站", "links", menu_spots=(("Homepage", "/", "common-word"),),
               icp=("粤ICP证040217号",), icp_label="ICP备案号：", friends=(SHOP, OLD), ads=True,
               contacts=(("telegram", "gqzy_share", "Telegram：t.me/gqzy_share"),)),
        _Style(FORUM, "光影论坛", "forum", icp=("沪ICP备2021012345号",),
               psb=("沪公网安备31010402001234号",), friends=(LINKS_A,),
               contacts=(("qq", "583921746", "QQ群：583921746"),)),
        _Style(TORRENTS, "BT种子搜索", "torrents", ads=True, notice="本站服务器位于海外，无需备案",
               contacts=(("email", "dmca@btsousuo-mirror.example",
                          "DMCA：dmca@btsousuo-mirror.example"),)),
        _Style(SHOP, "影音小铺", "shop", icp=("浙ICP备 2022033333号",),
               psb=("浙公网安备 33010602011111号",),
               contacts=(("qq", "2854123456", "客服QQ：2854123456"),
                         ("wechat", "yinyin_kefu88", "微信：yinyin_kefu88"))),
        _Style(OLD, "迅影影院", "video",
               menu_spots=(("Home", "/", "common-word"),
                           ("Download the app for home use", "/app.html", "common-word")),
               icp=("苏ICP备19012345号-2",), ads=True,
               contacts=(("telegram", "xunying_tv", "商务合作 Telegram：t.me/xunying_tv"),
                         ("email", "xunyingtv@protonmail.com", "邮箱：xunyingtv@protonmail.com")),
               notice="本站域名 www.xunying.tv 请牢记"),
        _Style(NEW, "迅影影院", "video",
               menu_spots=(("Home", "/", "common-word"),
                           ("Download the app for home use", "/app.html", "common-word")),
               icp=("蜀ＩＣＰ备２０２３０００４５６号－３",), ads=True,
               contacts=(("telegram", "xunying_tv", "商务合作 Telegram：t.me/xunying_tv"),
                         ("email", "xunyingtv@protonmail.com", "邮箱：xunyingtv@protonmail.com")),
               notice="欢迎访问迅影影院新域名"),
        _Style(NEWS, "娱乐快讯", "news", menu_spots=(("Home", "/", "common-word"),),
               icp=("京ICP证110011号", "京ICP备11001100号-5"),
               psb=("京公网安备 11010802020088号",)),
    )
}  # fmt: skip


class _Builder:
    """Collects the files of every site and the key while pages are written."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.files: dict[str, dict[str, SiteFile]] = {name: {} for name in _STYLES}
        self.spots: dict[tuple[str, str, str, str], TitleSpot] = {}
        self.share_links: list[ShareLink] = []
        self.magnets: list[MagnetLink] = []
        self.torrents: list[TorrentFile] = []
        self.contacts: list[Contact] = []
        self.ads: list[AdSlot] = []
        self.icp: dict[PageRef, list[str]] = {}
        self.psb: dict[PageRef, list[str]] = {}
        self.payment_pages: list[PageRef] = []
        self.texts: set[str] = set()

    def item(self, work: DiscoveryWork, dodge: str, flavour: str, note: str | None = None) -> _Item:
        """A post title naming ``work`` (dodged) with cues; distinct from every earlier one."""
        protected = not work.key.startswith("decoy-")
        for _ in range(50):
            text = f"{_dodged_name(work, dodge, self.rng)} {_cues(work.kind, flavour, self.rng)}"
            if dodge.startswith("traditional"):
                text = _traditional(text)
            if text not in self.texts:
                self.texts.add(text)
                key = work.key if protected else None
                return _Item(text, key, key, note or dodge)
        raise RuntimeError(f"no distinct title for {work.key} {dodge}")


class _Page:
    """One page being written: every call that writes a spot or a number records it too."""

    def __init__(self, b: _Builder, style: _Style, path: str) -> None:
        self.b, self.style, self.path = b, style, path

    def spot(self, kind: SpotKind, item: _Item) -> str:
        key = (self.style.name, self.path, kind, item.text)
        spot = TitleSpot(*key, item.work, item.names, item.note)
        known = self.b.spots.setdefault(key, spot)
        if known != spot:
            raise ValueError(f"conflicting verdicts for {key}")
        return escape(item.text, quote=False)

    def link(self, href: str, item: _Item) -> str:
        return f'<a href="{escape(href)}">{self.spot("link", item)}</a>'

    def share(self, provider: str, work: str | None, *, variant: int) -> str:
        """A share link with its code, written the ways posts write them."""
        rng = self.b.rng
        code: str | None = _random_id(rng, 4, "abcdefghijkmnpqrstuvwxyz23456789")
        if provider == "baidu":
            url = f"https://pan.baidu.com/s/1{_random_id(rng, 22)}"
            if variant % 5 == 3:
                url += f"?pwd={code}"
        elif provider == "aliyun":
            url = f"https://www.aliyundrive.com/s/{_random_id(rng, 11)}"
            code = None if variant % 2 else code
        elif provider == "quark":
            url = f"https://pan.quark.cn/s/{_random_id(rng, 12, '0123456789abcdef')}"
        elif provider == "xunlei":
            url = f"https://pan.xunlei.com/s/VN{_random_id(rng, 24)}"
        else:
            url = f"https://115.com/s/sw{_random_id(rng, 9)}"
        label = _CODE_LABELS[variant % len(_CODE_LABELS)]
        code_text = f" {label}{code}" if code else ""
        if variant % 4 == 2:  # pasted as text, no scheme, not a link
            shown = f"链接：{url.removeprefix('https://')}{code_text}"
            markup = f"<p>{escape(shown)}</p>"
        else:
            shown = f"{url}{code_text}"
            markup = (
                f'<p>链接：<a href="{escape(url)}" target="_blank">{escape(url)}</a>{code_text}</p>'
            )
        self.b.share_links.append(
            ShareLink(self.style.name, self.path, provider, url, code, shown, work)
        )
        return markup

    def magnet(self, info_hash: str, name: str, *, base32: bool = False) -> str:
        uri = _magnet_uri(info_hash, name, base32=base32)
        self.b.magnets.append(MagnetLink(self.style.name, self.path, info_hash, name, uri))
        return f'<a class="magnet" href="{escape(uri)}">磁力链接</a>'

    def _ads(self) -> str:
        if not self.style.ads:
            return ""
        site, rng = self.style.name, random.Random(f"ads:{self.style.name}")
        client, slot = f"ca-pub-{rng.randrange(10**15, 10**16)}", f"u{rng.randrange(10**6, 10**7)}"
        for network, ref in (("adsense", client), ("baidu-union", slot), ("direct", "casino")):
            self.b.ads.append(AdSlot(site, self.path, network, ref))
        return (
            '<script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js'
            f'?client={client}" crossorigin="anonymous"></script>'
            f'<ins class="adsbygoogle" style="display:block" data-ad-client="{client}" '
            f'data-ad-slot="{rng.randrange(10**9, 10**10)}"></ins>'
            '<script src="https://cpro.baidustatic.com/cpro/ui/c.js"></script>'
            f'<div id="cpro_{slot}" class="ad-slot"></div>'
            '<div class="ad-slot" id="ad-top"><a href="http://ads.casino-example.net/click?id=7"'
            ' rel="nofollow">澳门首家线上赌场 上线送888</a></div>'
        )

    def _footer(self) -> str:
        style, ref = self.style, (self.style.name, self.path)
        parts = []
        if style.friends:
            links = " ".join(
                f'<a href="{_token("url", f)}/">{escape(_STYLES[f].title)}</a>'
                for f in style.friends
            )
            parts.append(f'<div class="friends">友情链接：{links}</div>')
        if style.icp:
            self.b.icp[ref] = [normalise_number(n) for n in style.icp]
            shown = " ".join(
                f'<a href="https://beian.miit.gov.cn/" target="_blank">{escape(n)}</a>'
                for n in style.icp
            )
            parts.append(f'<p class="beian">{escape(style.icp_label)}{shown}</p>')
        if style.psb:
            self.b.psb[ref] = [normalise_number(n) for n in style.psb]
            parts.append(f'<p class="gongan">{" ".join(escape(n) for n in style.psb)}</p>')
        for kind, value, shown_contact in style.contacts:
            self.b.contacts.append(Contact(style.name, self.path, kind, value, shown_contact))
            parts.append(f'<p class="contact">{escape(shown_contact)}</p>')
        if style.notice:
            parts.append(f'<p class="notice">{escape(style.notice)}</p>')
        return "".join(parts)

    def finish(self, title: _Item | str, body: str) -> None:
        """Wrap ``body`` in the site's chrome and store the page."""
        style = self.style
        if isinstance(title, _Item):
            head = self.spot("title", title.retitled(f"{title.text} - {style.title}"))
        else:
            head = escape(f"{title} - {style.title}", quote=False)
        nav = "".join(f'<li><a href="/">{escape(label)}</a></li>' for label in style.menu)
        for label, href, note in style.menu_spots:
            nav += f"<li>{self.link(href, _Item(label, None, None, note))}</li>"
        marker = _ANNOUNCE_MARK if style.kind == "video" else ""
        page = (
            '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{head}</title></head><body>"
            f'<header><a class="logo" href="/">{escape(style.title)}</a>'
            f'<ul class="menu">{nav}</ul></header>{marker}{self._ads()}'
            f"<main>{body}</main><footer>{self._footer()}</footer></body></html>\n"
        )
        self.b.files[style.name][self.path] = SiteFile(page, HTML_TYPE)


def _pager(count: int, current: int, fmt: str) -> str:
    links = []
    for n in range(1, count + 1):
        href = "/" if n == 1 else fmt.format(n=n)
        links.append(f"<b>{n}</b>" if n == current else f'<a href="{href}">{n}</a>')
    return f'<div class="pager">{" ".join(links)}</div>'


def _chunks(items: list[_Item], size: int) -> list[list[_Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _fake_hash(b: _Builder, *parts: str) -> str:
    return hashlib.sha1(":".join((str(b.seed), *parts)).encode(), usedforsecurity=False).hexdigest()


_DISCLAIMER = "资源收集于网络，仅供学习交流，请于下载后24小时内删除。"
_PROVIDERS = ("baidu", "aliyun", "quark", "xunlei", "115")


# --- the sites -----------------------------------------------------------------------------------


def _link_site(b: _Builder, style: _Style, items: list[_Item], *, farm: bool) -> None:
    """Paginated post lists; each post links a share (and sometimes a magnet)."""
    posts = {item.text: f"/post/{100 + n}.html" for n, item in enumerate(items)}
    pages = _chunks(items, 6)
    for number, chunk in enumerate(pages, start=1):
        page = _Page(b, style, "/" if number == 1 else f"/page/{number}.html")
        rows = "".join(
            f"<li>{page.link(posts[i.text], i)} <span class=date>2024-0{1 + k % 9}-1{k}</span></li>"
            for k, i in enumerate(chunk)
        )
        today = ""
        if number == 1:
            latest = "".join(f"<li>{page.spot('listing', i)}</li>" for i in items[:5])
            today = f'<section class="today"><h3>今日更新</h3><ul>{latest}</ul></section>'
        farm_link = '<p><a href="/links.html">更多站点</a></p>' if farm else ""
        pager = _pager(len(pages), number, "/page/{n}.html")
        body = f'<ul class="posts">{rows}</ul>{pager}{today}{farm_link}'
        page.finish(f"最新资源 第{number}页", body)
    for n, item in enumerate(items):
        page = _Page(b, style, posts[item.text])
        downloads = page.share(_PROVIDERS[n % len(_PROVIDERS)], item.work, variant=n)
        if n % 4 == 1:
            info_hash = _fake_hash(b, style.name, item.text)
            downloads += f"<p>{page.magnet(info_hash, item.text)}</p>"
        others = [items[(n + k) % len(items)] for k in (1, 2, 3, 5)]
        related = "".join(f"<li>{page.link(posts[o.text], o)}</li>" for o in others)
        body = (
            f"<article><h1>{page.spot('heading', item)}</h1><p>{_DISCLAIMER}</p>"
            f'<div class="downloads">{downloads}</div></article>'
            f'<section class="related"><h3>相关推荐</h3><ul>{related}</ul></section>'
        )
        page.finish(item, body)
    if farm:
        page = _Page(b, style, "/links.html")
        rng = random.Random(f"farm:{b.seed}")
        junk = []
        for n in range(300):
            words = rng.sample(_JUNK, 3) if n % 3 else [*rng.sample(_JUNK_LATIN, 2), "2024"]
            text = f"{''.join(words) if n % 3 else ' '.join(words)} {n:03d}"
            href = f"https://junk-{rng.randrange(10**5)}.example/"
            junk.append(f"<li>{page.link(href, _Item(text, None, None, 'link-farm'))}</li>")
        page.finish("站点大全", f'<ul class="farm">{"".join(junk)}</ul>')


def _forum(b: _Builder, style: _Style, items: list[_Item], reviews: list[_Item]) -> None:
    """Discuz-like boards: resource threads with shares and magnets, talk threads with reviews."""
    threads: list[tuple[int, _Item, int]] = []  # (tid, item, board)
    for n, item in enumerate(items):
        threads.append((1000 + 7 * n, item, 2))
    for n, item in enumerate(reviews):
        threads.append((2000 + 11 * n, item, 3))
    for board, name in ((2, "资源分享"), (3, "影视交流")):
        mine = [(tid, item) for tid, item, bd in threads if bd == board]
        pages = [mine[i : i + 6] for i in range(0, len(mine), 6)]
        for number, chunk in enumerate(pages, start=1):
            page = _Page(b, style, f"/forum-{board}-{number}.html")
            rows = "".join(
                f"<tr><th>{page.link(f'/thread-{tid}-1-1.html', item)}</th>"
                f"<td>会员{tid % 97}</td><td>{tid % 50 + 3}</td></tr>"
                for tid, item in chunk
            )
            pager = " ".join(
                f'<a href="/forum-{board}-{k}.html">{k}</a>' for k in range(1, len(pages) + 1)
            )
            body = f"<h2>{name}</h2><table>{rows}</table><div class=pager>{pager}</div>"
            page.finish(f"{name} 第{number}页", body)
    index = _Page(b, style, "/")
    latest = "".join(
        f"<li>{index.link(f'/thread-{t}-1-1.html', i)}</li>" for t, i, _ in threads[:5]
    )
    index.finish(
        "首页",
        '<ul class="boards"><li><a href="/forum-2-1.html">资源分享</a></li>'
        '<li><a href="/forum-3-1.html">影视交流</a></li></ul>'
        f"<section><h3>最新主题</h3><ul>{latest}</ul></section>",
    )
    replies = ("感谢楼主分享！", "链接失效了，求补档", "已保存，谢谢", "顶一个", "画质很好")
    for n, (tid, item, board) in enumerate(threads):
        page = _Page(b, style, f"/thread-{tid}-1-1.html")
        first = f"<p>{_DISCLAIMER}</p>" if board == 2 else "<p>个人观后感，欢迎讨论。</p>"
        if board == 2:
            first += page.share(_PROVIDERS[(n + 2) % len(_PROVIDERS)], item.work, variant=n + 1)
            if n % 3 == 0:
                info_hash = _fake_hash(b, "forum", item.text)
                first += f"<p>备用：{page.magnet(info_hash, item.text, base32=n == 3)}</p>"
        posts = "".join(
            f'<div class="post"><span class="author">会员{(tid + k) % 89}</span>'
            f"<p>{escape(replies[(n + k) % len(replies)])}</p></div>"
            for k in range(3)
        )
        body = f'<h1>{page.spot("heading", item)}</h1><div class="post first">{first}</div>{posts}'
        page.finish(item, body)


def _torrent_specs() -> list[tuple[str | None, str, list[str], str]]:
    """(work, torrent name, file names, note); a single file is named like the torrent."""

    def eps(template: str, count: int) -> list[str]:
        return [template.format(n=n) for n in range(1, count + 1)]

    film = "Star.Sea.Odyssey.2023.1080p.WEB-DL.H264.AAC-JWG.mkv"
    lantern = "The.Iron.Lantern.2022.1080p.BluRay.x264-JWG.mkv"
    harbor = "玻璃港湾.Glass.Harbor.2021.2160p.WEB-DL.mkv"
    wuye = "Midnight.Conductor.2020.1080p.WEBRip.mkv"
    home = "Home.2019.1080p.WEB-DL.x264.mkv"
    voyagers = "Star.Sea.Voyagers.2022.1080p.WEB-DL.mkv"
    homeward = "Homeward.Lights.2018.720p.HDTV.mkv"
    orchard = "Silent.Orchard.2021.2160p.BluRay.mkv"
    return [
        ("xinghai", film, [film], "scene"),
        ("xinghai", "[ＳＳＯ] 星海迷航 2023 2160p HDR 中英双字",
         ["星海迷航.2023.2160p.HDR.mkv", "星海迷航.2023.2160p.HDR.chs.srt"], "fullwidth"),
        ("xueluo", "雪落長安.全40集.2160p.WEB-DL.H265",
         eps("雪落長安.E{n:02d}.2160p.WEB-DL.H265.mkv", 40), "traditional"),
        ("shanhe", "山河长歌.S01E01-E08.1080p.WEB-DL",
         eps("山河长歌.S01E{n:02d}.1080p.WEB-DL.mkv", 8), "plain"),
        ("qingyu", "QYZX 青屿之夏 全24集 1080P",
         eps("QYZX.E{n:02d}.1080P.mp4", 24), "abbreviation"),
        ("yunjin", "雲錦傳.EP01-EP12.1080P", eps("雲錦傳.EP{n:02d}.1080P.mp4", 12), "traditional"),
        ("lantern", lantern, [lantern], "scene"),
        ("harbor", harbor, [harbor], "alias"),
        ("wuye", wuye, [wuye], "english"),
        ("moshang", "墨上寒山.全集.精校TXT",
         ["墨上寒山.全集.精校.txt", "墨上寒山.全集.epub"], "plain"),
        ("yeguang", "夜光信笺.Luminous.Letters.2022.FLAC.全集",
         eps("夜光信笺.{n:02d}.无损.flac", 10), "plain"),
        ("home", home, [home], "scene"),
        ("jia", "【家】全集 精校版 TXT", ["【家】全集精校版.txt"], "bracket"),
        (None, voyagers, [voyagers], "decoy"),
        (None, "雪落江南.全30集.1080P.WEB-DL", eps("雪落江南.E{n:02d}.1080P.mp4", 30), "decoy"),
        (None, homeward, [homeward], "common-word"),
        (None, orchard, [orchard], "decoy"),
    ]  # fmt: skip


def _file_size(rng: random.Random, name: str) -> int:
    if name.endswith((".srt", ".epub")):
        return rng.randrange(40_000, 900_000)
    if name.endswith(".txt"):
        return rng.randrange(1_000_000, 4_000_000)
    if name.endswith(".flac"):
        return rng.randrange(20_000_000, 45_000_000)
    if any(tag in name for tag in ("E0", "E1", "E2", "E3", "EP")):
        return rng.randrange(450_000_000, 950_000_000)
    return rng.randrange(1_300_000_000, 4_800_000_000)


def _torrent_site(b: _Builder, style: _Style) -> None:
    """A listing of torrents, detail pages with file lists, and the ``.torrent`` files."""
    specs = _torrent_specs()
    b.rng.shuffle(specs)
    rows: list[tuple[int, _Item, str, int]] = []  # (number, item, info-hash, total)
    for number, (work, name, names, note) in enumerate(specs, start=1):
        files = [(f, _file_size(b.rng, f)) for f in names]
        meta, info_hash = build_torrent(name, files, f"{b.seed}:{name}")
        b.files[style.name][f"/download/{number}.torrent"] = SiteFile(meta, TORRENT_TYPE)
        total = sum(size for _, size in files)
        paths = (f"/download/{number}.torrent", f"/torrent/{number}.html")
        b.torrents.append(
            TorrentFile(style.name, *paths, info_hash, name, total, len(files), tuple(files), work)
        )
        item = _Item(name, work, work, note)
        rows.append((number, item, info_hash, total))
        page = _Page(b, style, f"/torrent/{number}.html")
        shown = files[:6]
        listing = "".join(
            f"<li>{page.spot('listing', item.retitled(f'{path} ({_size_text(size)})'))}</li>"
            for path, size in shown
        )
        more = f"<p>…… 共{len(files)}个文件</p>" if len(files) > len(shown) else ""
        body = (
            f"<h1>{page.spot('heading', item)}</h1>"
            f"<p>大小：{_size_text(total)}　文件数：{len(files)}　哈希：{info_hash}</p>"
            f'<p><a href="/download/{number}.torrent">下载种子</a> '
            f"{page.magnet(info_hash, name)}</p>"
            f'<ul class="files">{listing}</ul>{more}'
        )
        page.finish(item.retitled(f"{name} 种子下载 磁力链接"), body)
    pages = [rows[i : i + 8] for i in range(0, len(rows), 8)]
    for number, chunk in enumerate(pages, start=1):
        page = _Page(b, style, "/" if number == 1 else f"/browse/{number}.html")
        table = "".join(
            f'<tr><td class="name">{page.link(f"/torrent/{n}.html", item)}</td>'
            f"<td>{_size_text(total)}</td>"
            f'<td><a href="/download/{n}.torrent">种子</a> {page.magnet(h, item.text)}</td></tr>'
            for n, item, h, total in chunk
        )
        pager = _pager(len(pages), number, "/browse/{n}.html")
        page.finish(f"最新种子 第{number}页", f"<table>{table}</table>{pager}")


def _shop(b: _Builder, style: _Style, items: list[_Item]) -> None:
    """Products that sell downloads: price, 网盘发货, a pay page and a contact page."""
    prices = [
        f"¥{b.rng.choice((5, 8, 9, 12, 15, 19, 29))}.{b.rng.choice((0, 8, 9))}0" for _ in items
    ]
    index = _Page(b, style, "/")
    products = "".join(
        f"<li>{index.link(f'/item/{n}.html', item)} <span class=price>{prices[n - 1]}</span></li>"
        for n, item in enumerate(items, start=1)
    )
    ranked = [
        i.retitled(f"{i.text} {prices[n]} 已售{97 * n + 13}") for n, i in enumerate(items[:6])
    ]
    rank = "".join(f"<li>{index.spot('listing', item)}</li>" for item in ranked)
    index.finish(
        "全店商品",
        f'<ul class="products">{products}</ul><h3>热销排行</h3><ol class="rank">{rank}</ol>'
        '<p><a href="/contact.html">联系客服</a></p>',
    )
    for n, item in enumerate(items, start=1):
        page = _Page(b, style, f"/item/{n}.html")
        body = (
            f"<h1>{page.spot('heading', item)}</h1><p class=price>{prices[n - 1]}</p>"
            "<p>网盘发货，拍下后自动发送链接，永久有效，失效包补。</p>"
            '<p><a href="/pay.html">立即购买</a></p>'
        )
        page.finish(item, body)
    pay = _Page(b, style, "/pay.html")
    b.payment_pages.append((style.name, "/pay.html"))
    b.contacts.append(Contact(style.name, "/pay.html", "telegram", "yyxp_shop", "t.me/yyxp_shop"))
    pay.finish(
        "订单支付",
        "<h2>订单支付</h2><p>支持 支付宝 / 微信支付 扫码付款，付款后请联系客服发货。</p>"
        '<form><input name="order"><button>确认付款</button></form><p>售后：t.me/yyxp_shop</p>',
    )
    contact = _Page(b, style, "/contact.html")
    b.contacts.append(
        Contact(
            style.name, "/contact.html", "email", "yyxp.service@163.com", "yyxp.service@163.com"
        )
    )
    contact.finish("联系我们", "<p>售后邮箱：yyxp.service@163.com（工作日24小时内回复）</p>")


def _video_site(b: _Builder, style: _Style, items: list[_Item]) -> None:
    """The pirate video site; old and new addresses render the same items the same way."""
    pages = _chunks(items, 8)

    def sidebar(page: _Page) -> str:
        links = [page.link(f"/video/{k + 1}.html", items[k]) for k in range(min(6, len(items)))]
        return f"<aside><h3>热播</h3><ul>{''.join(f'<li>{x}</li>' for x in links)}</ul></aside>"

    for number, chunk in enumerate(pages, start=1):
        page = _Page(b, style, "/" if number == 1 else f"/list/{number}.html")
        offset = (number - 1) * 8
        cards = "".join(
            f'<li class="card">{page.link(f"/video/{offset + k + 1}.html", item)}<em>HD</em></li>'
            for k, item in enumerate(chunk)
        )
        pager = _pager(len(pages), number, "/list/{n}.html")
        page.finish("最新影视 免费观看", f'<ul class="grid">{cards}</ul>{pager}{sidebar(page)}')
    for n, item in enumerate(items, start=1):
        page = _Page(b, style, f"/video/{n}.html")
        buttons = "".join(f'<a href="/video/{n}.html">第{k:02d}集</a>' for k in range(1, 7))
        body = (
            f"<h1>{page.spot('heading', item)}</h1>"
            f'<div id="player" data-vid="{n}">播放器加载中…</div>'
            f'<div class="episodes">{buttons}</div>'
            '<p>线路1 线路2 <a href="/vip.html">开通VIP 去广告</a></p>'
            f"{sidebar(page)}"
        )
        page.finish(item, body)
    notice = _Page(b, style, "/notice.html")
    notice.finish("网站公告", "<h2>网站公告</h2><ul><li>本站永久免费，请勿相信收费信息</li></ul>")
    vip = _Page(b, style, "/vip.html")
    b.payment_pages.append((style.name, "/vip.html"))
    vip.finish(
        "开通VIP",
        "<h2>开通VIP 免广告 抢先看</h2><ul><li>月卡 ¥15</li><li>季卡 ¥38</li><li>年卡 ¥98</li>"
        "</ul><p>支付宝 / 微信支付 扫码开通</p>",
    )
    app = _Page(b, style, "/app.html")
    app.finish("APP下载", '<h2>迅影APP</h2><p><a href="/app.html">安卓版</a> iOS版即将上线</p>')


def _news(b: _Builder, style: _Style, reviews: list[_Item]) -> None:
    """Reviews and news: every spot names a work and none offers it."""
    index = _Page(b, style, "/")
    rows = "".join(
        f"<li>{index.link(f'/article/{n}.html', item)}</li>" for n, item in enumerate(reviews, 1)
    )
    index.finish("娱乐新闻", f'<ul class="articles">{rows}</ul>')
    for n, item in enumerate(reviews, start=1):
        page = _Page(b, style, f"/article/{n}.html")
        body = (
            f"<article><h1>{page.spot('heading', item)}</h1>"
            "<p>本文为原创内容，观点仅代表作者本人。</p><p>编辑：娱乐快讯</p></article>"
        )
        page.finish(item, body)


# --- the world -----------------------------------------------------------------------------------


def _deal(b: _Builder) -> dict[str, list[_Item]]:
    """Place each positive form, look-alike and common-word line on one of the post sites."""
    works = {w.key: w for w in WORKS}
    flavours = {LINKS_A: "links", LINKS_B: "links", FORUM: "forum", SHOP: "shop", OLD: "video"}
    order = list(flavours)
    dealt: dict[str, list[_Item]] = {site: [] for site in order}

    def target(kind: WorkKind) -> str:
        fits = [s for s in order if s != OLD or kind in ("film", "tv_series")]
        return min(fits, key=lambda s: (len(dealt[s]), order.index(s)))

    forms = list(_POSITIVE_FORMS)
    b.rng.shuffle(forms)
    for key, dodge in forms:
        site = target(works[key].kind)
        dealt[site].append(b.item(works[key], dodge, flavours[site]))
    decoys = list(DECOYS)
    b.rng.shuffle(decoys)
    for decoy in decoys:
        site = target(decoy.kind)
        dodge = b.rng.choice(("plain", "plain", "spaced", "bracket", "traditional"))
        dealt[site].append(b.item(decoy, dodge, flavours[site], note="decoy"))
    for n, text in enumerate(_COMMON_WORD_CUED):
        dealt[order[n % len(order)]].append(_Item(text, None, None, "common-word"))
    for site in order:
        b.rng.shuffle(dealt[site])
    return dealt


def build_discovery_world(seed: int = 2026) -> DiscoveryWorld:
    """Build every site and its answer key; the same seed gives the same bytes and key."""
    b = _Builder(seed)
    dealt = _deal(b)
    reviews = [_Item(text, None, key, "no-cue") for key, text in _REVIEWS]
    _link_site(b, _STYLES[LINKS_A], dealt[LINKS_A], farm=True)
    _link_site(b, _STYLES[LINKS_B], dealt[LINKS_B], farm=False)
    _forum(b, _STYLES[FORUM], dealt[FORUM], reviews[::3])
    _torrent_site(b, _STYLES[TORRENTS])
    _shop(b, _STYLES[SHOP], dealt[SHOP])
    _video_site(b, _STYLES[OLD], dealt[OLD])
    _video_site(b, _STYLES[NEW], dealt[OLD])
    _news(b, _STYLES[NEWS], [r for n, r in enumerate(reviews) if n % 3])
    sites = []
    for name, style in _STYLES.items():
        files = {
            path: SiteFile(f.body.replace(_ANNOUNCE_MARK, ""), f.content_type)
            if isinstance(f.body, str)
            else f
            for path, f in b.files[name].items()
        }
        site = DiscoverySite(
            name, style.title, style.kind, files, first_phase=2 if name == NEW else 1
        )
        if name == OLD:
            for note in _ANNOUNCEMENTS:
                page = b.files[name][note.path]
                assert isinstance(page.body, str)
                banner = escape(
                    note.template.replace("{port}", _token(note.form, NEW)), quote=False
                )
                body = page.body.replace(
                    _ANNOUNCE_MARK, f'<div class="gonggao"><strong>公告</strong> {banner}</div>'
                )
                site.phase_2_files[note.path] = SiteFile(body, page.content_type)
        sites.append(site)
    world = DiscoveryWorld(
        seed=seed,
        works=list(WORKS),
        decoys=[d.title for d in DECOYS],
        sites=sites,
        title_spots=list(b.spots.values()),
        share_links=b.share_links,
        magnets=b.magnets,
        torrents=sorted(b.torrents, key=lambda t: t.path),
        domain_hops=[DomainHop(OLD, NEW, _ANNOUNCEMENTS)],
        icp_numbers=b.icp,
        psb_numbers=b.psb,
        contacts=b.contacts,
        ads=b.ads,
        payment_pages=b.payment_pages,
    )
    log.info(
        "discovery world seed %d: %d sites, %d spots (%d positive), %d torrents, %d shares",
        seed,
        len(sites),
        len(world.title_spots),
        len(world.positive_spots()),
        len(world.torrents),
        len(world.share_links),
    )
    return world


# --- serving -------------------------------------------------------------------------------------


class DiscoverySandbox:
    """Serves a world on 127.0.0.1 in two phases.

    :meth:`start` reserves a port for every site (bound sockets, so nothing else takes them;
    fixed ``ports`` are used as given) and serves the phase-1 sites; the new address of the
    moving site stays down, a bound but not listening port, so a connection is refused.
    :meth:`switch_to_phase_2` publishes the announcements on the old address and brings the new
    one up. :meth:`port` and :meth:`base_url` answer for every site from :meth:`start` on.
    """

    def __init__(
        self,
        world: DiscoveryWorld,
        *,
        ports: Mapping[str, int] | None = None,
        journal: RequestJournal | None = None,
    ) -> None:
        self.world = world
        self.journal = journal
        self._fixed = dict(ports or {})
        self._ports: dict[str, int] = {}
        self._held: dict[str, socket.socket] = {}
        self._servers: list[SandboxServer] = []
        self.phase = 0

    def __enter__(self) -> DiscoverySandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, sites: list[DiscoverySite], phase: int) -> None:
        for site in sites:
            held = self._held.pop(site.name, None)
            if held is not None:
                held.close()
        server = SandboxServer(
            [s.sandbox_site(phase=phase, ports=self._ports) for s in sites],
            ports={s.name: self._ports[s.name] for s in sites},
            journal=self.journal,
        )
        server.start()
        self._servers.append(server)

    def start(self) -> None:
        """Reserve every site's port and serve phase 1; a no-op once started."""
        if self.phase:
            return
        try:
            for site in self.world.sites:
                if site.name in self._fixed:
                    self._ports[site.name] = self._fixed[site.name]
                    continue
                held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                held.bind((HOST, 0))
                self._held[site.name] = held
                self._ports[site.name] = int(held.getsockname()[1])
            self._serve([s for s in self.world.sites if s.first_phase <= 1], 1)
        except OSError:
            self.stop()
            raise
        self.phase = 1
        log.info("discovery sandbox phase 1: %s", self._ports)

    def switch_to_phase_2(self) -> None:
        """Announce the new address on the old site and start the new site."""
        if self.phase != 1:
            raise RuntimeError(f"switch_to_phase_2 needs phase 1, not {self.phase}")
        for site in self.world.sites:
            if site.first_phase <= 1:
                for path, f in site.phase_2_files.items():
                    route = Resource(f.render(self._ports), f.content_type)
                    self._servers[0].add_route(site.name, path, route)
        self._serve([s for s in self.world.sites if s.first_phase == 2], 2)
        self.phase = 2
        log.info("discovery sandbox phase 2: %s moved to port %d", OLD, self._ports[NEW])

    def stop(self) -> None:
        """Stop every server and release the reserved ports."""
        for server in self._servers:
            server.stop()
        for held in self._held.values():
            held.close()
        self._servers.clear()
        self._held.clear()
        self.phase = 0

    def port(self, site: str) -> int:
        """The port ``site`` has (or will have, before its phase)."""
        return self._ports[site]

    def base_url(self, site: str) -> str:
        """``http://127.0.0.1:<port>`` of ``site``, no trailing slash."""
        return f"http://{HOST}:{self.port(site)}"

    def ports(self) -> dict[str, int]:
        """Every site's port."""
        return dict(self._ports)

    def announcements(self) -> list[tuple[DomainHop, Announcement, str]]:
        """Each domain hop's notices with the real new port, as phase 2 shows them."""
        return [
            (hop, note, note.text(self._ports[hop.new_site]))
            for hop in self.world.domain_hops
            for note in hop.announcements
        ]


def serve_discovery_world(
    world: DiscoveryWorld,
    *,
    phase: int = 1,
    ports: Mapping[str, int] | None = None,
    journal: RequestJournal | None = None,
) -> DiscoverySandbox:
    """Start serving ``world`` in ``phase`` (1 or 2); the caller stops the returned sandbox."""
    if phase not in (1, 2):
        raise ValueError(f"phase must be 1 or 2, not {phase}")
    sandbox = DiscoverySandbox(world, ports=ports, journal=journal)
    sandbox.start()
    if phase == 2:
        try:
            sandbox.switch_to_phase_2()
        except BaseException:
            sandbox.stop()
            raise
    return sandbox
