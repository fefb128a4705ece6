"""The view or play count a page shows, read from its HTML.

How many people watched a pirated copy weighs in a case (the "clicks" of an administrative
penalty decision), so a capture keeps the count its page showed at that moment. Pages state it in
three ways, tried from the most to the least specific:

1. schema.org JSON-LD: ``interactionStatistic`` (an ``InteractionCounter`` whose
   ``interactionType`` is a Watch, Listen, Read or View action) or the older ``interactionCount``
   (``"UserPlays:123"``), on the outermost object that has one (the page's own item, not the
   related items listed inside it);
2. microdata: ``itemprop="interactionCount"`` or ``"userInteractionCount"``;
3. visible text next to a keyword: ``1,234 views``, ``1.2M views``, ``12K plays``,
   ``播放量：1.2万``, ``123次播放``, ``观看 3.4万次``, ``播放 2.3亿``, ``阅读 1.5万``,
   ``点击：12345``; the first such count in the page's content (menus, comments and related
   lists left out), so a list of other videos' counts does not stand in for the page's own.

A number without a keyword (a year, a price, an episode number) is never taken for a count, and
likes, comments and shares are not views. Pure parsing, never raises.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import lxml.html

log = logging.getLogger(__name__)

MAX_COUNT = 10**13
"""Larger "counts" are junk (a timestamp, an ID), not views: no page has been seen that often."""

MAX_JSON_LD_CHARS = 1_000_000
MAX_TEXT_CHARS = 200_000
"""Only this much of a page's visible text is searched: the count sits near the player."""

_MULTIPLIERS = {
    "": 1,
    "k": 10**3,
    "千": 10**3,
    "w": 10**4,
    "万": 10**4,
    "m": 10**6,
    "百万": 10**6,
    "千万": 10**7,
    "b": 10**9,
    "亿": 10**8,
}
_NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_UNIT = r"(?:\s?(?P<unit>千万|百万|[万亿千]|[kKmMbBwW](?![A-Za-z])))?"
# What may not stand right before a count: more digits, a currency sign, 第 ("the 12th"), a
# letter (a code like "S01E12"), a minus, slash or hash.
_BEFORE = r"(?<![0-9A-Za-z.,¥$€£#/\-第])"
# What may not follow a count given after its keyword: more of a number, a letter ("1080P"), a
# date, a price, an episode or chapter number, a percentage, a time or a fraction.
_AFTER = r"(?![0-9A-Za-z]|[.,]\d|\s*(?:[年月日号號集期章回话話节節元块塊%:/]|-\d))"

_COUNT_FIRST = re.compile(
    _BEFORE
    + _NUMBER
    + _UNIT
    + r"\s*(?:"
    + r"(?P<en>views?|plays?|listens?|reads?|streams?|hits|watch(?:ed|es))\b"
    + r"|(?P<zh>[次人]\s?(?:播放|观看|觀看|阅读|閱讀|点击|點擊|浏览|瀏覽|收听|收聽|看过|在看)"
    + r"|播放|观看|觀看|阅读|閱讀|浏览|瀏覽))",
    re.IGNORECASE,
)
_KEYWORD_FIRST = re.compile(
    r"(?:"
    + r"\b(?:view|play|listen|read)\s?counts?\b|\b(?:views|plays|listens|reads|hits|streams)\b"
    + r"|播放量|播放次数|播放次數|播放数|播放數|总播放|總播放|播放"
    + r"|观看次数|觀看次數|观看人数|观看量|观看|觀看"
    + r"|阅读量|閱讀量|阅读数|阅读次数|阅读|閱讀"
    + r"|点击量|點擊量|点击数|点击次数|点击|點擊"
    + r"|浏览量|瀏覽量|浏览次数|浏览|瀏覽|收听次数|收听|人气|人氣"
    + r")\s*[:=]?\s*"
    + _NUMBER
    + _UNIT
    + _AFTER,
    re.IGNORECASE,
)
_COUNT_TEXT = re.compile(r"^\s*" + _NUMBER + _UNIT + r"\s*(?:次|人次|人)?\s*$", re.IGNORECASE)
_INTERACTION_COUNT = re.compile(r"^\s*(?:User(?P<what>[A-Za-z]+)\s*:)?\s*(?P<n>[\d,]+)\s*$")
_VIEW_ACTIONS = ("watchaction", "listenaction", "readaction", "viewaction", "playaction")
_VIEW_KINDS = frozenset({"plays", "views", "pagevisits", "listens", "reads"})
_SKIPPED_TAGS = frozenset(
    {"head", "script", "style", "noscript", "template", "nav", "header", "footer", "aside"}
)
_ASIDE = re.compile(
    r"(?:^|[\s_-])(related|recommend\w*|comments?|sidebar|nav|navbar|menu|footer|ads?|banner|"
    r"rank\w*|hot|playlist)(?:$|[\s_-])",
    re.IGNORECASE,
)


def parse_count(text: str) -> int | None:
    """A count as a page writes it (``"1,234"``, ``"1.2M"``, ``"12K"``, ``"1.2万"``,
    ``"2.3亿"``, ``"１２３次"``) as an integer, or ``None`` when it is not one."""
    match = _COUNT_TEXT.match(unicodedata.normalize("NFKC", text))
    return _value(match) if match else None


def _value(match: re.Match[str]) -> int | None:
    number = match.group("num").replace(",", "")
    unit = (match.group("unit") or "").lower()
    if "." in number and not unit:
        return None  # "2.5 views" is not a count; "2.5万" is
    count = round(float(number) * _MULTIPLIERS[unit])
    return count if 0 <= count < MAX_COUNT else None


def view_count_of(root: lxml.html.HtmlElement) -> int | None:
    """The view or play count a parsed page shows, or ``None`` where it shows none."""
    for finder in (_from_json_ld, _from_microdata, _from_text):
        try:
            count = finder(root)
        except (ValueError, TypeError, RecursionError) as exc:
            log.debug("view count: %s failed (%s)", finder.__name__, exc)
            continue
        if count is not None:
            return count
    return None


# --- JSON-LD ---------------------------------------------------------------------------------


def _from_json_ld(root: lxml.html.HtmlElement) -> int | None:
    best: tuple[int, int] | None = None  # (depth, count): the outermost object wins
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if len(raw) > MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for depth, obj in _objects(data, 0):
            count = _object_count(obj)
            if count is not None and (best is None or depth < best[0]):
                best = (depth, count)
    return None if best is None else best[1]


def _objects(data: Any, depth: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every JSON object with how deep it is nested (``@graph`` members count as top level)."""
    if depth > 20:
        return
    if isinstance(data, list):
        for item in data:
            yield from _objects(item, depth)
    elif isinstance(data, dict):
        yield depth, data
        for key, value in data.items():
            yield from _objects(value, depth if key == "@graph" else depth + 1)


def _object_count(obj: dict[str, Any]) -> int | None:
    stats = obj.get("interactionStatistic")
    for stat in stats if isinstance(stats, list) else [stats]:
        if isinstance(stat, dict) and _is_view_type(stat.get("interactionType")):
            count = _json_count(stat.get("userInteractionCount"))
            if count is not None:
                return count
    legacy = obj.get("interactionCount")
    if isinstance(legacy, str):
        return _interaction_count(legacy)
    return _json_count(legacy)


def _is_view_type(kind: Any) -> bool:
    """Whether an ``interactionType`` is watching, listening, reading or viewing; a counter
    without a type is taken as views (many sites leave it out), a like or comment is not."""
    if kind is None:
        return True
    if isinstance(kind, dict):
        kind = kind.get("@type") or kind.get("@id") or ""
    return isinstance(kind, str) and kind.strip().lower().endswith(_VIEW_ACTIONS)


def _json_count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if 0 <= value < MAX_COUNT else None
    if isinstance(value, str):
        return parse_count(value)
    return None


def _interaction_count(value: str) -> int | None:
    """The older ``interactionCount`` text: ``"UserPlays:123"``, ``"UserViews:1,234"`` or a
    bare number; ``"UserLikes:5"`` and the like are not views."""
    match = _INTERACTION_COUNT.match(value)
    if match is None:
        return parse_count(value)
    what = (match.group("what") or "views").lower()
    if what not in _VIEW_KINDS:
        return None
    count = int(match.group("n").replace(",", ""))
    return count if count < MAX_COUNT else None


# --- microdata -------------------------------------------------------------------------------


def _from_microdata(root: lxml.html.HtmlElement) -> int | None:
    for el in root.xpath(
        "//*[@itemprop='interactionCount' or @itemprop='userInteractionCount' "
        "or @itemprop='interactioncount' or @itemprop='userinteractioncount']"
    ):
        value = el.get("content")
        if value is None:
            value = el.text_content()
        if el.get("itemprop", "").lower() == "interactioncount":
            count = _interaction_count(value)
        elif _microdata_type_is_view(el):
            count = parse_count(value)
        else:
            continue
        if count is not None:
            return count
    return None


def _microdata_type_is_view(el: lxml.html.HtmlElement) -> bool:
    """Whether the item around a ``userInteractionCount`` counts views (see ``_is_view_type``)."""
    scope = el.getparent()
    while scope is not None and scope.get("itemscope") is None:
        scope = scope.getparent()
    if scope is None:
        return True
    for typed in scope.xpath(".//*[@itemprop='interactionType']"):
        return _is_view_type(typed.get("href") or typed.get("content") or typed.text_content())
    return True


# --- visible text ----------------------------------------------------------------------------


def _from_text(root: lxml.html.HtmlElement) -> int | None:
    text = unicodedata.normalize("NFKC", " ".join(_visible_pieces(root)))[:MAX_TEXT_CHARS]
    found: list[tuple[int, int]] = []
    for pattern in (_COUNT_FIRST, _KEYWORD_FIRST):
        for match in pattern.finditer(text):
            count = _value(match)
            if count is not None:
                found.append((match.start(), count))
                break
    return min(found)[1] if found else None


def _visible_pieces(root: lxml.html.HtmlElement) -> Iterator[str]:
    """The page's text in document order, element by element, without what is not the page's
    own content (scripts, menus, comment threads, lists of related items)."""
    budget = MAX_TEXT_CHARS
    stack: list[lxml.html.HtmlElement | str] = [root]
    while stack and budget > 0:
        el = stack.pop()
        if isinstance(el, str):  # the tail text of an element, queued after its children
            budget -= len(el)
            yield el
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if el.tail and el is not root:
            stack.append(el.tail)
        if not tag or tag in _SKIPPED_TAGS:
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if tag not in ("html", "body") and _ASIDE.search(marks):
            continue
        if el.text:
            budget -= len(el.text)
            yield el.text
        stack.extend(reversed(list(el)))
