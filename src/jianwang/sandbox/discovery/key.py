"""The answer key's records, the sites' files and the world they make up, and the port tokens
filled in when the sites are served."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from jianwang.sandbox.server import Resource, SandboxSite

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
