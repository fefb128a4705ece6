"""Sandbox site layouts: pirate video, music and novel sites and an authorised platform.

The pages imitate what the crawler meets in the wild: pirate pages bury the content among menus,
ads, comments, related links and spam lines ("本站域名 ... 请牢记"); video comes as a plain file
or as HLS; novels come as chapter pages between 上一章/目录/下一章 links. The authorised
platform serves the same kinds of content on clean pages. Output depends only on the specs, so
two builds serve the same bytes (HLS segments are stream copies of the same input).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Literal

from jianwang.sandbox.hls import PLAYLIST_NAME, segment_to_hls
from jianwang.sandbox.server import (
    DEFAULT_ROBOTS,
    RequestJournal,
    Resource,
    Routes,
    SandboxServer,
    SandboxSite,
)

logger = logging.getLogger(__name__)

ItemKind = Literal["video", "audio", "text"]
SiteKind = Literal["video", "music", "literature", "platform"]

HTML_TYPE = "text/html; charset=utf-8"
HLS_TYPE = "application/vnd.apple.mpegurl"
ITEMS_PER_INDEX_PAGE = 8
SPAM_EVERY = 4
_MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".ts": "video/mp2t",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
}
_COMMENTS = (
    "谢谢楼主分享，画质很清楚！",
    "求更新下一集，催更！",
    "Thanks for the upload, works great.",
    "已收藏，免费观看太良心了",
    "加载有点慢，换线路2就好了",
)
_AD_URL = "http://ads.casino-example.net"
_PLAYER_SCRIPT = (
    "(function(){var box=document.getElementById('player');"
    "fetch(box.getAttribute('data-api')).then(function(r){return r.json();})"
    ".then(function(info){var m=document.createElement(info.tag);"
    "m.controls=true;m.preload='auto';m.width=640;m.src=info.parts.join('');"
    "box.appendChild(m);});})();"
)
"""A JavaScript player: fetches its medium's URL from the site's API and builds the element."""
_PIRATE_MENU = ("首页", "最新更新", "排行榜", "免费阅读", "最新章节", "会员中心")


@dataclass
class SiteItem:
    """One work on a site: a media file (``path``) or a text (``text``, or a UTF-8 ``path``).

    ``as_hls`` serves video or audio as an HLS playlist instead of a file. ``group`` is the album
    or book the item belongs to (default: the site title). ``js_player`` leaves the page without
    a media URL: a script asks ``/api/play/<n>.json`` for the URL in pieces and builds the player,
    as JavaScript players do, so only a crawler that runs scripts finds the medium.
    """

    title: str
    kind: ItemKind
    path: Path | None = None
    text: str | None = None
    as_hls: bool = False
    group: str | None = None
    js_player: bool = False


@dataclass
class SiteSpec:
    """One sandbox site: its name (also its key for ports), kind, title and items."""

    name: str
    kind: SiteKind
    title: str
    items: list[SiteItem]
    robots_txt: str | None = DEFAULT_ROBOTS


@dataclass
class _Entry:
    """An item placed on a site: its number, page path and embed markup."""

    number: int
    item: SiteItem
    page: str
    embed: str = ""
    paragraphs: list[str] = field(default_factory=list)


def _domain(spec: SiteSpec) -> str:
    slug = re.sub(r"[^a-z0-9]+", "", spec.name.lower()) or "site"
    return f"www.{slug}.com"


def _document(spec: SiteSpec, title: str, body: str, *, pirate: bool) -> bytes:
    """A full UTF-8 page around ``body``, with the site's header and footer."""
    menu = _PIRATE_MENU if pirate else ("首页", "片库", "正版音乐", "正版阅读")
    nav = "".join(f'<li><a href="/">{escape(label)}</a></li>' for label in menu)
    notice = (
        f'<div class="notice">请收藏本站：{_domain(spec)} 最新章节 免费阅读 无弹窗</div>'
        if pirate
        else '<div class="notice">本平台内容均已获得版权方正式授权。</div>'
    )
    footer = (
        f'<div class="ad"><a href="{_AD_URL}/click?id=7">澳门首家线上赌场 上线送888</a></div>'
        if pirate
        else "<footer>© 正版平台 · 许可证编号 12345</footer>"
    )
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - {escape(spec.title)}</title></head><body>"
        f'<header><a class="logo" href="/">{escape(spec.title)}</a><ul class="menu">{nav}</ul>'
        f"</header>{notice}<main>{body}</main>{footer}</body></html>\n"
    )
    return page.encode("utf-8")


def _html(content: bytes) -> Resource:
    return Resource(content, HTML_TYPE)


def _media_type(path: Path) -> str:
    return (
        _MEDIA_TYPES.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or ("application/octet-stream")
    )


def _add_media(entry: _Entry, routes: Routes, work_dir: Path, spec: SiteSpec) -> None:
    """Route an item's media (file or HLS) and set its embed markup."""
    item = entry.item
    if item.path is None:
        raise ValueError(f"{spec.name}: {item.kind} item {item.title!r} has no media path")
    tag = "video" if item.kind == "video" else "audio"
    if item.as_hls:
        out_dir = work_dir / spec.name / "hls" / str(entry.number)
        stat = item.path.stat()
        source_id = f"{item.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        marker = out_dir / ".source"
        reuse = marker.exists() and marker.read_text(encoding="utf-8") == source_id
        if not reuse:  # segmenting is the slow part of a build; redo it only for a new source
            segment_to_hls(item.path, out_dir)
            marker.write_text(source_id, encoding="utf-8")
        for file in sorted(out_dir.iterdir()):
            if file.name.startswith("."):
                continue
            kind = HLS_TYPE if file.suffix == ".m3u8" else "video/mp2t"
            routes[f"/hls/{entry.number}/{file.name}"] = Resource(file, kind)
        src, mime = f"/hls/{entry.number}/{PLAYLIST_NAME}", "application/x-mpegURL"
    else:
        folder = "media" if item.kind == "video" else "music"
        src = f"/{folder}/{entry.number}{item.path.suffix.lower()}"
        mime = _media_type(item.path)
        routes[src] = Resource(item.path, mime)
    if item.js_player:
        api = f"/api/play/{entry.number}.json"
        pieces = [src[: len(src) // 2], src[len(src) // 2 :]]  # the URL is nowhere whole
        routes[api] = Resource(
            json.dumps({"tag": tag, "parts": pieces}).encode("utf-8"), "application/json"
        )
        entry.embed = f'<div id="player" data-api="{api}"></div><script>{_PLAYER_SCRIPT}</script>'
        return
    entry.embed = (
        f'<{tag} controls preload="none" width="640">'
        f'<source src="{src}" type="{mime}">您的浏览器不支持播放。</{tag}>'
    )


def _text_of(item: SiteItem) -> list[str]:
    if item.text is not None:
        text = item.text
    elif item.path is not None:
        text = item.path.read_text(encoding="utf-8")
    else:
        raise ValueError(f"text item {item.title!r} has neither text nor path")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _comments(number: int) -> str:
    picked = [_COMMENTS[(number + k) % len(_COMMENTS)] for k in range(3)]
    rows = "".join(
        f"<li><span>网友{number * 7 + k}：</span>{escape(c)}</li>" for k, c in enumerate(picked)
    )
    return f'<section class="comments"><h3>评论</h3><ul>{rows}</ul></section>'


def _related(entries: list[_Entry], entry: _Entry) -> str:
    others = [e for e in entries if e is not entry][:6]
    links = "".join(f'<li><a href="{e.page}">{escape(e.item.title)}</a></li>' for e in others)
    return f'<section class="related"><h3>猜你喜欢</h3><ul>{links}</ul></section>'


def _chapter_body(
    spec: SiteSpec, entry: _Entry, prev: _Entry | None, nxt: _Entry | None, toc: str
) -> str:
    prev_link = f'<a href="{prev.page}">上一章</a>' if prev else "<span>没有了</span>"
    next_link = f'<a href="{nxt.page}">下一章</a>' if nxt else "<span>没有了</span>"
    nav = f'<div class="bottem">{prev_link} ← <a href="{toc}">目录</a> → {next_link}</div>'
    spam = f"本站域名 {_domain(spec)} 请牢记，手机用户请浏览 m.{_domain(spec)[4:]} 阅读"
    paragraphs: list[str] = []
    for index, line in enumerate(entry.paragraphs):
        paragraphs.append(f"<p>{escape(line)}</p>")
        if (index + 1) % SPAM_EVERY == 0:
            paragraphs.append(f'<p class="spam">{escape(spam)}</p>')
    return (
        f'<div class="bookname"><h1>{escape(entry.item.title)}</h1>{_stats(entry)}{nav}</div>'
        f'<div class="ad">（天才一秒记住本站地址：{_domain(spec)}。最快更新！无广告！）</div>'
        f'<div id="content">{"".join(paragraphs)}</div>{nav}'
        f'<div class="ad"><a href="{_AD_URL}/novel">充值送VIP 免费阅读全本</a></div>'
        f"{_comments(entry.number)}"
    )


def _groups(entries: list[_Entry], default: str) -> dict[str, list[_Entry]]:
    groups: dict[str, list[_Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.item.group or default, []).append(entry)
    return groups


def _index_pages(spec: SiteSpec, entries: list[_Entry], routes: Routes, *, pirate: bool) -> None:
    """The grid of items, paginated: ``/`` then ``/list/2.html`` and so on."""
    pages = max(1, -(-len(entries) // ITEMS_PER_INDEX_PAGE))
    for number in range(1, pages + 1):
        chunk = entries[(number - 1) * ITEMS_PER_INDEX_PAGE : number * ITEMS_PER_INDEX_PAGE]
        cards = "".join(
            f'<li class="card"><a href="{e.page}"><img alt="" src="/static/poster.svg">'
            f"<span>{escape(e.item.title)}</span></a>{'<em>HD</em>' if pirate else ''}</li>"
            for e in chunk
        )
        pager = " ".join(
            f'<a href="{_index_path(n)}">{n}</a>' if n != number else f"<b>{n}</b>"
            for n in range(1, pages + 1)
        )
        body = f'<ul class="grid">{cards}</ul><div class="pager">{pager}</div>'
        routes[_index_path(number)] = _html(_document(spec, f"第{number}页", body, pirate=pirate))


def _index_path(number: int) -> str:
    return "/" if number == 1 else f"/list/{number}.html"


def item_view_count(number: int) -> int:
    """The view count a pirate site shows for its ``number``-th item (from 1): made up, but fixed,
    so that a sweep of the sandbox can be checked against what its pages said."""
    return 1_000 + (number * 245_489) % 900_000


def _shown(count: int) -> str:
    """A count as Chinese sites round it for display: ``24.6万``, ``1.2亿``, or in full."""
    if count >= 100_000_000:
        return f"{count / 100_000_000:.1f}亿"
    if count >= 10_000:
        return f"{count / 10_000:.1f}万"
    return str(count)


def _stats(entry: _Entry) -> str:
    """The view count of a pirate item as such sites show it: a video page rounds it for the
    eye (``播放量：24.6万``) and gives it exactly in schema.org JSON-LD for search engines; a
    track shows it in full (``246489次播放``); a chapter its reads (``阅读：24.6万``)."""
    count = item_view_count(entry.number)
    if entry.item.kind == "audio":
        return f'<span class="stats">{count}次播放</span>'
    if entry.item.kind == "text":
        return f'<div class="stats">阅读：{_shown(count)}</div>'
    data = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": entry.item.title,
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": {"@type": "WatchAction"},
            "userInteractionCount": count,
        },
    }
    structured = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<div class="stats"><span>播放量：{_shown(count)}</span></div>'
        f'<script type="application/ld+json">{structured}</script>'
    )


def _item_page(spec: SiteSpec, entries: list[_Entry], entry: _Entry, *, pirate: bool) -> bytes:
    item = entry.item
    if item.kind == "text":
        text = "".join(f"<p>{escape(line)}</p>" for line in entry.paragraphs)
        main = f'<article><h1>{escape(item.title)}</h1><div id="content">{text}</div></article>'
    else:
        main = f'<h1>{escape(item.title)}</h1><div class="player">{entry.embed}</div>'
    if pirate:
        main += (
            f"{_stats(entry)}"
            f'<div class="ad"><a href="{_AD_URL}/v">高清无码 立即下载APP</a></div>'
            f'<p class="desc">{escape(item.title)} 在线观看 免费高清 无需注册</p>'
            f"{_comments(entry.number)}{_related(entries, entry)}"
        )
    return _document(spec, item.title, main, pirate=pirate)


def _literature(spec: SiteSpec, entries: list[_Entry], routes: Routes) -> None:
    books = _groups(entries, spec.title)
    shelf = []
    for book_no, (book, chapters) in enumerate(books.items(), start=1):
        toc = f"/book/{book_no}/"
        for position, entry in enumerate(chapters):
            entry.page = f"/book/{book_no}/{position + 1}.html"
        for position, entry in enumerate(chapters):
            prev = chapters[position - 1] if position else None
            nxt = chapters[position + 1] if position + 1 < len(chapters) else None
            body = _chapter_body(spec, entry, prev, nxt, toc)
            routes[entry.page] = _html(_document(spec, entry.item.title, body, pirate=True))
        items = "".join(f'<dd><a href="{e.page}">{escape(e.item.title)}</a></dd>' for e in chapters)
        latest = chapters[-1]
        body = (
            f'<div id="info"><h1>{escape(book)}</h1><p>最新章节：'
            f'<a href="{latest.page}">{escape(latest.item.title)}</a></p></div>'
            f'<div id="list"><dl><dt>《{escape(book)}》正文</dt>{items}</dl></div>'
        )
        routes[toc] = _html(_document(spec, f"{book}最新章节", body, pirate=True))
        shelf.append(f'<li><a href="{toc}">{escape(book)}</a> 免费阅读</li>')
    body = f'<ul class="shelf">{"".join(shelf)}</ul>'
    routes["/"] = _html(_document(spec, "小说排行", body, pirate=True))


def _music(spec: SiteSpec, entries: list[_Entry], routes: Routes) -> None:
    albums = _groups(entries, spec.title)
    listing = []
    for album_no, (album, tracks) in enumerate(albums.items(), start=1):
        album_page = f"/album/{album_no}.html"
        rows = "".join(
            f'<li><a href="{t.page}">{n}. {escape(t.item.title)}</a> '
            f'<a href="{t.page}">试听</a></li>'
            for n, t in enumerate(tracks, start=1)
        )
        body = f'<h1>{escape(album)}</h1><ol class="tracks">{rows}</ol>{_comments(album_no)}'
        routes[album_page] = _html(_document(spec, album, body, pirate=True))
        listing.append(f'<li><a href="{album_page}">{escape(album)}</a> 无损下载</li>')
    for entry in entries:
        routes[entry.page] = _html(_item_page(spec, entries, entry, pirate=True))
    body = f'<ul class="albums">{"".join(listing)}</ul>'
    routes["/"] = _html(_document(spec, "热门专辑", body, pirate=True))


def build_site(spec: SiteSpec, work_dir: Path) -> Routes:
    """The route table of one site; HLS segments are written under ``work_dir/<name>/hls``."""
    prefix = {"video": "video", "music": "track", "literature": "chapter", "platform": "watch"}
    entries = [
        _Entry(number, item, f"/{prefix[spec.kind]}/{number}.html")
        for number, item in enumerate(spec.items, start=1)
    ]
    routes: Routes = {
        "/static/poster.svg": Resource(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="90"/>', "image/svg+xml"
        )
    }
    for entry in entries:
        if entry.item.kind == "text":
            entry.paragraphs = _text_of(entry.item)
        else:
            _add_media(entry, routes, work_dir, spec)
    if spec.kind == "literature":
        _literature(spec, entries, routes)
    elif spec.kind == "music":
        _music(spec, entries, routes)
    else:
        pirate = spec.kind != "platform"
        for entry in entries:
            routes[entry.page] = _html(_item_page(spec, entries, entry, pirate=pirate))
        _index_pages(spec, entries, routes, pirate=pirate)
    logger.info("sandbox site %s: %d routes", spec.name, len(routes))
    return routes


def run_sandbox(
    specs: list[SiteSpec],
    work_dir: Path,
    *,
    ports: Mapping[str, int] | None = None,
    extra: Sequence[SandboxSite] = (),
    journal: RequestJournal | None = None,
) -> SandboxServer:
    """Build every site (and serve ``extra`` ready-made ones beside them) and start serving;
    the caller stops the returned server. ``journal`` records every request answered."""
    work_dir.mkdir(parents=True, exist_ok=True)
    sites = [SandboxSite(s.name, build_site(s, work_dir), s.robots_txt) for s in specs]
    server = SandboxServer([*sites, *extra], ports=ports, journal=journal)
    server.start()
    return server
