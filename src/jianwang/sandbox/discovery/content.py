"""What the sandbox's pages are made of: works and look-alikes, dodged names and cues, torrents,
and the page recorder that writes markup and key together."""

from __future__ import annotations

import base64
import hashlib
import logging
import random
from dataclasses import dataclass
from functools import cache
from html import escape
from urllib.parse import quote

import opencc

from jianwang.sandbox.discovery.key import (
    FORUM,
    HTML_TYPE,
    LINKS_A,
    LINKS_B,
    NEW,
    NEWS,
    OLD,
    SHOP,
    TORRENTS,
    AdSlot,
    Announcement,
    Contact,
    ContactKind,
    DiscoveryWork,
    MagnetLink,
    PageRef,
    ShareLink,
    SiteFile,
    SiteKind,
    SpotKind,
    TitleSpot,
    TorrentFile,
    WorkKind,
    _fullwidth,
    _token,
    normalise_number,
)

log = logging.getLogger(__name__)

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
