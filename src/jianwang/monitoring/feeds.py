"""Discovery from sitemaps and feeds: the pages and media a site lists for machines.

Sites publish what they carry in XML sitemaps (``urlset``, with the video extension's
``content_loc`` and ``player_loc``; ``sitemapindex`` listing more sitemaps, often gzipped) and
in RSS and Atom feeds (an item's link, and the audio or video file it encloses, as podcasts
do). A crawl that reads them finds items that no menu links to. Pure parsing, no I/O: the XML
parser resolves no entities, loads nothing from the network and keeps libxml2's size limits;
gzipped sitemaps are inflated only up to a limit, so a compression bomb stays small.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field

import lxml.etree

from jianwang.monitoring.discover import MediaKind, MediaRef, absolute_url, media_kind_of

logger = logging.getLogger(__name__)

FEED_TYPES = frozenset(
    {
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-gzip",
        "application/gzip",
    }
)
_ROOTS = frozenset({"urlset", "sitemapindex", "rss", "feed", "RDF"})
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class FeedLinks:
    """What one sitemap or feed lists: pages to visit (further sitemaps among them) and media."""

    url: str
    kind: str  # sitemap, sitemapindex, rss, atom
    title: str = ""
    links: list[str] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)

    def add_link(self, url: str | None) -> None:
        if url and url not in self.links:
            self.links.append(url)

    def add_media(self, url: str | None, kind: MediaKind, tag: str) -> None:
        if url and all(ref.url != url for ref in self.media):
            self.media.append(MediaRef(url, kind, tag))


def _local(tag: object) -> str:
    return lxml.etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(el: lxml.etree._Element) -> str:
    return (el.text or "").strip()


def looks_like_feed(content: bytes, content_type: str) -> bool:
    """Whether a fetched body is worth parsing as a sitemap or feed (by type or by its start)."""
    mime = content_type.split(";", 1)[0].strip().lower()
    head = content[:512].lstrip().lower()
    if content.startswith(_GZIP_MAGIC):
        return True
    if mime in FEED_TYPES:
        return True
    return head.startswith((b"<?xml", b"<rss", b"<urlset", b"<sitemapindex", b"<feed"))


def _inflate(content: bytes, limit: int) -> bytes | None:
    """A gzipped body inflated up to ``limit`` bytes; ``None`` when larger or not gzip."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(content, limit + 1)
    except zlib.error as exc:
        logger.info("not a gzip body: %s", exc)
        return None
    if len(data) > limit or inflater.unconsumed_tail:
        logger.warning("gzipped sitemap inflates past %d bytes: refused", limit)
        return None
    return data


def _media_kind(url: str, mime: str, fallback: MediaKind) -> MediaKind:
    kind = media_kind_of(url, mime)
    if kind != "unknown":
        return kind
    mime = mime.split(";", 1)[0].strip().lower()
    if mime.startswith("audio/"):
        return "audio"
    if mime.startswith("video/"):
        return "video"
    return fallback


def _sitemap(root: lxml.etree._Element, base: str, found: FeedLinks) -> None:
    for entry in root:
        if _local(entry.tag) != "url":
            continue
        for el in entry.iter():
            name = _local(el.tag)
            if name == "loc" and el.getparent() is entry:
                found.add_link(absolute_url(base, _text(el)))
            elif name == "content_loc":
                url = absolute_url(base, _text(el))
                if url:
                    found.add_media(url, _media_kind(url, "", "video"), "sitemap")
            elif name == "player_loc":
                found.add_link(absolute_url(base, _text(el)))


def _rss(root: lxml.etree._Element, base: str, found: FeedLinks) -> None:
    for el in root.iter():
        name = _local(el.tag)
        parent = el.getparent()
        parent_name = _local(parent.tag) if parent is not None else ""
        if name == "title" and parent_name == "channel" and not found.title:
            found.title = _text(el)
        elif name == "link" and parent_name == "item":
            found.add_link(absolute_url(base, _text(el) or el.get("href")))
        elif name in ("enclosure", "content") and parent_name in ("item", "group"):
            url = absolute_url(base, el.get("url"))
            if url:
                found.add_media(url, _media_kind(url, el.get("type") or "", "unknown"), name)


def _atom(root: lxml.etree._Element, base: str, found: FeedLinks) -> None:
    for el in root.iter():
        name = _local(el.tag)
        parent = el.getparent()
        parent_name = _local(parent.tag) if parent is not None else ""
        if name == "title" and parent_name == "feed" and not found.title:
            found.title = _text(el)
        elif name == "link" and parent_name == "entry":
            url = absolute_url(base, el.get("href"))
            if (el.get("rel") or "alternate") == "enclosure":
                if url:
                    found.add_media(url, _media_kind(url, el.get("type") or "", "unknown"), name)
            else:
                found.add_link(url)


def parse_feed(url: str, content: bytes, *, max_bytes: int) -> FeedLinks | None:
    """The pages and media a sitemap, sitemap index, RSS or Atom feed lists; ``None`` when the
    body is none of these (or cannot be read). Never raises on bad input."""
    if content.startswith(_GZIP_MAGIC):
        inflated = _inflate(content, max_bytes)
        if inflated is None:
            return None
        content = inflated
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=True
    )
    try:
        root = lxml.etree.fromstring(content, parser=parser)
    except (lxml.etree.XMLSyntaxError, ValueError) as exc:
        logger.info("%s: not readable XML: %s", url, exc)
        return None
    if root is None or _local(root.tag) not in _ROOTS:
        return None
    name = _local(root.tag)
    try:
        if name == "urlset":
            found = FeedLinks(url, "sitemap")
            _sitemap(root, url, found)
        elif name == "sitemapindex":
            found = FeedLinks(url, "sitemapindex")
            for el in root.iter():
                if _local(el.tag) == "loc":
                    found.add_link(absolute_url(url, _text(el)))
        elif name == "feed":
            found = FeedLinks(url, "atom")
            _atom(root, url, found)
        else:
            found = FeedLinks(url, "rss")
            _rss(root, url, found)
    except (ValueError, RecursionError) as exc:
        logger.warning("%s only partly read: %s", url, exc)
        return None
    return found
