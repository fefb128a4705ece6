"""Operators and commercial purpose: who runs a site and how it earns, read from its pages.

An administrative case names the operator of a pirate site and weighs whether it made money
(advertising, paid membership, sales), so a capture keeps what the pages say about both:

- ICP filing and licence numbers (``京ICP备12345678号-1``, ``粤ICP证030173号``, and the
  value-added telecom licence ``京B2-20090059`` when labelled as the site's ICP licence) and
  public security filing numbers (``京公网安备11010502030123号``), mostly in the footer;
- contact e-mails (also written ``name [at] site.com`` or ``name#site.com`` with a hint) and
  messenger handles (QQ and QQ groups, WeChat and official accounts, Telegram);
- payment and membership cues (支付宝, 充值, USDT, 开通会员, 包月, VIP …) and the links that lead
  to payment or membership pages;
- advertising networks (by the hosts of scripts, frames and images, and by markers in inline
  scripts) and how many ad containers the page has.

Every number and handle is normalised so that the same operator seen on many pages and domains
compares equal. A label is required where a bare number would be ambiguous: a telephone number is
not a QQ number unless it is called one, and "ICP" in prose without a number yields nothing.

The module also holds the page reading the other page-fact modules share (``parse_html``,
``page_lines``, ``fold_text``). Pure parsing, no I/O, never raises on hostile input: a huge page
is cut to its head and tail (the footer matters) before lxml reads it, with ``recover`` on and
``huge_tree`` off, and every walk and result list is bounded.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

import lxml.etree
import lxml.html

from jianwang.monitoring.discover import absolute_url, decode_page, strip_crowded_tags

logger = logging.getLogger(__name__)

MAX_PAGE_CHARS = 4_000_000
"""A longer page is read as its first three quarters and last quarter of this (head and footer)."""
MAX_TEXT_CHARS = 1_000_000
"""Visible text read from one page."""
MAX_ELEMENTS = 100_000
"""Elements visited in one walk over a page."""
MAX_SCRIPT_CHARS = 200_000
"""An inline script longer than this is not searched (minified libraries, packed data)."""
MAX_FINDINGS = 200
"""Results kept per kind: an endless link farm yields a bounded list, not an endless one."""
MAX_ANCHORS = 20_000
"""Links weighed per page (as payment pages, filing-register links, messenger links)."""
MAX_PIECE_CHARS = 20_000
"""Characters kept of one text node, so that one giant node cannot use up the page's budget
and hide the footer after it."""

HandleKind = Literal["qq", "qq_group", "wechat", "wechat_official", "telegram"]


# --- page reading shared by the page-fact modules ----------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A link inside a :class:`PageLine`: the href as written, as an absolute http(s) URL
    (``None`` for mailto:, tencent: and the like), its text, and where that text starts."""

    href: str
    url: str | None
    text: str
    start: int


@dataclass(frozen=True)
class PageLine:
    """One line of a page as a reader sees it: the text of a block (or up to a ``<br>``)."""

    text: str
    anchors: tuple[Anchor, ...] = ()


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
        "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "option",
        "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
    }
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
_SKIP_TAGS = frozenset({"script", "style", "template", "svg", "math"})
_SPACE = re.compile(r"\s+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_TAGS = re.compile(r"<[^<>]{0,4000}>")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_TRADITIONAL = str.maketrans(
    "備證號網滬遼魯蘇貴寧陝閩贛雲晉瓊粵會員寶碼開積費買電報郵聯發頁請換記們變點廣個這裡為",
    "备证号网沪辽鲁苏贵宁陕闽赣云晋琼粤会员宝码开积费买电报邮联发页请换记们变点广个这里为",
)
_DASHES = str.maketrans(dict.fromkeys(map(ord, "‐‑‒–—―−﹣"), "-"))


def fold_text(text: str) -> str:
    """Text folded for pattern search: NFKC (full-width letters, digits, colons and dots become
    ASCII), no zero-width characters, the traditional forms of the characters searched for made
    simplified, and every kind of dash a hyphen."""
    text = unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH))
    return text.translate(_TRADITIONAL).translate(_DASHES)


def parse_html(
    html: bytes | str, url: str, *, max_chars: int = MAX_PAGE_CHARS
) -> lxml.html.HtmlElement | None:
    """A page parsed leniently, or ``None`` when nothing can be made of it.

    A page over ``max_chars`` is cut to its head and its tail, because what the page-fact
    modules look for sits at the top (announcements) and at the bottom (filing numbers).
    """
    text = decode_page(html) if isinstance(html, bytes) else html
    if len(text) > max_chars:
        head = max_chars * 3 // 4
        logger.info("page %s: %d characters, reading head and tail only", url, len(text))
        text = text[:head] + "\n" + text[-(max_chars - head) :]
    text = strip_crowded_tags(_XML_DECL.sub("", text, count=1))
    if not text.strip():
        return None
    parser = lxml.html.HTMLParser(recover=True, huge_tree=False, no_network=True)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
        logger.info("unparseable page %s: %s", url, exc)
        return None


def page_source_text(html: bytes | str, *, max_chars: int = MAX_PAGE_CHARS) -> str:
    """A page's source with its tags blanked out, without parsing: a fallback to search for
    numbers specific enough to need no structure (filing numbers) where parsing loses them, as
    in a page nested too deep for libxml2, in comments or in scripts."""
    text = decode_page(html) if isinstance(html, bytes) else html
    if len(text) > max_chars:
        head = max_chars * 3 // 4
        text = text[:head] + "\n" + text[-(max_chars - head) :]
    return _TAGS.sub(" ", text)


def base_url(root: lxml.html.HtmlElement, url: str) -> str:
    """The URL relative links on the page resolve against: ``<base href>`` if any, else ``url``."""
    for base_el in root.iter("base"):
        return absolute_url(url, base_el.get("href")) or url
    return url


@dataclass
class _LineBuilder:
    budget: int
    lines: list[PageLine] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    length: int = 0
    flushes: int = 0
    anchors: list[tuple[str, str | None, int, int]] = field(default_factory=list)

    def add(self, text: str) -> None:
        piece = _SPACE.sub(" ", text[:MAX_PIECE_CHARS])
        if piece.startswith(" ") and (not self.parts or self.parts[-1].endswith(" ")):
            piece = piece[1:]
        piece = piece[: max(self.budget, 0)]
        if piece:
            self.parts.append(piece)
            self.length += len(piece)
            self.budget -= len(piece)

    def flush(self) -> None:
        text = "".join(self.parts)
        lead = len(text) - len(text.lstrip())
        if text.strip() or self.anchors:
            anchors = tuple(
                Anchor(href, url, text[start:end].strip(), max(start - lead, 0))
                for href, url, start, end in self.anchors
            )
            self.lines.append(PageLine(text.strip(), anchors))
        self.parts, self.length, self.anchors = [], 0, []
        self.flushes += 1


@dataclass(frozen=True)
class _End:
    tag: str
    href: str | None = None
    line: int = 0
    start: int = 0


def page_lines(
    root: lxml.html.HtmlElement,
    base: str,
    *,
    max_chars: int = MAX_TEXT_CHARS,
    max_elements: int = MAX_ELEMENTS,
) -> list[PageLine]:
    """The page's visible text as lines in document order, each with the links it holds.

    Block elements and ``<br>`` end a line, table cells are separated by a space, scripts and
    styles are left out. Stops after ``max_chars`` characters or ``max_elements`` elements.
    """
    out = _LineBuilder(budget=max_chars)
    stack: list[lxml.etree._Element | str | _End] = [root]
    visited = 0
    while stack and out.budget > 0:
        item = stack.pop()
        if isinstance(item, str):
            out.add(item)
            continue
        if isinstance(item, _End):
            if item.href is not None:
                start = item.start if item.line == out.flushes else 0  # the link spans lines
                out.anchors.append((item.href, absolute_url(base, item.href), start, out.length))
            if item.tag in _BLOCK_TAGS:
                out.flush()
            elif item.tag in _CELL_TAGS:
                out.add(" ")
            continue
        visited += 1
        if visited > max_elements:
            logger.info("page walk stopped after %d elements", max_elements)
            break
        tag = item.tag.lower() if isinstance(item.tag, str) else ""
        if item.tail and item is not root:
            stack.append(item.tail)
        if not tag or tag in _SKIP_TAGS:
            continue  # comments, processing instructions, scripts: their tail is still text
        if tag in _BLOCK_TAGS:
            out.flush()
        href = item.get("href") if tag == "a" else None
        stack.append(_End(tag, href.strip() if href else None, out.flushes, out.length))
        stack.extend(reversed(item))
        if item.text:
            stack.append(item.text)
    out.flush()
    return out.lines


def _limited(items: Iterable[str], limit: int = MAX_FINDINGS) -> list[str]:
    """Items in first-seen order without repeats, at most ``limit``."""
    return list(islice(dict.fromkeys(items), limit))


# --- filing numbers ----------------------------------------------------------------------------

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼蜀黔滇陇"
"""The one-character marks of the provincial regions that issue ICP filings: the usual short
forms and the ones their registries also print (Sichuan 蜀, Guizhou 黔, Yunnan 滇, Gansu 陇)."""

_REGION_CODES = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "贵",
    "53": "云", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip
"""GB/T 2260 region prefixes of public security filing numbers, for numbers shown bare."""

_S = r"\s{0,4}"
"""Spaces between the parts of a number as pages write them; bounded, so a run of whitespace
cannot make a search quadratic."""
_ICP = re.compile(
    rf"(?P<prov>[{PROVINCES}]){_S}ICP{_S}(?P<kind>[备证]){_S}(?:案{_S})?(?:号{_S})?:?{_S}"
    rf"(?:(?P<b>[A-Z]\d){_S}-{_S})?(?P<num>\d{{5,12}})(?!\d)"
    rf"(?:{_S}-{_S}(?P<sfx1>\d{{1,3}})(?!\d))?(?:{_S}号)?(?:{_S}-{_S}(?P<sfx2>\d{{1,3}})(?!\d))?",
    re.IGNORECASE,
)
_LICENCE = re.compile(
    rf"(?:ICP{_S}(?:经营)?(?:许可)?证|增值电信业务经营许可证|经营许可证){_S}(?:编?号)?{_S}:?{_S}"
    rf"(?P<prov>[{PROVINCES}]){_S}(?P<b>B[12]){_S}-{_S}(?P<num>\d{{6,10}})(?!\d)",
    re.IGNORECASE,
)
_PSB = re.compile(
    rf"(?:(?P<prov>[{PROVINCES}]){_S})?(?:公{_S}网{_S}安{_S}备|公安(?:机关)?备案){_S}"
    rf"(?:案{_S})?(?:号{_S})?:?{_S}(?P<num>\d{{14}})(?!\d)"
)
_PSB_HOSTS = ("beian.gov.cn", "beian.mps.gov.cn")


def _icp_in(folded: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for m in _ICP.finditer(folded):
        prov, kind, num = m.group("prov"), m.group("kind"), m.group("num")
        if m.group("b"):
            found.append((m.start(), f"{prov}{m.group('b').upper()}-{num}"))
            continue
        suffix = m.group("sfx1") or m.group("sfx2")
        found.append((m.start(), f"{prov}ICP{kind}{num}号" + (f"-{suffix}" if suffix else "")))
    for m in _LICENCE.finditer(folded):
        found.append((m.start(), f"{m.group('prov')}{m.group('b').upper()}-{m.group('num')}"))
    return [number for _, number in sorted(found)]


def find_icp_numbers(text: str) -> list[str]:
    """Every ICP filing or licence number in a text, normalised (``京ICP备12345678号-1``,
    ``粤ICP证030173号``, ``京B2-20090059``), in order of appearance without repeats."""
    return _limited(_icp_in(fold_text(text)))


def _psb_number(prov: str | None, digits: str) -> str:
    prov = prov or _REGION_CODES.get(digits[:2], "")
    return f"{prov}公网安备{digits}号"


def find_psb_numbers(text: str) -> list[str]:
    """Every public security filing number in a text, as ``京公网安备11010502030123号``; where
    the page omits the province it is taken from the number's region prefix."""
    return _limited(
        _psb_number(m.group("prov"), m.group("num")) for m in _PSB.finditer(fold_text(text))
    )


def _psb_from_href(href: str) -> str | None:
    """The filing number a link to the public security filing register carries."""
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in _PSB_HOSTS):
        return None
    query = parts.query or parts.fragment.partition("?")[2]
    for key, values in parse_qs(query).items():
        if key.lower() in ("recordcode", "code"):
            for value in values:
                if re.fullmatch(r"\d{14}", value.strip()):
                    return _psb_number(None, value.strip())
    return None


# --- contacts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handle:
    """A messenger account a page gives for contact: its kind and the id as written."""

    kind: HandleKind
    value: str


_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg", "css", "js", "ico", "bmp"})
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])(?P<user>[A-Za-z0-9][A-Za-z0-9._%+-]{0,63})\s{0,4}@\s{0,4}"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24})"
    r"(?![A-Za-z0-9-])"
)
_HASH_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])(?P<user>[A-Za-z0-9][A-Za-z0-9._%+-]{0,63})#"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24})"
    r"(?![A-Za-z0-9-])"
)
_AT = re.compile(r"\s{0,4}[\[({<]\s{0,4}(?:at|艾特)\s{0,4}[\])}>]\s{0,4}", re.IGNORECASE)
_DOT = re.compile(r"\s{0,4}[\[({<]\s{0,4}(?:dot|点)\s{0,4}[\])}>]\s{0,4}", re.IGNORECASE)
_EMAIL_LABEL = re.compile(r"邮箱|邮件|信箱|e-?mail|mail|联系", re.IGNORECASE)
_HASH_HINT = re.compile(
    r"#\s{0,4}(?:换成|改成|改为|替换为|替换成|->|=>)\s{0,4}@|replace\s{0,4}#\s{0,4}with\s{0,4}@",
    re.IGNORECASE,
)


def _email(user: str, domain: str) -> str | None:
    domain = domain.lower()
    if domain.rsplit(".", 1)[-1] in _FILE_TLDS:
        return None  # logo@2x.png is an image, not an address
    return f"{user}@{domain}"


def _emails_in(folded: str) -> list[str]:
    text = _DOT.sub(".", _AT.sub("@", folded))
    found = [_email(m.group("user"), m.group("domain")) for m in _EMAIL.finditer(text)]
    for m in _HASH_EMAIL.finditer(text):
        before = text[max(m.start() - 40, 0) : m.start()]
        after = text[m.end() : m.end() + 40]
        if _EMAIL_LABEL.search(before) or _HASH_HINT.search(after) or _HASH_HINT.search(before):
            found.append(_email(m.group("user"), m.group("domain")))
    return [e for e in found if e]


def find_emails(text: str) -> list[str]:
    """Contact e-mail addresses in a text, also those written to dodge harvesters: ``name [at]
    site [dot] com``, and ``name#site.com`` where a label or a "#换成@" hint says it is one."""
    return _limited(_emails_in(fold_text(text)))


_ID = r"([1-9]\d{4,10})(?!\d)"
_QQ_GROUP = re.compile(
    r"(?:(?<![a-z0-9])q{1,2}\s{0,4}[\u4e00-\u9fff]{0,4}?群|扣扣群|群\s{0,4}号)(?:号码|号)?\s{0,4}[:]?\s{0,4}"
    + _ID,
    re.IGNORECASE,
)
_QQ_WECHAT = re.compile(
    r"(?:(?<![a-z0-9])qq\s{0,4}[/、&和或]?\s{0,4}(?:微信|vx|wx)|(?:微信|vx|wx)\s{0,4}[/、&和或]?\s{0,4}qq)"
    r"\s{0,4}(?:同号|号码|号)?\s{0,4}[:]?\s{0,4}" + _ID,
    re.IGNORECASE,
)
_QQ = re.compile(
    r"(?:(?<![a-z0-9])qq|扣扣|企鹅号)\s{0,4}(?:号码|号|客服|咨询)?\s{0,4}[:]?\s{0,4}" + _ID,
    re.IGNORECASE,
)
_WECHAT_ID = r"([a-z][-_a-z0-9]{5,19}|1[3-9]\d{9})(?![-_a-z0-9])"
_WECHAT = re.compile(
    r"(?:微信|威信|薇信|徽信)\s{0,4}(?:号码|号|id)?\s{0,4}[:]?\s{0,4}" + _WECHAT_ID
    + r"|(?<![a-z0-9])(?:vx|v信|wx|weixin|wechat)\s{0,4}(?:号码|号|id)?"
    + r"\s{0,4}(?::\s{0,4}|\s{1,4}(?=[a-z0-9_-]*[\d_]))" + _WECHAT_ID,
    re.IGNORECASE,
)  # fmt: skip
_OFFICIAL = re.compile(
    r"公众号(?:名称)?\s{0,4}(?::\s{0,4}[\"「“《]?|[\"「“《])([^\s,。;!?:\"「」“”《》()]{2,20})"
)
_TME = re.compile(
    r"(?<![a-z0-9.])(?:https?://)?(?:t|telegram)\.me/(?:s/)?"
    r"(\+[a-z0-9_-]{6,64}|joinchat/[a-z0-9_-]{6,64}|[a-z][a-z0-9_]{3,31})(?![a-z0-9_])",
    re.IGNORECASE,
)
_TG_LABEL = re.compile(
    r"(?:telegram|(?<![a-z])tg(?![a-z])|电报|纸飞机|飞机群|飞机号)"
    r"\s{0,4}(?:群组|群|频道|号|channel|group)?\s{0,4}(?::\s{0,4}@?|@)([a-z][a-z0-9_]{4,31})(?![a-z0-9_])",
    re.IGNORECASE,
)
_QQ_HREF = re.compile(r"(?:^tencent://|[/.]qq\.com/).*?[?&]uin=([1-9]\d{4,10})(?!\d)", re.I)


def _handles_in(folded: str) -> list[Handle]:
    found: list[tuple[int, Handle]] = []
    taken: list[tuple[int, int]] = []

    def add(kind: HandleKind, m: re.Match[str], value: str) -> None:
        if any(s < m.end() and m.start() < e for s, e in taken):
            return
        found.append((m.start(), Handle(kind, value)))

    for m in _QQ_GROUP.finditer(folded):
        add("qq_group", m, m.group(1))
        taken.append(m.span())
    for m in _QQ_WECHAT.finditer(folded):
        add("qq", m, m.group(1))
        add("wechat", m, m.group(1))
        taken.append(m.span())
    for m in _QQ.finditer(folded):
        add("qq", m, m.group(1))
    for m in _WECHAT.finditer(folded):
        add("wechat", m, m.group(1) or m.group(2))
    for m in _OFFICIAL.finditer(folded):
        add("wechat_official", m, m.group(1))
    for m in _TME.finditer(folded):
        add("telegram", m, m.group(1))
        taken.append(m.span())
    for m in _TG_LABEL.finditer(folded):
        add("telegram", m, m.group(1))
    return [handle for _, handle in sorted(found, key=lambda pair: pair[0])]


def find_handles(text: str) -> list[Handle]:
    """QQ numbers and groups, WeChat ids and official accounts and Telegram accounts a text
    gives, each only where a label (QQ, 群号, 微信, VX, 公众号, TG, 电报, t.me/…) says so."""
    return _unique_handles(_handles_in(fold_text(text)))


def _unique_handles(handles: Iterable[Handle]) -> list[Handle]:
    seen: dict[tuple[str, str], Handle] = {}
    for handle in handles:
        seen.setdefault((handle.kind, handle.value.lower()), handle)
        if len(seen) >= MAX_FINDINGS:
            break
    return list(seen.values())


def _handle_from_href(href: str) -> Handle | None:
    m = _QQ_HREF.search(href)
    if m:
        return Handle("qq", m.group(1))
    m = _TME.match(href.strip())
    return Handle("telegram", m.group(1)) if m else None


# --- money -------------------------------------------------------------------------------------


def _cue_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One pattern for a set of cue words, longest first; ASCII words match as whole words."""
    alternatives = [
        rf"(?<![a-z]){re.escape(w)}(?![a-z])" if w.isascii() else re.escape(w)
        for w in sorted(words, key=len, reverse=True)
    ]
    return re.compile("|".join(alternatives), re.IGNORECASE)


PAYMENT_CUES = (
    "支付宝", "微信支付", "扫码支付", "在线支付", "充值", "付款", "收款码", "收款", "转账", "打赏",
    "赞助", "捐赠", "银行卡", "开户行", "银行账号", "银联", "比特币", "Alipay", "WeChat Pay",
    "PayPal", "USDT", "TRC20", "ERC20", "Bitcoin", "BTC", "donate", "donation", "payment",
    "credit card",
)  # fmt: skip
"""Words that show a page takes money; reported in these forms, ASCII ones as whole words."""
MEMBERSHIP_CUES = (
    "会员", "VIP", "SVIP", "开通会员", "开通VIP", "充值会员", "购买会员", "升级会员", "会员专享",
    "会员特权", "永久会员", "终身会员", "包月", "包季", "包年", "月卡", "季卡", "年卡", "积分",
    "金币", "premium", "membership", "subscribe", "subscription",
)  # fmt: skip
"""Words that show a page sells membership; a cue for a person to weigh, not a verdict
(会员 also stands on free forums' login links)."""
_PAYMENT = _cue_pattern(PAYMENT_CUES)
_MEMBERSHIP = _cue_pattern(MEMBERSHIP_CUES)
_PAYMENT_LINK_TEXT = _cue_pattern(
    ("充值", "支付", "付款", "打赏", "赞助", "捐赠", "购买", "donate", "pay", "buy")
)
_MEMBERSHIP_LINK_TEXT = _cue_pattern(
    ("vip", "svip", "开通会员", "升级会员", "购买会员", "会员套餐", "包月", "包年", "年卡", "月卡",
     "premium", "membership", "subscribe")
)  # fmt: skip
_PAYMENT_TOKENS = frozenset(
    {"pay", "payment", "payments", "recharge", "chongzhi", "cashier", "checkout", "donate",
     "donation", "alipay", "wxpay", "paypal", "buy", "purchase", "dashang", "zanzhu"}
)  # fmt: skip
_MEMBERSHIP_TOKENS = frozenset(
    {"vip", "svip", "membership", "huiyuan", "upgrade", "premium", "subscribe", "subscription",
     "pricing", "plans", "kaitong"}
)  # fmt: skip
_PAYMENT_HOSTS = ("alipay.com", "paypal.com", "paypal.me", "afdian.net", "afdian.com")
_MEMBERSHIP_HOSTS = ("patreon.com",)
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")


def _cues(pattern: re.Pattern[str], folded: str, canonical: Iterable[str]) -> list[str]:
    names = {w.lower(): w for w in canonical}
    return _limited(names.get(m.group(0).lower(), m.group(0)) for m in pattern.finditer(folded))


def _host_in(host: str, suffixes: Iterable[str]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


def _money_link(anchor: Anchor) -> Literal["payment", "membership"] | None:
    """Whether a link leads to a payment or a membership page, by its host, path or text."""
    if anchor.url is None:
        return None
    parts = urlsplit(anchor.url)
    host = (parts.hostname or "").lower()
    tokens = set(_TOKEN_SPLIT.split(f"{parts.path} {parts.query}".lower()))
    text = fold_text(anchor.text)
    if _host_in(host, _MEMBERSHIP_HOSTS) or tokens & _MEMBERSHIP_TOKENS:
        return "membership"
    if _host_in(host, _PAYMENT_HOSTS) or tokens & _PAYMENT_TOKENS:
        return "payment"
    if _MEMBERSHIP_LINK_TEXT.search(text):
        return "membership"
    if _PAYMENT_LINK_TEXT.search(text):
        return "payment"
    return None


# --- advertising -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdNetwork:
    """An advertising network a page uses, with the first URL or marker that showed it."""

    name: str
    evidence: str


AD_NETWORKS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # (name, host suffixes, markers in inline scripts)
    ("Google AdSense", ("googlesyndication.com", "adservice.google.com"), ("adsbygoogle",)),
    ("Google Ad Manager", ("doubleclick.net", "googletagservices.com", "googleadservices.com"),
     ("googletag.",)),
    ("Baidu Union", ("cpro.baidustatic.com", "dup.baidustatic.com", "pos.baidu.com",
                     "cpro.baidu.com", "cbjs.baidu.com"), ("baidu_dup", "cpro_id", "slotbydup")),
    ("360 Union", ("union.360.cn", "lianmeng.360.cn"), ()),
    ("Mediav", ("mediav.com",), ("_mvq",)),
    ("Tencent GDT", ("gdt.qq.com",), ()),
    ("Sogou Union", ("union.sogou.com", "theta.sogoucdn.com"), ()),
    ("Alimama", ("alimama.com", "alimama.cn", "tanx.com"), ()),
    ("Xandr", ("adnxs.com",), ()),
    ("PopAds", ("popads.net",), ()),
    ("PopCash", ("popcash.net",), ()),
    ("PropellerAds", ("propellerads.com", "propellerclick.com"), ("propellerads",)),
    ("ExoClick", ("exoclick.com", "exosrv.com", "exdynsrv.com"), ("exoclick",)),
    ("JuicyAds", ("juicyads.com", "jads.co"), ("juicyads",)),
    ("TrafficJunky", ("trafficjunky.net", "trafficjunky.com"), ()),
    ("Taboola", ("taboola.com",), ("_taboola",)),
    ("Outbrain", ("outbrain.com",), ()),
    ("Criteo", ("criteo.com", "criteo.net"), ()),
    ("Amazon Ads", ("amazon-adsystem.com",), ()),
    ("Media.net", ("media.net",), ()),
    ("Yandex Ads", ("an.yandex.ru", "yandexadexchange.net"), ()),
)  # fmt: skip
"""Well-known ad networks: a compact list of the ones pirate sites and their audits show."""

GENERIC_AD = "generic ad script"
_GENERIC_AD_PATH = re.compile(
    r"(?:^|/)(?:ad|ads|adv|advert|advertising|gg|guanggao|tuiguang)(?:(?:[_.-]\w*)?\.js$|/)"
)
_AD_TOKENS = frozenset(
    {"ad", "ads", "adv", "advert", "adverts", "advertisement", "adsbygoogle", "adslot", "adbox",
     "adsbox", "adunit", "adbanner", "adwrap", "adcontainer", "gg", "ggs", "ggbox", "guanggao",
     "sponsor", "sponsored"}
)  # fmt: skip
_AD_NUMBERED = re.compile(r"^(?:ad|ads|gg)\d{1,3}$")
_MARK_SPLIT = re.compile(r"[\s_-]+")
_SRC_ATTRS = ("src", "data-src", "href")


_NETWORK_OF_SUFFIX = {suffix: name for name, hosts, _ in AD_NETWORKS for suffix in hosts}


def ad_network_of_host(host: str) -> str | None:
    """The ad network a host belongs to: the host or any parent domain of it in the list."""
    labels = host.split(".")
    for i in range(len(labels) - 1):
        name = _NETWORK_OF_SUFFIX.get(".".join(labels[i:]))
        if name is not None:
            return name
    return None


def _is_ad_container(el: lxml.etree._Element) -> bool:
    marks = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    tokens = {t for t in _MARK_SPLIT.split(marks) if t}
    return bool(tokens & _AD_TOKENS) or any(_AD_NUMBERED.match(t) for t in tokens)


@dataclass
class _Elements:
    """What one walk over the elements found: ad networks, ad slots, and the ``alt`` and
    ``title`` texts in which filing numbers may still stand (an ICP badge image)."""

    networks: dict[str, str] = field(default_factory=dict)
    slots: int = 0
    hidden: list[str] = field(default_factory=list)


def _scan_elements(root: lxml.html.HtmlElement, base: str) -> _Elements:
    found = _Elements()
    hidden_budget = MAX_TEXT_CHARS
    stack: list[tuple[lxml.etree._Element, bool]] = [(root, False)]
    visited = 0
    while stack and visited < MAX_ELEMENTS:
        el, inside_slot = stack.pop()
        visited += 1
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag:
            continue
        slot = False
        for attr in _SRC_ATTRS:
            value = (el.get(attr) or "").strip()
            if not value:
                continue
            try:
                parts = urlsplit(value)  # no join: a relative URL is on the page's own host
                name = ad_network_of_host((parts.hostname or "").lower())
            except ValueError:
                continue
            if name is None and tag in ("script", "iframe"):
                name = GENERIC_AD if _GENERIC_AD_PATH.search(parts.path.lower()) else None
            if name is not None:
                found.networks.setdefault(name, absolute_url(base, value) or value)
                slot = slot or tag in ("iframe", "ins", "img", "embed")
        if tag == "script" and not el.get("src"):
            script = el.text or ""
            if len(script) <= MAX_SCRIPT_CHARS:
                _script_markers(script, found)
        for attr in ("alt", "title"):
            value = el.get(attr)
            if value and hidden_budget > 0:
                found.hidden.append(value[:1000])
                hidden_budget -= len(value)
        if tag not in ("html", "body") and (slot or _is_ad_container(el)):
            if not inside_slot:
                found.slots += 1
            inside_slot = True
        stack.extend((child, inside_slot) for child in reversed(el))
    return found


def _script_markers(script: str, found: _Elements) -> None:
    lowered = script.lower()
    for name, hosts, markers in AD_NETWORKS:
        if name in found.networks:
            continue
        for marker in (*hosts, *markers):
            if marker in lowered:
                found.networks[name] = f"inline script: {marker}"
                break


# --- the facts of one page ---------------------------------------------------------------------


@dataclass
class OperatorFacts:
    """What one page says about who runs the site and how it earns; lists keep page order."""

    url: str
    icp_numbers: list[str] = field(default_factory=list)
    psb_numbers: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    handles: list[Handle] = field(default_factory=list)
    payment_cues: list[str] = field(default_factory=list)
    membership_cues: list[str] = field(default_factory=list)
    payment_urls: list[str] = field(default_factory=list)
    membership_urls: list[str] = field(default_factory=list)
    ad_networks: list[AdNetwork] = field(default_factory=list)
    ad_slots: int = 0


def find_operator_facts(html: bytes | str, url: str) -> OperatorFacts:
    """Filing numbers, contacts, payment and membership cues and advertising on one page.

    Never raises on bad HTML; a page that cannot be parsed yields empty facts.
    """
    facts = OperatorFacts(url=url)
    root = parse_html(html, url)
    if root is None:
        return facts
    base = base_url(root, url)
    try:
        lines = page_lines(root, base)
        elements = _scan_elements(root, base)
    except (ValueError, RecursionError) as exc:
        logger.warning("page %s only partly read: %s", url, exc)
        return facts
    shown = fold_text("\n".join(line.text for line in lines))
    hidden = fold_text("\n".join([*elements.hidden, page_source_text(html)]))
    anchors = list(islice((anchor for line in lines for anchor in line.anchors), MAX_ANCHORS))

    facts.icp_numbers = _limited([*_icp_in(shown), *_icp_in(hidden)])
    psb_links = (_psb_from_href(a.href) for a in anchors)
    facts.psb_numbers = _limited(
        [
            *(_psb_number(m.group("prov"), m.group("num")) for m in _PSB.finditer(shown)),
            *(_psb_number(m.group("prov"), m.group("num")) for m in _PSB.finditer(hidden)),
            *(n for n in psb_links if n),
        ]
    )
    mailto = [
        email
        for a in anchors
        if a.href.lower().startswith("mailto:")
        for email in _emails_in(fold_text(unquote(a.href[7:].split("?", 1)[0])))
    ]
    facts.emails = _limited([*_emails_in(shown), *mailto])
    href_handles = (_handle_from_href(a.href) for a in anchors)
    facts.handles = _unique_handles([*_handles_in(shown), *(h for h in href_handles if h)])
    facts.payment_cues = _cues(_PAYMENT, shown, PAYMENT_CUES)
    facts.membership_cues = _cues(_MEMBERSHIP, shown, MEMBERSHIP_CUES)
    kinds = [(a.url, _money_link(a)) for a in anchors]
    facts.payment_urls = _limited(u for u, kind in kinds if u and kind == "payment")
    facts.membership_urls = _limited(u for u, kind in kinds if u and kind == "membership")
    facts.ad_networks = [AdNetwork(n, e) for n, e in elements.networks.items()]
    facts.ad_slots = elements.slots
    return facts
