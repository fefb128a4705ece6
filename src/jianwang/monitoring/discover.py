"""Discovery: what a fetched page links to, embeds and says, from its HTML alone.

Pure parsing, no I/O, so it can be tested on strings and run on hostile input: lxml parses with
``recover`` on and ``huge_tree`` off (libxml2's depth and size limits stay in force), and any
parser failure yields whatever was found so far rather than an exception.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from jianwang.monitoring.viewcount import view_count_of

logger = logging.getLogger(__name__)

MediaKind = Literal["video", "audio", "hls", "dash", "unknown"]

VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".webm", ".mkv", ".mov", ".flv", ".ts"})
AUDIO_EXTENSIONS = frozenset({".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac", ".wav"})
MEDIA_EXTENSIONS = VIDEO_EXTENSIONS | AUDIO_EXTENSIONS | {".m3u8", ".mpd"}

TEXT_PAGE_MIN_CHARS = 500
"""Visible characters in paragraph and block text that make a page worth capturing as text."""

_HLS_TYPES = frozenset({"application/x-mpegurl", "application/vnd.apple.mpegurl", "audio/mpegurl"})
_DASH_TYPES = frozenset({"application/dash+xml"})
_OG_VIDEO = frozenset({"og:video", "og:video:url", "og:video:secure_url"})
_OG_AUDIO = frozenset({"og:audio", "og:audio:url", "og:audio:secure_url"})
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACE = re.compile(r"\s+")
_FEED_LINK_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})


@dataclass(frozen=True)
class MediaRef:
    """A media URL a page references, with how it was referenced."""

    url: str
    kind: MediaKind
    source_tag: str


@dataclass
class PageLinks:
    """Everything :func:`parse_page` found on one page; lists keep document order, no repeats."""

    url: str
    title: str = ""
    links: list[str] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    iframes: list[str] = field(default_factory=list)
    text_chars: int = 0
    is_text_page: bool = False
    view_count: int | None = None  # the view or play count the page shows (see viewcount.py)


def media_kind_of(url: str, mime: str = "") -> MediaKind:
    """Classify a media URL by its declared type, then by its path's extension."""
    mime = mime.split(";", 1)[0].strip().lower()
    if mime in _HLS_TYPES:
        return "hls"
    if mime in _DASH_TYPES:
        return "dash"
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("audio/"):
        return "audio"
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if suffix == ".m3u8":
        return "hls"
    if suffix == ".mpd":
        return "dash"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    if suffix in AUDIO_EXTENSIONS:
        return "audio"
    return "unknown"


def has_media_extension(url: str) -> bool:
    """Whether a link points straight at a media file or manifest (by its path's extension)."""
    return PurePosixPath(urlsplit(url).path).suffix.lower() in MEDIA_EXTENSIONS


def decode_page(html: bytes) -> str:
    """Bytes to text: the declared meta charset, else UTF-8, else a lenient GB18030 guess."""
    match = _CHARSET.search(html[:4096])
    candidates = [match.group(1).decode("ascii", "ignore")] if match else []
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return html.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return html.decode("utf-8", errors="replace")


MAX_ATTRIBUTES = 256
"""Attributes a tag may carry before they are dropped unparsed: libxml2 checks a tag's
attributes for repeats in quadratic time, so one tag with 200,000 of them would take minutes."""
_LONG_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9]{0,20})[^<>]{4000,}>")


def _crowded_tag(match: re.Match[str]) -> str:
    """A long tag as it is, or only its name when it carries more than ``MAX_ATTRIBUTES``."""
    if match.group(0).count("=") <= MAX_ATTRIBUTES:
        return match.group(0)
    logger.info("tag <%s> with over %d attributes stripped of them", match.group(1), MAX_ATTRIBUTES)
    return f"<{match.group(1)}>"


def strip_crowded_tags(text: str) -> str:
    """The page with the attributes of any tag that carries thousands of them removed (see
    ``MAX_ATTRIBUTES``); every HTML parse of a fetched page goes through it."""
    return _LONG_TAG.sub(_crowded_tag, text)


def absolute_url(base: str, ref: str | None) -> str | None:
    """An absolute http(s) URL without fragment, or ``None`` for javascript:, mailto: and junk."""
    if not ref:
        return None
    ref = ref.strip()
    if not ref or ref.startswith("#"):
        return None
    try:
        parts = urlsplit(urljoin(base, ref))
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _own_text(element: lxml.html.HtmlElement) -> str:
    """The text directly inside an element (not in its child elements)."""
    pieces = [element.text or ""]
    pieces += [child.tail or "" for child in element]
    return "".join(pieces)


class _Collector:
    """Accumulates results without repeats; kept separate so a late failure loses nothing."""

    def __init__(self, url: str) -> None:
        self.page = PageLinks(url=url)
        self._seen_links: set[str] = set()
        self._seen_media: set[str] = set()
        self._seen_frames: set[str] = set()

    def link(self, url: str | None) -> None:
        if url and url not in self._seen_links:
            self._seen_links.add(url)
            self.page.links.append(url)

    def media(self, url: str | None, kind: MediaKind, tag: str) -> None:
        if url and url not in self._seen_media:
            self._seen_media.add(url)
            self.page.media.append(MediaRef(url=url, kind=kind, source_tag=tag))

    def iframe(self, url: str | None) -> None:
        if url and url not in self._seen_frames:
            self._seen_frames.add(url)
            self.page.iframes.append(url)


def _walk(root: lxml.html.HtmlElement, base: str, found: _Collector) -> None:
    text_chars = 0
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if tag == "title" and not found.page.title:
            found.page.title = _SPACE.sub(" ", el.text_content()).strip()
        elif tag == "a":
            href = absolute_url(base, el.get("href"))
            if href and has_media_extension(href):
                found.media(href, media_kind_of(href), "a")
            else:
                found.link(href)
        elif tag in ("video", "audio"):
            src = absolute_url(base, el.get("src"))
            if src:
                kind = media_kind_of(src)
                if kind == "unknown":
                    kind = "video" if tag == "video" else "audio"
                found.media(src, kind, tag)
        elif tag == "source":
            src = absolute_url(base, el.get("src"))
            if src:
                kind = media_kind_of(src, el.get("type") or "")
                parent = el.getparent()
                parent_tag = parent.tag.lower() if parent is not None else ""
                if kind == "unknown" and parent_tag in ("video", "audio"):
                    kind = "video" if parent_tag == "video" else "audio"
                found.media(src, kind, "source")
        elif tag == "iframe":
            found.iframe(absolute_url(base, el.get("src")))
        elif tag == "link":
            rel = (el.get("rel") or "").lower().split()
            mime = (el.get("type") or "").strip().lower()
            if "alternate" in rel and mime in _FEED_LINK_TYPES:
                found.link(absolute_url(base, el.get("href")))  # an RSS or Atom feed
        elif tag == "meta":
            prop = (el.get("property") or el.get("name") or "").strip().lower()
            if prop in _OG_VIDEO or prop in _OG_AUDIO:
                content = absolute_url(base, el.get("content"))
                if content:
                    kind = media_kind_of(content, "")
                    if kind == "unknown":
                        kind = "video" if prop in _OG_VIDEO else "audio"
                    found.media(content, kind, "meta")
        elif tag in ("p", "div"):
            text_chars += len(_SPACE.sub("", _own_text(el)))
    found.page.text_chars = text_chars
    found.page.is_text_page = text_chars >= TEXT_PAGE_MIN_CHARS


def parse_page(url: str, html: bytes | str) -> PageLinks:
    """Links, media references, iframes, title, a text-page guess and the view count one
    page shows.

    Relative URLs are resolved against ``<base href>`` if the page has one, else against ``url``.
    Only http(s) URLs are kept, with fragments removed. Never raises on bad HTML.
    """
    found = _Collector(url)
    text = decode_page(html) if isinstance(html, bytes) else html
    text = strip_crowded_tags(_XML_DECL.sub("", text, count=1))
    if not text.strip():
        return found.page
    parser = lxml.html.HTMLParser(recover=True, huge_tree=False, no_network=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
        logger.info("unparseable page %s: %s", url, exc)
        return found.page
    base = url
    for base_el in root.iter("base"):
        base = absolute_url(url, base_el.get("href")) or url
        break
    try:
        _walk(root, base, found)
    except (ValueError, RecursionError) as exc:
        logger.warning("page %s only partly parsed: %s", url, exc)
    found.page.view_count = view_count_of(root)
    return found.page
