"""What a sweep learns from every page beyond the media it serves.

For each page the crawl visits: titles of protected works named with distribution cues become
title detections; cloud-drive share links (with their extraction codes), magnet links and
``.torrent`` files become link captures, matched by the names they carry; the page's filing
numbers, contacts, payment and membership pages and advertising become facts about the site's
operator; "new address" announcements link the announced domain to the site (one operation,
several domains over time, followed by later sweeps); and links to domains outside the registry
make those domains candidates for an officer to add. Each page's findings are written in one
transaction, so an interrupted sweep keeps what it has.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.content import ContentStore
from jianwang.db import transaction, utcnow
from jianwang.db.models import (
    AssetKind,
    Capture,
    Site,
    SiteCandidate,
    SiteDomain,
    SiteFact,
)
from jianwang.detections.review import ReviewPolicy, triage
from jianwang.detections.service import find_capture
from jianwang.detections.titles import record_title_detections
from jianwang.errors import FetchError, MediaError
from jianwang.evidence import ledger
from jianwang.matching.titles import TextSpot, TitleHit, TitleMatcher
from jianwang.monitoring.announcements import Announcement, find_new_addresses
from jianwang.monitoring.discover import PageLinks
from jianwang.monitoring.fetch import Fetcher, FetchResult
from jianwang.monitoring.hosting import network_of
from jianwang.monitoring.links import Magnet, ShareLink, find_downloads, find_torrent_urls
from jianwang.monitoring.operators import OperatorFacts, ad_network_of_host, find_operator_facts
from jianwang.monitoring.safety import DomainScope
from jianwang.monitoring.spots import page_spots
from jianwang.monitoring.torrent import parse_torrent
from jianwang.pipeline.candidates import candidate_score, jaccard, structure_tokens

log = logging.getLogger(__name__)

MAX_TORRENTS_PER_PAGE = 50
MAX_TORRENT_BYTES = 10_000_000
MAX_LINKS_PER_PAGE = 200
MAX_SAMPLE_URLS = 5
MAX_ANNOUNCED = 3  # more "new addresses" than this on one page is a link list, not a move
SAME_TEMPLATE = 0.5  # share of structure tokens two pages of one site's template have in common
ANNOUNCED_SCORE = 0.6  # a candidate a monitored site itself names as its new address
MAX_FILES_KEPT = 1000  # a torrent's file list kept in the capture's details
MAX_NAMES_MATCHED = 50  # of its file names, matched against the protection list


@dataclass
class DiscoveryCounts:
    """What discovery found in one sweep."""

    title_detections: int = 0
    link_items: int = 0
    facts: int = 0
    domains_linked: int = 0
    candidates: int = 0


def _domain(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host:
        return None
    default = 443 if parts.scheme == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


class PageDiscovery:
    """The ``on_page`` hook of one site's sweep (see the module)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        site_id: int,
        domains: list[str],
        matcher: TitleMatcher,
        fetcher: Fetcher,
        store: ContentStore,
        review: ReviewPolicy | None = None,
    ) -> None:
        self.factory = factory
        self.review = review or ReviewPolicy()  # no bands: every title match is reviewed
        self.site_id = site_id
        self.scope = DomainScope(domains)
        self.matcher = matcher
        self.fetcher = fetcher
        self.store = store
        self.counts = DiscoveryCounts()
        self.homes: dict[str, FetchResult | None] = {}  # announced addresses' home pages
        self.registered: set[str] | None = None  # every registered site's domains

    def __call__(self, page: FetchResult, found: PageLinks) -> None:
        spots = page_spots(page.final_url, page.content)
        hits = self.matcher.find(spots)
        downloads = find_downloads(page.content, page.final_url)
        shares = downloads.share_links[:MAX_LINKS_PER_PAGE]
        magnets = downloads.magnets[:MAX_LINKS_PER_PAGE]
        torrents = list(dict.fromkeys([*downloads.torrent_urls, *find_torrent_urls(found.links)]))
        facts = find_operator_facts(page.content, page.final_url)
        announced = find_new_addresses(page.content, page.final_url)
        outbound = [u for u in found.links if not self.scope.contains_url(u)]
        hops = self._verified_hops(page, facts, announced)
        torrent_items = [
            item for url in torrents[:MAX_TORRENTS_PER_PAGE] if (item := self._torrent(url))
        ]
        with transaction(self.factory) as session:
            site = session.get(Site, self.site_id)
            assert site is not None
            page_hits = [h for h in hits if not _points_at_item(h, shares, magnets)]
            if page_hits:
                capture = self._page_capture(session, site, page, found.view_count)
                self._titles(session, capture, page_hits)
            self._shares(session, site, page, shares, hits)
            self._magnets(session, site, page, magnets, hits)
            for url, data, details, names in torrent_items:
                named = self.matcher.find([TextSpot("link", n) for n in names if n])
                near = [h for h in hits if h.url == url] + named
                self._link(session, site, page, url, details, near, content=data, suffix=".torrent")
            self._facts(session, site, page.final_url, facts)
            self._address(session, site, page)
            for announcement, same in hops:
                if same:
                    self._link_domain(
                        session, site, announcement.domain, page.final_url, announcement.text
                    )
                else:
                    self._announced_candidate(session, site, announcement, page.final_url)
            self._candidates(session, site, outbound, hits)

    def _shares(
        self,
        session: Session,
        site: Site,
        page: FetchResult,
        shares: list[ShareLink],
        hits: list[TitleHit],
    ) -> None:
        for share in shares:
            details: dict[str, object] = {
                "type": "cloud_share",
                "provider": share.provider,
                "url": share.url,
                "code": share.code,
            }
            near = [h for h in hits if h.url == share.url]
            self._link(session, site, page, share.url, details, near)

    def _magnets(
        self,
        session: Session,
        site: Site,
        page: FetchResult,
        magnets: list[Magnet],
        hits: list[TitleHit],
    ) -> None:
        for magnet in magnets:
            details: dict[str, object] = {
                "type": "magnet",
                "info_hash": magnet.info_hash,
                "name": magnet.name,
                "trackers": list(magnet.trackers),
                "size": magnet.size,
            }
            named = self.matcher.find([TextSpot("link", magnet.name)]) if magnet.name else []
            near = [h for h in hits if h.url and magnet.info_hash in h.url.lower()] + named
            uri = magnet.uri or f"magnet:?xt=urn:btih:{magnet.info_hash}"
            self._link(session, site, page, uri, details, near)

    def _verified_hops(
        self, page: FetchResult, facts: OperatorFacts, announced: list[Announcement]
    ) -> list[tuple[Announcement, bool]]:
        """Each announced domain, and whether it serves the same operation: its home page
        shares the announcing page's template or its filing number. A page announcing many
        domains is a link list, not a move, and announces nothing."""
        fresh = [a for a in announced if not self.scope.contains_url(f"http://{a.domain}/")]
        if not fresh or len(fresh) > MAX_ANNOUNCED:
            return []
        mine = structure_tokens(page.content)
        checked: list[tuple[Announcement, bool]] = []
        for announcement in fresh:
            if announcement.domain not in self.homes:  # each address fetched once per sweep
                self.homes[announcement.domain] = self._home(announcement.domain)
            home = self.homes[announcement.domain]
            if home is None:
                checked.append((announcement, False))
                continue
            theirs = find_operator_facts(home.content, home.final_url)
            same_filing = bool(set(facts.icp_numbers) & set(theirs.icp_numbers))
            similar = jaccard(mine, structure_tokens(home.content)) >= SAME_TEMPLATE
            checked.append((announcement, same_filing or similar))
        return checked

    def _home(self, domain: str) -> FetchResult | None:
        url = f"http://{domain}/"
        try:
            return self.fetcher.fetch_page(url)
        except FetchError as exc:
            log.info("announced address %s does not answer: %s", url, exc)
            return None

    def _announced_candidate(
        self, session: Session, site: Site, announcement: Announcement, url: str
    ) -> None:
        """An announced address that could not be confirmed as the same operation waits for
        an officer, with the announcement as its reason."""
        now = utcnow()
        row = session.scalar(
            select(SiteCandidate).where(SiteCandidate.domain == announcement.domain)
        )
        if row is None:
            row = SiteCandidate(domain=announcement.domain, status="pending", score=0.0,
                                reasons={}, linked_from=[], sample_urls=[], first_seen=now,
                                last_seen=now)  # fmt: skip
            session.add(row)
            self.counts.candidates += 1
        reasons = dict(row.reasons or {})
        reasons["announced_by"] = site.id
        reasons["announcement"] = announcement.text[:300]
        row.reasons = reasons
        row.last_seen = now
        row.sample_urls = list(dict.fromkeys([*(row.sample_urls or []), url]))[:MAX_SAMPLE_URLS]
        row.score = max(row.score, ANNOUNCED_SCORE)
        session.flush()

    def _torrent(self, url: str) -> tuple[str, bytes, dict[str, object], list[str]] | None:
        try:
            with self.fetcher.open(url) as opened:
                data = b"".join(opened.iter_chunks(max_bytes=MAX_TORRENT_BYTES))
            info = parse_torrent(data, max_bytes=MAX_TORRENT_BYTES)
        except (FetchError, MediaError, ValueError) as exc:
            log.warning("torrent %s: %s", url, exc)
            return None
        details: dict[str, object] = {
            "type": "torrent",
            "info_hash": info.info_hash,
            "name": info.name,
            "files": [[f.path, f.length] for f in info.files[:MAX_FILES_KEPT]],
            "file_count": len(info.files),
            "total_size": info.total_size,
            "private": info.private,
            "trackers": list(info.trackers),
        }
        names = [info.name, *(f.path for f in info.files[:MAX_NAMES_MATCHED])]
        return url, data, details, names

    def _page_capture(
        self, session: Session, site: Site, page: FetchResult, view_count: int | None
    ) -> Capture:
        """The capture of this page's bytes (a text capture when there is one), made when none."""
        existing = find_capture(
            session, site_id=site.id, page_url=page.final_url, sha256=page.sha256
        )
        if existing is not None:
            return existing
        stored = self.store.put_bytes(page.content, ".html")
        capture = self._capture(session, site, page, AssetKind.PAGE, None, stored.path,
                                page.sha256, len(page.content), None)  # fmt: skip
        capture.view_count = view_count
        return capture

    def _capture(
        self,
        session: Session,
        site: Site,
        page: FetchResult,
        kind: AssetKind,
        media_url: str | None,
        path: object,
        sha256: str,
        size: int,
        details: dict[str, object] | None,
    ) -> Capture:
        capture = Capture(
            site_id=site.id,
            site=site,
            kind=kind,
            page_url=page.final_url,
            media_url=media_url,
            final_url=page.final_url,
            redirect_chain=list(page.redirect_chain),
            fetched_at=page.fetched_at,
            http_status=page.status,
            resolved_ip=page.resolved_ip,
            response_headers=dict(page.headers),
            page_title=None,
            page_sha256=page.sha256,
            content_sha256=sha256,
            content_path=str(path),
            size_bytes=size,
            details=details,
            matched_at=utcnow(),
        )
        session.add(capture)
        session.flush()
        ledger.append(
            session,
            kind="capture",
            subject=f"capture:{capture.id}",
            payload={
                "site": site.name,
                "kind": kind.value,
                "page_url": capture.page_url,
                "media_url": media_url,
                "fetched_at": capture.fetched_at.isoformat(),
                "resolved_ip": capture.resolved_ip,
                "page_sha256": capture.page_sha256,
                "content_sha256": sha256,
                "details": details,
            },
        )
        return capture

    def _link(
        self,
        session: Session,
        site: Site,
        page: FetchResult,
        url: str,
        details: dict[str, object],
        hits: list[TitleHit],
        *,
        content: bytes | None = None,
        suffix: str = ".json",
    ) -> None:
        """A share link, magnet or torrent as a capture of its own (the torrent file, or the
        link's record as JSON), with title detections for the works its name or text names."""
        body = content if content is not None else ledger.canonical_json(details)
        stored = self.store.put_bytes(body, suffix)
        capture = find_capture(
            session, site_id=site.id, page_url=page.final_url, sha256=stored.sha256
        )
        if capture is None:
            capture = self._capture(session, site, page, AssetKind.LINK, url, stored.path,
                                    stored.sha256, stored.size, details)  # fmt: skip
            self.counts.link_items += 1
        if hits:
            self._titles(session, capture, hits)

    def _titles(self, session: Session, capture: Capture, hits: list[TitleHit]) -> None:
        """Record the title detections of ``hits`` and triage them at once (review bands and
        allow rules), so a rejected match does not come back to the queue."""
        added = record_title_detections(session, capture=capture, hits=hits)
        triage(session, detections=added, policy=self.review)
        self.counts.title_detections += len(added)

    def _facts(self, session: Session, site: Site, url: str, facts: OperatorFacts) -> None:
        self._record(session, site, url, fact_pairs(facts))

    def _record(self, session: Session, site: Site, url: str, pairs: list[tuple[str, str]]) -> None:
        """Each (kind, value) as a fact of the site: new ones added, known ones seen again."""
        now = utcnow()
        for kind, value in pairs:
            row = session.scalar(
                select(SiteFact).where(
                    SiteFact.site_id == site.id, SiteFact.kind == kind, SiteFact.value == value
                )
            )
            if row is None:
                session.add(SiteFact(site_id=site.id, kind=kind, value=value[:500], page_url=url,
                                     first_seen=now, last_seen=now, times_seen=1))  # fmt: skip
                self.counts.facts += 1
                if kind == "icp" and not site.icp_number:
                    site.icp_number = value
            else:
                row.last_seen = now
                row.times_seen += 1
        session.flush()

    def _address(self, session: Session, site: Site, page: FetchResult) -> None:
        """The address the page's host resolved to, and the network hosting it where an
        imported table names it: a site's hosting over time."""
        domain = _domain(page.final_url)
        if not domain or not page.resolved_ip:
            return
        pairs = [("ip", f"{domain} {page.resolved_ip}")]
        network = network_of(session, page.resolved_ip)
        if network is not None:
            pairs.append(("hosting", f"{domain} {network.describe()}"))
        self._record(session, site, page.final_url, pairs)

    def _link_domain(self, session: Session, site: Site, domain: str, url: str, text: str) -> None:
        """The site announced ``domain`` as its new address: the same operation, so the domain
        joins the site (later sweeps follow it) and the link is entered in the ledger."""
        domain = domain.lower().strip().rstrip("/")
        if not domain or domain in site.domains:
            return
        now = utcnow()
        site.domains = [*site.domains, domain]
        root = f"http://{domain}/"
        if root not in site.seeds:
            site.seeds = [*site.seeds, root]
        session.add(SiteDomain(site_id=site.id, domain=domain, source="announcement",
                               evidence_url=url, evidence_text=text[:2000], first_seen=now,
                               last_seen=now))  # fmt: skip
        candidate = session.scalar(select(SiteCandidate).where(SiteCandidate.domain == domain))
        if candidate is not None and candidate.status == "pending":
            candidate.status = "linked"
            candidate.site_id = site.id
        ledger.append(
            session,
            kind="domain_hop",
            subject=f"site:{site.id}",
            payload={"site": site.name, "domain": domain, "announced_at": url, "text": text[:500]},
        )
        self.counts.domains_linked += 1
        log.info("site %s announced a new address: %s (%s)", site.name, domain, url)

    def _candidates(
        self, session: Session, site: Site, outbound: list[str], hits: list[TitleHit]
    ) -> None:
        """Domains outside the registry that this page links to, with what the links said
        (advertising networks' hosts are evidence of profit, recorded as facts, not sites)."""
        if self.registered is None:  # read once per sweep, not once per page
            self.registered = {d for s in session.scalars(select(Site)) for d in s.domains}
        registered = self.registered | set(site.domains)
        by_domain: dict[str, list[str]] = {}
        for url in outbound:
            domain = _domain(url)
            host = domain.split(":", 1)[0] if domain else ""
            if domain and domain not in registered and ad_network_of_host(host) is None:
                by_domain.setdefault(domain, []).append(url)
        now = utcnow()
        for domain, urls in by_domain.items():
            titled = sum(1 for h in hits if h.url and _domain(h.url) == domain)
            row = session.scalar(select(SiteCandidate).where(SiteCandidate.domain == domain))
            if row is None:
                row = SiteCandidate(domain=domain, status="pending", score=0.0, reasons={},
                                    linked_from=[], sample_urls=[], first_seen=now,
                                    last_seen=now)  # fmt: skip
                session.add(row)
                self.counts.candidates += 1
            reasons = dict(row.reasons or {})
            reasons["links_from_pirate_pages"] = int(
                reasons.get("links_from_pirate_pages", 0)
            ) + len(urls)
            reasons["protected_titles_in_link_texts"] = (
                int(reasons.get("protected_titles_in_link_texts", 0)) + titled
            )
            row.reasons = reasons
            if site.id not in (row.linked_from or []):
                row.linked_from = [*(row.linked_from or []), site.id]
            samples = list(row.sample_urls or [])
            row.sample_urls = (samples + [u for u in urls if u not in samples])[:MAX_SAMPLE_URLS]
            row.last_seen = now
            row.score = candidate_score(reasons, len(row.linked_from))
        session.flush()


def _points_at_item(hit: TitleHit, shares: list[ShareLink], magnets: list[Magnet]) -> bool:
    """Whether a link-text hit points at a share or magnet captured as an item of its own (the
    detection then belongs to that item, not to the page)."""
    if hit.url is None:
        return False
    if hit.url in {share.url for share in shares}:
        return True
    target = hit.url.lower()
    return any(magnet.info_hash in target for magnet in magnets)


def fact_pairs(facts: OperatorFacts) -> list[tuple[str, str]]:
    """(kind, value) of every fact one page states, as they are recorded for its site."""
    pairs = [("icp", v) for v in facts.icp_numbers] + [("psb", v) for v in facts.psb_numbers]
    pairs += [("email", v) for v in facts.emails]
    pairs += [(handle.kind, handle.value) for handle in facts.handles]
    pairs += [("payment_page", v) for v in facts.payment_urls]
    pairs += [("membership_page", v) for v in facts.membership_urls]
    pairs += [("payment_cue", v) for v in facts.payment_cues]
    pairs += [("membership_cue", v) for v in facts.membership_cues]
    pairs += [("ad_network", network.name) for network in facts.ad_networks]
    return pairs
