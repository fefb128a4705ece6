"""The places on a page where a listing names what it offers: its title, headings, link texts
and list or table rows. Title matching reads these rather than the whole body, since a
distribution cue counts only next to the name it qualifies.

Pure parsing with lxml's forgiving HTML parser; the number and length of spots are capped, so a
link farm of a hundred thousand anchors costs a bounded amount of work.
"""

from __future__ import annotations

import logging
import re

import lxml.etree
import lxml.html

from jianwang.matching.titles import TextSpot
from jianwang.monitoring.discover import absolute_url, decode_page, strip_crowded_tags

logger = logging.getLogger(__name__)

MAX_SPOTS = 5000
MAX_SPOT_CHARS = 300
_SPACE = re.compile(r"\s+")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LISTINGS = frozenset({"li", "tr", "dt", "dd"})
_SKIP = frozenset({"script", "style", "noscript", "template"})


def _text(el: lxml.html.HtmlElement) -> str:
    return _SPACE.sub(" ", el.text_content()).strip()[:MAX_SPOT_CHARS]


def page_spots(url: str, html: bytes | str, *, max_spots: int = MAX_SPOTS) -> list[TextSpot]:
    """Title, headings, links (with their targets) and listing rows of a page, in document
    order, without repeats; never raises on bad HTML."""
    if isinstance(html, bytes):
        html = decode_page(html)
    html = strip_crowded_tags(html)
    if not html.strip():
        return []
    parser = lxml.html.HTMLParser(recover=True, huge_tree=False, no_network=True)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
        logger.info("unparseable page %s: %s", url, exc)
        return []
    spots: list[TextSpot] = []
    seen: set[tuple[str, str]] = set()

    def add(where: str, text: str, target: str | None = None) -> None:
        if text and (where, text) not in seen:
            seen.add((where, text))
            spots.append(TextSpot(where=where, text=text, url=target))

    try:
        for el in root.iter():
            if len(spots) >= max_spots:
                logger.info("page %s: spot limit %d reached", url, max_spots)
                break
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if not tag or tag in _SKIP:
                continue
            if tag == "title":
                add("title", _text(el))
            elif tag in _HEADINGS:
                add("heading", _text(el))
            elif tag == "a":
                add(
                    "link",
                    _text(el) or (el.get("title") or "").strip(),
                    absolute_url(url, el.get("href")),
                )
            elif tag in _LISTINGS:
                add("listing", _text(el))
    except (ValueError, RecursionError) as exc:
        logger.warning("page %s only partly read: %s", url, exc)
    return spots
