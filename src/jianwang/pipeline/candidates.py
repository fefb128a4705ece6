"""Candidate sites: how much a domain outside the registry looks like a pirate site.

Sweeps queue domains that monitored pirate pages link to; :func:`probe_candidates` then looks at
each one's home page (through the guarded fetcher) for protected titles named with distribution
cues, media it serves, and a template shared with a registered site's (one operation's sites, or
sites built from one pirate kit, share their class and id names). The score orders the queue an
officer works through; nothing is added to the registry without the officer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.config import Settings
from jianwang.db import transaction, utcnow
from jianwang.db.models import PageVisit, Site, SiteCandidate
from jianwang.detections.titles import title_matcher
from jianwang.errors import FetchError
from jianwang.matching.titles import TitleMatcher
from jianwang.monitoring.discover import parse_page
from jianwang.monitoring.fetch import Fetcher
from jianwang.monitoring.spots import page_spots

log = logging.getLogger(__name__)

MAX_ELEMENTS = 5000


def structure_tokens(html: bytes) -> set[str]:
    """The page template's fingerprint: ``tag.class`` and ``tag#id`` of its elements (the
    content changes from page to page, the template's names do not)."""
    try:
        root = lxml.html.document_fromstring(
            html.decode("utf-8", errors="replace") or "<html/>",
            parser=lxml.html.HTMLParser(recover=True, huge_tree=False, no_network=True),
        )
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return set()
    tokens: set[str] = set()
    for n, el in enumerate(root.iter()):
        if n >= MAX_ELEMENTS:
            break
        tag = el.tag if isinstance(el.tag, str) else ""
        for name in (el.get("class") or "").split():
            tokens.add(f"{tag}.{name}")
        if el.get("id"):
            tokens.add(f"{tag}#{el.get('id')}")
    return tokens


def jaccard(a: set[str], b: set[str]) -> float:
    """Shared share of two sets (0 when both are empty)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def candidate_score(reasons: dict[str, object], sites: int) -> float:
    """A 0-1 score: protected titles named in links to it count most, then how many monitored
    sites link to it, then how often; what a probe of the domain found adds to it."""
    titled = float(str(reasons.get("protected_titles_in_link_texts", 0)))
    links = float(str(reasons.get("links_from_pirate_pages", 0)))
    probed_titles = float(str(reasons.get("probe_titles", 0)))
    probed_media = float(str(reasons.get("probe_media", 0)))
    similarity = float(str(reasons.get("probe_similarity", 0.0)))
    raw = (
        0.35 * min(1.0, (titled + probed_titles) / 5.0)
        + 0.2 * min(1.0, sites / 3.0)
        + 0.1 * min(1.0, links / 10.0)
        + 0.15 * min(1.0, probed_media / 3.0)
        + 0.2 * similarity
    )
    return round(min(1.0, raw), 4)


@dataclass(frozen=True)
class ProbeResult:
    """What a look at a candidate's home page found."""

    domain: str
    score: float
    titles: int
    media: int
    similarity: float
    error: str | None = None


def probe_candidates(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    limit: int = 20,
) -> list[ProbeResult]:
    """Fetch the home page of the best pending candidates not probed yet (through the guarded
    fetcher) and score what it shows: protected titles named with distribution cues, media it
    serves, and how much of its template it shares with a registered site's (the structure of
    one operation's sites, or of one pirate site kit)."""
    with transaction(factory) as session:
        pending = [
            (row.id, row.domain)
            for row in session.scalars(
                select(SiteCandidate)
                .where(SiteCandidate.status == "pending")
                .order_by(SiteCandidate.score.desc(), SiteCandidate.id)
            )
            if "probed_at" not in (row.reasons or {})
        ][:limit]
        matcher = title_matcher(session)
        templates = _registered_templates(session)
    results: list[ProbeResult] = []
    with Fetcher(settings) as fetcher:
        for candidate_id, domain in pending:
            results.append(_probe(factory, fetcher, matcher, templates, candidate_id, domain))
    return results


def _registered_templates(session: Session) -> list[set[str]]:
    """The template fingerprints of registered sites' home pages, from their stored copies."""
    templates: list[set[str]] = []
    for site in session.scalars(select(Site)):
        homes = [seed for seed in site.seeds if urlsplit(seed).path in ("", "/")]
        for visit in session.scalars(
            select(PageVisit).where(PageVisit.site_id == site.id, PageVisit.url.in_(homes))
        ):
            try:
                tokens = structure_tokens(Path(visit.path).read_bytes())
            except OSError:
                continue
            if tokens:
                templates.append(tokens)
    return templates


def _probe(
    factory: sessionmaker[Session],
    fetcher: Fetcher,
    matcher: TitleMatcher,
    templates: list[set[str]],
    candidate_id: int,
    domain: str,
) -> ProbeResult:
    url = f"http://{domain}/"
    try:
        page = fetcher.fetch_page(url)
    except FetchError as exc:
        result = ProbeResult(domain, 0.0, 0, 0, 0.0, str(exc))
    else:
        hits = matcher.find(page_spots(page.final_url, page.content))
        media = len(parse_page(page.final_url, page.content).media)
        tokens = structure_tokens(page.content)
        similarity = max((jaccard(tokens, t) for t in templates), default=0.0)
        result = ProbeResult(domain, 0.0, len({h.work_id for h in hits}), media, similarity)
    with transaction(factory) as session:
        row = session.get(SiteCandidate, candidate_id)
        assert row is not None
        reasons = dict(row.reasons or {})
        reasons.update(
            probed_at=utcnow().isoformat(),
            probe_titles=result.titles,
            probe_media=result.media,
            probe_similarity=round(result.similarity, 3),
        )
        if result.error:
            reasons["probe_error"] = result.error[:300]
        row.reasons = reasons
        row.score = max(row.score, candidate_score(reasons, len(row.linked_from or [])))
        result = ProbeResult(
            domain, row.score, result.titles, result.media, result.similarity, result.error
        )
    log.info("candidate %s probed: score %.2f (%d titles, %d media, template %.2f)",
             domain, result.score, result.titles, result.media, result.similarity)  # fmt: skip
    return result
