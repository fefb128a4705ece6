"""Title matching: pages that name a protected work next to distribution cues.

A link list, heading or page title that reads "《庆余年》第1-40集 百度网盘 1080P" is evidence of
its own, weaker than a media fingerprint match but often the only evidence a cyberlocker index
or a forum post offers. Pirates dodge keyword filters with inserted spaces and symbols
("庆 余 年", "庆*余*年"), traditional characters ("慶餘年"), full-width letters and brackets, so
names and page text are folded the same way (``fold_for_matching``: compatibility forms,
case, traditional → simplified, letters and digits only) and all names are searched at once
with an Aho-Corasick automaton (``pyahocorasick``: C, linear in the text whatever the number of
names, and well kept; a pure-Python automaton would be ~50× slower on a page of links).

A name alone is never a detection: a review or news page names works all day. A hit needs the
name *and* a distribution cue (episodes, quality, cloud drive, download, torrent, magnet, free
streaming, resource packs, sale) in the same piece of text, or, with a lower score, a strong
cue in the page title (for titles, headings, links and listings; running text on a download
site describes and recommends, and is not taken on the title's word). Names that are common
words or very short ("Home", "Up", "家", "英雄") must in addition stand as a whole title unit:
the piece of text holds nothing but the name, cues, episode and quality marks, years, sizes
and brackets. Latin names only match on word
boundaries of the original text, so "Home" never matches inside "Homepage".

Work is bounded: at most ``MAX_SPOTS`` spots and ``MAX_PAGE_CHARS`` characters per page, the
first ``MAX_SPOT_CHARS`` characters of a spot, and ``MAX_CANDIDATES_PER_SPOT`` name occurrences
judged per spot, so a hostile page costs no more than an ordinary large one.

Score (0..1; see ``_score``): by where the text stood (title 0.55, heading 0.50, link and
listing 0.45, body 0.30), + 0.10 for a whole title unit, + 0.08 per strong cue label (up to 3),
+ 0.04 per weak cue label (up to 2), + 0.03 when an episode form was read. A hit that rests
only on the page title's cues scores half its place and unit weight + 0.05 per page cue (up
to 2), so it always ranks below the same text with cues of its own.
"""

from __future__ import annotations

import bisect
import enum
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import ahocorasick
import numpy as np

from jianwang.media.text import FoldedText, fold_for_matching, to_simplified

log = logging.getLogger(__name__)

MAX_SPOTS = 5000
"""Spots of one page looked at; a page with more (a hostile or endless listing) is cut."""
MAX_SPOT_CHARS = 2000
"""Characters of one spot looked at: a title, heading or link is far shorter, and a body's
head is where a listing names its work."""
MAX_PAGE_CHARS = 1_000_000
"""Characters of one page looked at, all spots together."""
MAX_URL_CHARS = 500
"""Characters of a link's target read for cues (magnet:, .torrent, pan.baidu.com...)."""
MAX_CANDIDATES_PER_SPOT = 64
"""Name occurrences judged per spot (each costs a few regular-expression passes)."""
_PER_NAME = 4
"""Occurrences of one name judged per spot: one work's best hit per spot is all we return."""
QUOTE_CHARS = 300
_UNIT_SLACK = 80
"""Folded characters beyond the name that a whole title unit may hold (cues, episodes...)."""

WHERES = ("title", "heading", "link", "listing", "body")
_PLACE_WEIGHT = {"title": 0.55, "heading": 0.50, "link": 0.45, "listing": 0.45, "body": 0.30}
CUE_LABELS = (
    "episodes",
    "complete",
    "quality",
    "cloud_drive",
    "download",
    "magnet",
    "torrent",
    "free_watch",
    "resource",
    "sale",
)


@dataclass(frozen=True)
class TitleEntry:
    """One protected work's names: its title and aliases (other scripts, abbreviations, pinyin)."""

    work_id: int
    title: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextSpot:
    """One piece of a page's text and where it stood; ``url`` is a link's target."""

    where: str
    text: str
    url: str | None = None

    def __post_init__(self) -> None:
        if self.where not in WHERES:
            raise ValueError(f"unknown spot kind {self.where!r}; expected one of {WHERES}")


@dataclass(frozen=True)
class TitleHit:
    """A work named with distribution cues in one spot.

    ``cues`` are normalised labels (``CUE_LABELS``); ``page_cues_only`` says they came from the
    page title rather than the spot itself, the weakest evidence this module gives. ``url`` is
    the spot's link target, so a caller can tie the hit to the share or magnet it points at.
    """

    work_id: int
    name: str
    where: str
    text: str
    cues: tuple[str, ...]
    episode: str | None
    score: float
    page_cues_only: bool = False
    url: str | None = None


# ---------------------------------------------------------------------------------------------
# Cue text: patterns read a lightly normalised form in which punctuation is one space, spaces
# between Chinese characters are gone and letter-spaced Latin ("d o w n l o a d") is joined.

_CJK = "\u2e80-\u9fff\uf900-\ufaff"
_NOT_CUE_CHAR = re.compile(r"[^\w¥$€£]+|_+")
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_LETTER_SPACED = re.compile(r"(?<![a-z0-9])[a-z0-9](?: [a-z0-9]){2,}(?![a-z0-9])")


def _cue_text(s: str) -> str:
    s = to_simplified(unicodedata.normalize("NFKC", s).lower())
    s = _NOT_CUE_CHAR.sub(" ", s)
    s = _CJK_GAP.sub("", s)
    return _LETTER_SPACED.sub(lambda m: m.group().replace(" ", ""), s).strip()


def _latin(words: str) -> str:
    """Latin cue words (``"|"``-separated patterns) on word boundaries; Chinese neighbours count
    as boundaries."""
    return r"(?<![a-z])(?:" + words + r")(?![a-z])"


def _any(*parts: str) -> str:
    return "(?:" + "|".join(parts) + ")"


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = r"(\d{1,4}|[零〇一二两三四五六七八九十百千]{1,6})"
_EPS = "[集话期]"


def _num(s: str | None) -> int | None:
    """A number written in digits or Chinese numerals (十二 → 12, 一百零五 → 105)."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    total = cur = 0
    for ch in s:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        else:
            total += (cur or 1) * _CN_UNITS[ch]
            cur = 0
    return total + cur


def _e(n: int) -> str:
    return f"E{n:02d}"


def _range(a: int | None, b: int | None) -> str | None:
    if a is None:
        return None
    return _e(a) if b is None or b <= a else f"{_e(a)}-{_e(b)}"


def _season(s: int | None, rest: str | None) -> str | None:
    return None if s is None else f"S{s:02d}{rest or ''}"


def _seasons(a: int, b: int | None) -> str | None:
    return None if b is None else f"S{a:02d}-S{b:02d}"


class _EpisodeForm(NamedTuple):
    pattern: str
    read: Callable[[re.Match[str]], str | None]
    numbered: bool = True  # names episodes or seasons by number: the "episodes" cue
    complete: bool = False  # says the whole run is there: the "complete" cue


_EPISODE_FORMS: tuple[_EpisodeForm, ...] = (
    _EpisodeForm(  # S01E03, s1 e3, S01E01-E10
        r"(?<![a-z0-9])s ?(\d{1,2}) ?(?:e|ep|episode) ?(\d{1,4})(?: ?(?:e|ep) ?(\d{1,4}))?(?!\d)",
        lambda m: _season(_num(m[1]), _range(_num(m[2]), _num(m[3]))),
    ),
    _EpisodeForm(  # 第2季第3集, 第2季第1-10集
        rf"第 ?{_NUM} ?季 ?第 ?{_NUM}(?: ?(?:至|到)? ?第? ?{_NUM})? ?{_EPS}",
        lambda m: _season(_num(m[1]), _range(_num(m[2]), _num(m[3]))),
    ),
    _EpisodeForm(  # Season 1 Episode 3, Season 2
        r"(?<![a-z])season ?(\d{1,2})(?: ?episode ?(\d{1,4}))?(?!\d)",
        lambda m: _season(_num(m[1]), _range(_num(m[2]), None)),
    ),
    _EpisodeForm(  # 更新至第20集: episodes 1 to 20 are out
        rf"更新 ?(?:至|到) ?第? ?{_NUM} ?{_EPS}",
        lambda m: _range(1, _num(m[1])),
    ),
    _EpisodeForm(  # 全40集, 共40集, 40集全
        rf"(?:全|共) ?{_NUM} ?集|{_NUM} ?集全",
        lambda m: _range(1, _num(m[1] or m[2])),
        complete=True,
    ),
    _EpisodeForm(  # 第12集, 第1-40集 ("-" reads as a space here), 第一至四十集
        rf"第 ?{_NUM}(?: ?(?:至|到)? ?第? ?{_NUM})? ?{_EPS}",
        lambda m: _range(_num(m[1]), _num(m[2])),
    ),
    _EpisodeForm(  # EP03, EP01-EP10, Episode 3
        r"(?<![a-z0-9])(?:ep|episode) ?(\d{1,4})(?: ?(?:ep|e) ?(\d{1,4}))?(?!\d)",
        lambda m: _range(_num(m[1]), _num(m[2])),
    ),
    _EpisodeForm(  # E01-E40 (two digits at least: a bare "e3" is too common)
        r"(?<![a-z0-9])e(\d{2,4})(?: ?e(\d{2,4}))?(?![a-z0-9])",
        lambda m: _range(_num(m[1]), _num(m[2])),
    ),
    _EpisodeForm(  # 全五季, 共10季, S01-S10: seasons 1 to n
        rf"(?:全|共) ?{_NUM} ?季|(?<![a-z0-9])s(\d{{1,2}}) ?s(\d{{1,2}})(?![a-z0-9])",
        lambda m: _seasons(_num(m[2]) or 1, _num(m[1] or m[3])),
        complete=True,
    ),
    _EpisodeForm(  # 第2季, S02
        rf"第 ?{_NUM} ?季|(?<![a-z0-9])s(\d{{2}})(?![a-z0-9])",
        lambda m: _season(_num(m[1] or m[2]), None),
    ),
    _EpisodeForm(
        r"全集|全季|全剧|(?<![a-z])complete (?:series|seasons?|collection)(?![a-z])",
        lambda m: "全集",
        numbered=False,
        complete=True,
    ),
)
_EPISODES = tuple((re.compile(f.pattern), f.read) for f in _EPISODE_FORMS)
_COMPLETE_FORMS = (*(f.pattern for f in _EPISODE_FORMS if f.complete), "完结|大结局")
_NUMBERED_FORMS = tuple(f.pattern for f in _EPISODE_FORMS if f.numbered)

# (label, strong, pattern). Weak cues (episodes, quality, complete, a bare price) also fill
# legitimate news and shop pages; strong ones (drives, downloads, torrents, free streaming,
# resource packs, sale words) rarely stand next to a work's name for any other reason.
_CUE_FORMS: tuple[tuple[str, bool, str], ...] = (
    ("episodes", False, _any(*_NUMBERED_FORMS)),
    ("complete", False, _any(*_COMPLETE_FORMS)),
    (
        "quality",
        False,
        _any(
            r"(?<!\d)(?:4320|2160|1440|1080|720|576|480|360)[pi](?![a-z])",
            r"(?<![a-z0-9])[248]k(?![a-z])",
            _latin(
                r"hd|fhd|uhd|hdr|hdrip|bd|bdrip|brrip|blu ?ray|remux|web ?dl|web ?rip|"
                r"hdtv|dvd ?rip|dvdscr|dvd|x26[45]|h ?26[45]|hevc|10bit|hdcam"
            ),
            "高清|超清|标清|蓝光|原盘|画质|杜比|无水印|高码率",
        ),
    ),
    (
        "cloud_drive",
        True,
        _any(
            "百度网盘|百度云盘|阿里云盘|阿里网盘|夸克网盘|天翼云盘|迅雷云盘|网盘|云盘|百度云|百度盘|"
            "夸克|天翼云|蓝奏|提取码|提取密码|访问码|分享链接|链接提取",
            r"(?<!\d)115 ?(?:网盘|盘|云|礼包|分享|链接)",
            _latin(
                r"pan baidu|baidu ?pan|aliyundrive|alipan|quark|mega nz|mediafire|"
                r"google drive|gdrive|terabox|1fichier|rapidgator|nitroflare|uptobox|"
                r"lanzou\w*|123pan"
            ),
        ),
    ),
    ("download", True, _any("下载|迅雷|电驴", _latin(r"download\w*|ed2k|thunder|ddl"))),
    ("torrent", True, _any("种子", _latin(r"bt|torrents?"))),
    ("magnet", True, _any("磁力|磁链", _latin(r"magnet|btih"))),
    (
        "free_watch",
        True,
        _any(
            "在线观看|免费观看|在线播放|免费在线|在线看|免费看|线上看|线上观看|免费播放",
            _latin(
                r"watch (?:[a-z0-9]+ ){0,4}(?:online|free)|free (?:online|stream\w*)|"
                r"online free|stream\w* free"
            ),
        ),
    ),
    ("resource", True, "资源|合集|打包|全套|合辑"),
    (
        "sale",
        True,
        _any(
            "出售|售卖|购买|淘宝|闲鱼|拼多多|微店|包邮|低价|代购|秒发|自动发货|拍下",
            _latin(r"for sale|buy now"),
        ),
    ),
    ("sale", False, r"[¥$] ?\d+(?: \d+)?|\d+(?: \d+)? ?元(?![素旦宵朝代老帅首])"),
)
_CUES = tuple((label, strong, re.compile(p)) for label, strong, p in _CUE_FORMS)

# Words of news, reviews and trailers: with only weak cues around, a page that uses them is
# talking about the work, not handing it out.
_NEWSY = re.compile(
    _any(
        "剧情|解析|影评|评测|点评|预告|花絮|定档|官宣|收视|票房|剧透|观后感|盘点|首播|开播|杀青|"
        "演员表|采访|新闻|报道|评分",
        _latin(
            r"reviews?|trailers?|recap|explained|cast|box office|ratings?|interview|"
            r"news|premieres?"
        ),
    )
)

# What a whole title unit may hold beside the name: cues, episode forms, years, sizes, formats,
# language and version marks, and release-style words.
_FILLER = _any(
    "电影|电视剧|剧集|连续剧|动漫|动画|番剧|综艺|纪录片|美剧|韩剧|日剧|英剧|港剧|台剧|泰剧|国产|"
    "国语|粤语|英语|日语|韩语|原声|中字|中文|字幕|双语|中英|简繁|最新|更新|免费|在线|观看|播放|"
    "正片|地址|链接|分享|视频|片源|高速|完整|热播|收藏|"
    "小说|全本|完本|全文|精校版|精排版|精校|校对|精排|有声书|有声|专辑|歌曲|单曲|音乐|无损|发货",
    "(?:国语|粤语|英语|中字|中英|双语|完整|未删减|无删减|加长|导演剪辑|剧场|电影|tv|高清|修复|"
    "抢先|正式|蓝光|hd|精校|精排|典藏|珍藏|收藏|纪念|无删)版",
    "永久有效|永久|有效|已售 ?\\d+|售出 ?\\d+|销量 ?\\d+|现货|秒发|在售",
    r"(?<!\d)(?:19|20)\d\d(?!\d)",
    r"(?<![a-z0-9])\d+(?: \d+)? ?(?:gb|mb|tb|g|m)(?![a-z])",
    _latin(
        r"movies?|films?|series|tv|shows?|full|free|online|watch|stream\w*|"
        r"episodes?|seasons?|complete|english|chinese|subs?|subbed|subtitles?|"
        r"dubbed|dual|audio|rip|mp4|mkv|avi|rmvb|wmv|flv|aac|ac3|dts|ddp?5 1|"
        r"atmos|proper|repack|extended|uncut|unrated|remastered|version|edition|"
        r"links?|here|now|txt|epub|mobi|azw3|pdf|ebook|novel|audiobook|album|"
        r"flac|ape|wav|mp3|m4a|ogg|\d{3}k|lossless"
    ),
)
# A drive's extraction code ("提取码: 8a7b") goes first, so that the code goes with its label.
_SHARE_CODE = r"(?:提取码|提取密码|访问码|密码|code|pwd) ?[a-z0-9]{4,8}(?![a-z0-9])"
_REMOVABLE = re.compile(
    _any(_SHARE_CODE, *(p for _, _, p in _CUE_FORMS), *(f.pattern for f in _EPISODE_FORMS), _FILLER)
)
_RELEASE_GROUP = re.compile(r"-[A-Za-z0-9]{2,15}\s*$")
_RESIDUE = re.compile(r"[^\s¥$€£]")
_SEGMENT_BREAK = re.compile(r"\s+[-–—~]+\s+|[|｜丨\n\r\t]|\s+/\s+|\s{3,}")


@dataclass(frozen=True)
class _Cues:
    labels: frozenset[str] = frozenset()
    strong: frozenset[str] = frozenset()
    episode: str | None = None
    newsy: bool = False

    def merged(self, other: _Cues) -> _Cues:
        return _Cues(
            self.labels | other.labels,
            self.strong | other.strong,
            self.episode or other.episode,
            self.newsy or other.newsy,
        )

    def qualifies(self, where: str) -> bool:
        """Enough to call the named work distributed here: a strong cue; or weak ones, not
        among news or review words, two different ones or one outside running text."""
        if self.strong:
            return True
        if not self.labels or self.newsy:
            return False
        return len(self.labels) >= 2 or where != "body"


_NO_CUES = _Cues()


def _find_cues(cue_text: str) -> _Cues:
    if not cue_text:
        return _NO_CUES
    labels: set[str] = set()
    strong: set[str] = set()
    for label, is_strong, pattern in _CUES:
        if (is_strong and label in strong) or (not is_strong and label in labels):
            continue
        if pattern.search(cue_text):
            labels.add(label)
            if is_strong:
                strong.add(label)
    episode = None
    if labels & {"episodes", "complete"}:
        for pattern, read in _EPISODES:
            m = pattern.search(cue_text)
            if m and (episode := read(m)):
                break
    return _Cues(frozenset(labels), frozenset(strong), episode, bool(_NEWSY.search(cue_text)))


def _only_title_marks(rest: str) -> bool:
    """Whether ``rest`` (a spot segment with the name blanked) holds nothing but cues, episode
    and quality marks, years, sizes, formats and punctuation."""
    if rest.count(".") >= 2:  # release-name style: Home.2009.1080p.BluRay.x264-GROUP
        rest = _RELEASE_GROUP.sub("", rest)
    return not _RESIDUE.search(_REMOVABLE.sub(" ", _cue_text(rest)))


# ---------------------------------------------------------------------------------------------
# Names.


# Frequent English words (Fry's list, first few hundred) and common words that are also
# titles: a Latin name made only of these is matched as a whole title unit only.
def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_COMMON_WORDS = _word_set(
    """
    the of and to a in is it you that he was for on are with as i his they be at one have this
    from or had by not word but what some we can out other were all there when up use your how
    said an each she which do their time if will way about many then them write would like so
    these her long make thing see him two has look more day could go come did number sound no
    most people my over know water than call first who may down side been now find any new work
    part take get place made live where after back little only round man year came show every
    good me give our under name very through just form sentence great think say help low line
    differ turn cause much mean before move right boy old too same tell does set three want air
    well also play small end put home read hand port large spell add even land here must big
    high such follow act why ask men change went light kind off need house picture try us again
    animal point mother world near build self earth father head stand own page should country
    found answer school grow study still learn plant cover food sun four between state keep eye
    never last let thought city tree cross farm hard start might story saw far sea draw left
    late run while press close night real life few north open seem together next white children
    begin got walk example ease paper group always music those both mark often letter until mile
    river car feet care second book carry took science eat room friend began idea fish mountain
    stop once base hear horse cut sure watch color face wood main enough plain girl usual young
    ready above ever red list though feel talk bird soon body dog family direct pose leave song
    measure door product black short numeral class wind question happen complete ship area half
    rock order fire south problem piece told knew pass since top whole king space heard best
    hour better true during hundred five remember step early hold west ground interest reach
    fast verb sing listen six table travel less morning ten simple several vowel toward war lay
    against pattern slow center love person money serve appear road map rain rule govern pull
    cold notice voice unit power town fine certain fly fall lead cry dark machine note wait plan
    figure star box noun field rest correct able pound done beauty drive stood contain front
    teach week final gave green oh quick develop ocean warm free minute strong special mind
    behind clear tail produce fact street inch multiply nothing course stay wheel full force
    blue object decide surface deep moon island foot system busy test record boat common gold
    possible plane stead dry wonder laugh thousand ago ran check game shape equate hot miss
    brought heat snow tire bring yes distant fill east paint language among
    friends cars alone crash taken gravity frozen brave soul signs split glass lost heroes
    office fight club heart dream dreams home alone inside out get into wild hope honey sweet
    lucky happy sorry please thanks hello goodbye yesterday today tomorrow forever always
    everything something nobody somebody mine yours hers ours theirs baby mom dad brother sister
    """
)


class _Tier(enum.Enum):
    NORMAL = "normal"  # a cue in the spot, or a strong one in the page title
    ACRONYM = "acronym"  # registered in capitals, 2-4 letters: same-spot cue, capitals on page
    STRICT = "strict"  # common word or very short: same-spot cue and a whole title unit


@dataclass(frozen=True)
class _Name:
    work_id: int
    name: str
    folded: str
    tier: _Tier
    latin_start: bool  # the name's first character needs a word boundary before it
    latin_end: bool
    latin: bool  # letters and digits of spaced scripts only
    word_ends: frozenset[int]  # folded positions where the registered words end
    has_cue: bool  # the name itself holds cue or news words, blanked before cues are read


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF  # radicals, kana, bopomofo, compatibility jamo, Han, ext. A
        or 0xAC00 <= o <= 0xD7FF
        or 0xF900 <= o <= 0xFAFF
        or 0x1100 <= o <= 0x11FF
        or 0xA960 <= o <= 0xA97F
        or 0xFF66 <= o <= 0xFF9F
        or 0x20000 <= o <= 0x3FFFF
    )


def _is_spaced(ch: str) -> bool:
    """A letter or digit of a script that separates words with spaces (Latin, digits...)."""
    return ch.isalnum() and not _is_cjk(ch)


def _make_name(work_id: int, name: str) -> _Name | None:
    folded = fold_for_matching(name).text
    if not folded:
        log.warning("work %d: name %r has no letters or digits; ignored", work_id, name)
        return None
    words = [w for w in (fold_for_matching(p).text for p in re.split(r"[\W_]+", name)) if w]
    latin = all(_is_spaced(c) for c in folded)
    weight = sum(2 if _is_cjk(c) else 1 for c in folded)
    letters = [c for c in unicodedata.normalize("NFKC", name) if c.isalpha()]
    if latin and 2 <= len(folded) <= 4 and letters and all(c.isupper() for c in letters):
        tier = _Tier.ACRONYM
    elif (latin and words and all(w in _COMMON_WORDS for w in words)) or weight <= 4:
        tier = _Tier.STRICT
    else:
        tier = _Tier.NORMAL
    ends: list[int] = []
    for w in words[:-1]:
        ends.append((ends[-1] if ends else 0) + len(w))
    blank = _find_cues(_cue_text(name))
    return _Name(
        work_id,
        name,
        folded,
        tier,
        _is_spaced(folded[0]),
        _is_spaced(folded[-1]),
        latin,
        frozenset(ends),
        bool(blank.labels) or blank.newsy,
    )


# ---------------------------------------------------------------------------------------------
# Matching.


class _Candidate(NamedTuple):
    name: int  # index into TitleMatcher._names
    start: int  # folded positions, end exclusive
    end: int


class _SpotView:
    """One spot being judged, with what is read from it computed once and only when needed."""

    def __init__(self, order: int, spot: TextSpot, text: str, folded: FoldedText) -> None:
        self.order = order
        self.spot = spot
        self.text = text
        self.folded = folded

    @cached_property
    def cues(self) -> _Cues:
        return _find_cues(_cue_text(self.text))

    @cached_property
    def url_cues(self) -> _Cues:
        if self.spot.where != "link" or not self.spot.url:
            return _NO_CUES
        cues = _find_cues(_cue_text(self.spot.url[:MAX_URL_CHARS]))
        # A URL's words are no news, and its "ep03" is no episode the page shows.
        return _Cues(cues.labels, cues.strong)

    @cached_property
    def breaks(self) -> tuple[list[int], list[int]]:
        found = list(_SEGMENT_BREAK.finditer(self.text))
        return [m.start() for m in found], [m.end() for m in found]

    def segment(self, start: int, end: int) -> tuple[int, int]:
        """The stretch of original text between the separators around ``start:end``."""
        starts, ends = self.breaks
        i = bisect.bisect_right(ends, start)
        lo = ends[i - 1] if i else 0
        j = bisect.bisect_left(starts, end)
        hi = starts[j] if j < len(starts) else len(self.text)
        return lo, hi


class TitleMatcher:
    """All protected works' names in one automaton; ``find`` judges one page's text spots."""

    def __init__(self, entries: Sequence[TitleEntry]) -> None:
        names: list[_Name] = []
        by_key: dict[str, list[int]] = {}
        seen: set[tuple[int, str]] = set()
        for entry in entries:
            for raw in (entry.title, *entry.aliases):
                name = _make_name(entry.work_id, raw)
                if name is None or (entry.work_id, name.folded) in seen:
                    continue
                seen.add((entry.work_id, name.folded))
                by_key.setdefault(name.folded, []).append(len(names))
                names.append(name)
        self._names = names
        self._automaton = ahocorasick.Automaton()
        for key, idxs in by_key.items():
            self._automaton.add_word(key, (len(key), tuple(idxs)))
        if names:
            self._automaton.make_automaton()
        log.debug("title matcher: %d names of %d works", len(names), len(entries))

    def find(self, spots: Sequence[TextSpot]) -> list[TitleHit]:
        """Works named with distribution cues: at most one hit per (work, spot), best first."""
        if not self._names:
            return []
        views = list(self._views(spots))
        page_strong: frozenset[str] = frozenset()
        for view in views:
            if view.spot.where == "title":
                page_strong |= view.cues.strong
        hits: list[tuple[int, TitleHit]] = []
        for view in views:
            best: dict[int, TitleHit] = {}
            for cand in _outermost(self._candidates(view.folded), self._names):
                hit = self._judge(view, cand, page_strong)
                if hit is None:
                    continue
                held = best.get(hit.work_id)
                if held is None or (hit.score, len(hit.name)) > (held.score, len(held.name)):
                    best[hit.work_id] = hit
            hits.extend((view.order, h) for h in best.values())
        hits.sort(key=lambda oh: (-oh[1].score, oh[0], oh[1].work_id))
        return [h for _, h in hits]

    def _views(self, spots: Sequence[TextSpot]) -> Iterator[_SpotView]:
        budget = MAX_PAGE_CHARS
        if len(spots) > MAX_SPOTS:
            log.warning("page with %d text spots: only the first %d read", len(spots), MAX_SPOTS)
        for order, spot in enumerate(spots[:MAX_SPOTS]):
            text = spot.text[: min(MAX_SPOT_CHARS, budget)]
            budget -= len(text)
            folded = fold_for_matching(text)
            if folded.text:
                yield _SpotView(order, spot, text, folded)
            if budget <= 0:
                log.warning("page text past %d characters: the rest not read", MAX_PAGE_CHARS)
                return

    def _candidates(self, folded: FoldedText) -> list[_Candidate]:
        """Name occurrences whose edges sit on word boundaries where the name needs them."""
        out: list[_Candidate] = []
        counts: dict[int, int] = {}
        for last, (length, idxs) in self._automaton.iter(folded.text):
            start, end = last - length + 1, last + 1
            for i in idxs:
                if counts.get(i, 0) >= _PER_NAME or not _edges_ok(
                    self._names[i], folded, start, end
                ):
                    continue
                counts[i] = counts.get(i, 0) + 1
                out.append(_Candidate(i, start, end))
                if len(out) >= MAX_CANDIDATES_PER_SPOT:
                    return out
        return out

    def _judge(
        self, view: _SpotView, cand: _Candidate, page_strong: frozenset[str]
    ) -> TitleHit | None:
        name = self._names[cand.name]
        offsets = view.folded.offsets
        o_start, o_end = int(offsets[cand.start]), int(offsets[cand.end - 1]) + 1
        if name.tier is not _Tier.NORMAL and name.latin and not _runs_ok(name, offsets, cand):
            return None
        # Pinyin initials are often written in lower case ("qyzx"): that is still the
        # abbreviation, unless it spells an everyday word ("got", "up").
        if (
            name.tier is _Tier.ACRONYM
            and not _capitals_ok(view.text[o_start:o_end])
            and view.folded.text[cand.start : cand.end] in _COMMON_WORDS
        ):
            return None
        if name.has_cue:
            cues = _find_cues(_cue_text(f"{view.text[:o_start]} {view.text[o_end:]}"))
        else:
            cues = view.cues
        if name.tier is _Tier.NORMAL:
            cues = cues.merged(view.url_cues)
        unit = self._is_unit(view, cand, o_start, o_end)
        if name.tier is _Tier.STRICT and not unit:
            return None
        where = view.spot.where
        if cues.qualifies(where):
            page_only = False
            labels = cues.labels
        elif name.tier is _Tier.NORMAL and page_strong and where != "body":
            page_only = True
            labels = page_strong
        else:
            return None
        return TitleHit(
            work_id=name.work_id,
            name=name.name,
            where=where,
            text=_quote(view.text, o_start, o_end, len(view.spot.text)),
            cues=tuple(label for label in CUE_LABELS if label in labels),
            episode=None if page_only else cues.episode,
            score=_score(where, unit, cues, page_only, page_strong),
            page_cues_only=page_only,
            url=view.spot.url,
        )

    @staticmethod
    def _is_unit(view: _SpotView, cand: _Candidate, o_start: int, o_end: int) -> bool:
        lo, hi = view.segment(o_start, o_end)
        offsets = view.folded.offsets
        inside = int(np.searchsorted(offsets, hi) - np.searchsorted(offsets, lo))
        if inside - (cand.end - cand.start) > _UNIT_SLACK:
            return False
        return _only_title_marks(f"{view.text[lo:o_start]} {view.text[o_end:hi]}")


def _edges_ok(name: _Name, folded: FoldedText, start: int, end: int) -> bool:
    """A Latin edge of the name must not continue a word of the original text: the character
    before (after) it is not a letter or digit of a spaced script, or did not stand right next
    to it (something dropped by folding, a space or a symbol, stood between)."""
    text, offsets = folded.text, folded.offsets
    joined_before = start > 0 and offsets[start] - offsets[start - 1] <= 1
    if name.latin_start and joined_before and _is_spaced(text[start - 1]):
        return False
    joined_after = end < len(text) and offsets[end] - offsets[end - 1] <= 1
    return not (name.latin_end and joined_after and _is_spaced(text[end]))


def _runs_ok(name: _Name, offsets: np.ndarray, cand: _Candidate) -> bool:
    """For short and common Latin names: the original letters run together, or are spaced out
    one by one ("G.O.T"), or break only where the registered name has its word breaks. This
    stops "GOT" from being read across "go t..." or "Up" across "u p..." inside words."""
    span = offsets[cand.start : cand.end]
    breaks = np.flatnonzero(np.diff(span) > 1) + 1
    if breaks.size == 0:
        return True
    if np.all(np.diff(np.concatenate(([0], breaks, [span.size]))) == 1):
        return True
    return set(breaks.tolist()) <= name.word_ends


def _capitals_ok(original: str) -> bool:
    """An acronym on the page is in capitals ("GOT", "GoT"), not a lower-case word ("got")."""
    letters = [c for c in unicodedata.normalize("NFKC", original) if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return upper == len(letters) or upper >= 2


def _outermost(cands: list[_Candidate], names: list[_Name]) -> list[_Candidate]:
    """Drop occurrences lying inside a longer occurrence of another work's name: a page about
    "Home Alone" does not also name "Home"."""
    if len(cands) < 2:
        return cands
    by_length = sorted(cands, key=lambda c: c.start - c.end)
    kept: list[_Candidate] = []
    for c in by_length:
        work = names[c.name].work_id
        if any(
            k.start <= c.start
            and c.end <= k.end
            and (k.end - k.start) > (c.end - c.start)
            and names[k.name].work_id != work
            for k in kept
        ):
            continue
        kept.append(c)
    return kept


def _score(where: str, unit: bool, cues: _Cues, page_only: bool, page: frozenset[str]) -> float:
    place = _PLACE_WEIGHT[where]
    if page_only:
        return round(min(1.0, 0.5 * (place + 0.10 * unit) + 0.05 * min(len(page), 2)), 3)
    weak = len(cues.labels - cues.strong)
    score = (
        place
        + 0.10 * unit
        + 0.08 * min(len(cues.strong), 3)
        + 0.04 * min(weak, 2)
        + 0.03 * (cues.episode is not None)
    )
    return round(min(1.0, score), 3)


def _quote(text: str, start: int, end: int, full_length: int) -> str:
    """About ``QUOTE_CHARS`` characters of the original text around the name, as it stood."""
    if full_length <= QUOTE_CHARS:
        return text.strip()
    room = max(0, QUOTE_CHARS - (end - start))
    lo = max(0, start - room // 2)
    hi = min(len(text), lo + max(QUOTE_CHARS, end - start))
    lo = max(0, min(lo, hi - QUOTE_CHARS))
    return ("…" if lo > 0 else "") + text[lo:hi] + ("…" if hi < full_length else "")
