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

from jianwang.sandbox.discovery.content import DECOYS, WORKS, BValue, bencode, build_torrent
from jianwang.sandbox.discovery.key import (
    FORUM,
    HOST,
    HTML_TYPE,
    LINKS_A,
    LINKS_B,
    NEW,
    NEWS,
    OLD,
    SHOP,
    TORRENT_TYPE,
    TORRENTS,
    AdSlot,
    Announcement,
    Contact,
    ContactKind,
    DiscoverySite,
    DiscoveryWork,
    DiscoveryWorld,
    DomainHop,
    MagnetLink,
    PageRef,
    ShareLink,
    SiteFile,
    SiteKind,
    SpotKind,
    TitleSpot,
    TorrentFile,
    WorkKind,
    fill_ports,
    normalise_number,
)
from jianwang.sandbox.discovery.serve import DiscoverySandbox, serve_discovery_world
from jianwang.sandbox.discovery.sites import build_discovery_world

__all__ = [
    "DECOYS",
    "FORUM",
    "HOST",
    "HTML_TYPE",
    "LINKS_A",
    "LINKS_B",
    "NEW",
    "NEWS",
    "OLD",
    "SHOP",
    "TORRENTS",
    "TORRENT_TYPE",
    "WORKS",
    "AdSlot",
    "Announcement",
    "BValue",
    "Contact",
    "ContactKind",
    "DiscoverySandbox",
    "DiscoverySite",
    "DiscoveryWork",
    "DiscoveryWorld",
    "DomainHop",
    "MagnetLink",
    "PageRef",
    "ShareLink",
    "SiteFile",
    "SiteKind",
    "SpotKind",
    "TitleSpot",
    "TorrentFile",
    "WorkKind",
    "bencode",
    "build_discovery_world",
    "build_torrent",
    "fill_ports",
    "normalise_number",
    "serve_discovery_world",
]
