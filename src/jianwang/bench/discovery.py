"""The discovery benchmark: title matches, share links, torrents, domain hops and filing numbers
found on a sandbox of link sites, a forum, a torrent index, a shop and a pirate site that moves.

The world and its answer key come from :mod:`jianwang.sandbox.discovery`. The works are
registered by name only; the sites (all but the moving site's new address) are registered and
swept by the real monitoring sweep; the moving site then announces its new domain and
everything is swept again. Scores:

- **titles**, per spot of the key: the page as served is cut into spots and matched as a sweep
  does it, and each key spot is a true or false positive or negative; page-level figures from
  the detections the sweeps recorded are reported beside them;
- **domain hops**: the old site's record names the new domain after the second sweep;
- **filing numbers**: every ICP number each page shows is among the facts read from that page,
  and among its site's recorded facts;
- **share links, magnets and torrents**: found among the sweep's link captures.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.bench.report import Target, rounded, verdict
from jianwang.catalog import service as catalog
from jianwang.catalog.indexes import open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import AssetKind, Capture, Detection, SiteDomain, SiteFact, Work
from jianwang.detections.titles import SIGNAL, title_matcher
from jianwang.matching.titles import TitleMatcher
from jianwang.media.limits import DecodeLimits
from jianwang.monitoring.operators import find_operator_facts
from jianwang.monitoring.sites import add_site
from jianwang.monitoring.spots import page_spots
from jianwang.pipeline.sweep import sweep_site
from jianwang.sandbox.discovery import NEW, DiscoverySandbox, DiscoveryWorld, build_discovery_world
from jianwang.signals.registry import default_registry

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
PRECISION_TARGET = Target(0.98)
RECALL_TARGET = Target(0.95)
RIGHTS_HOLDER = "Benchmark Studios"


@dataclass
class DiscoveryBenchResult:
    """Everything one run measured; ``to_json`` gives the documented JSON form."""

    seed: int
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0
    by_note: dict[str, dict[str, int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    page_precision: float | None = None
    page_recall: float | None = None
    hops_linked: int = 0
    hops_total: int = 0
    icp_extracted: int = 0
    icp_total: int = 0
    icp_recorded: int = 0
    icp_distinct: int = 0
    icp_missed: list[str] = field(default_factory=list)
    shares_found: int = 0
    shares_total: int = 0
    magnets_found: int = 0
    magnets_total: int = 0
    torrents_found: int = 0
    torrents_total: int = 0
    sweep_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else None

    def checks(self) -> dict[str, bool | None]:
        return {
            "title_precision": PRECISION_TARGET.met(self.precision),
            "title_recall": RECALL_TARGET.met(self.recall),
            "every_hop_linked": self.hops_linked == self.hops_total if self.hops_total else None,
            "every_icp_extracted": self.icp_extracted == self.icp_total if self.icp_total else None,
        }

    def to_json(self) -> dict[str, Any]:
        checks = self.checks()
        return {
            "benchmark": "discovery",
            "seed": self.seed,
            "title_precision": rounded(self.precision),
            "title_recall": rounded(self.recall),
            "domain_hops_linked": self.hops_linked,
            "domain_hops_total": self.hops_total,
            "icp_extracted": self.icp_extracted,
            "icp_total": self.icp_total,
            "titles": {
                "true_positives": self.true_positives,
                "false_positives": self.false_positives,
                "false_negatives": self.false_negatives,
                "true_negatives": self.true_negatives,
                "by_note": self.by_note,
                "missed": self.misses[:50],
                "false_alarms": self.false_alarms[:50],
                "page_level_precision": rounded(self.page_precision),
                "page_level_recall": rounded(self.page_recall),
            },
            "icp_recorded_per_site": {"recorded": self.icp_recorded, "distinct": self.icp_distinct},
            "icp_missed": self.icp_missed[:20],
            "share_links": {"found": self.shares_found, "total": self.shares_total},
            "magnets": {"found": self.magnets_found, "total": self.magnets_total},
            "torrents": {"found": self.torrents_found, "total": self.torrents_total},
            "sweep_wall_s": [rounded(s, 2) for s in self.sweep_s],
            "errors": self.errors[:50],
            "checks": checks,
            "passed": verdict(*checks.values()),
        }


def _register(
    factory: sessionmaker[Session],
    world: DiscoveryWorld,
    sandbox: DiscoverySandbox,
    settings: Settings,
) -> dict[str, int]:
    """The works by name only (no reference media), and every site but the moving one's new
    address."""
    ids: dict[str, int] = {}
    registry = default_registry()
    with transaction(factory) as session:
        indexes = open_indexes(session, settings.index_dir, registry)
        for work in world.works:
            catalog.add_work(
                session,
                title=work.title,
                kind=work.kind,
                rights_holder=RIGHTS_HOLDER,
                references=[],
                aliases=list(work.aliases),
                indexes=indexes,
                store=ContentStore(settings.content_dir),
                registry=registry,
                limits=DecodeLimits(),
            )
        for site in world.sites:
            if site.name == NEW:
                continue  # found through the old site's announcement, not registered
            row = add_site(
                session,
                name=site.name,
                kind=_site_kind(site.kind),
                seeds=[sandbox.base_url(site.name) + "/"],
                max_pages=500,
                max_depth=6,
            )
            ids[site.name] = row.id
    return ids


def _site_kind(kind: str) -> str:
    """The registry's kind for a sandbox site (a news site is watched as a link site would be:
    for what it names and links to)."""
    return "video" if kind == "video" else "link"


def _sweep(
    factory: sessionmaker[Session],
    ids: dict[str, int],
    settings: Settings,
    result: DiscoveryBenchResult,
) -> None:
    registry, limits = default_registry(), DecodeLimits()
    began = time.perf_counter()
    for site_id in ids.values():
        swept = sweep_site(
            factory, site_id=site_id, settings=settings, registry=registry, limits=limits
        )
        result.errors.extend(swept.errors)
    result.sweep_s.append(time.perf_counter() - began)


def _score_spots(
    session: Session,
    world: DiscoveryWorld,
    matcher: TitleMatcher,
    ports: dict[str, int],
    result: DiscoveryBenchResult,
) -> None:
    """Each key spot against the hits of its page, the page cut into spots as a sweep does."""
    ids_by_title = {
        title: work_id for work_id, title in session.execute(select(Work.id, Work.title))
    }
    work_ids = {work.key: ids_by_title[work.title] for work in world.works}
    by_page: dict[tuple[str, str], list[Any]] = {}
    for spot in world.title_spots:
        by_page.setdefault((spot.site, spot.path), []).append(spot)
    for (site, path), spots in by_page.items():
        html = world.html(site, path, ports=ports)
        url = f"http://127.0.0.1:{ports[site]}{path}"
        hits = matcher.find(page_spots(url, html))
        named = {(h.where, " ".join(h.text.split())): h.work_id for h in hits}
        for spot in spots:
            got = named.get((spot.kind, " ".join(spot.text.split())[:300]))
            expected = None if spot.work is None else work_ids[spot.work]
            stats = result.by_note.setdefault(spot.note, {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
            if expected is not None and got == expected:
                result.true_positives += 1
                stats["tp"] += 1
            elif expected is not None:
                result.false_negatives += 1
                stats["fn"] += 1
                result.misses.append(f"{site}{path} [{spot.kind}] {spot.text[:120]}")
                if got is not None:
                    result.false_positives += 1
            elif got is not None:
                result.false_positives += 1
                stats["fp"] += 1
                result.false_alarms.append(f"{site}{path} [{spot.kind}] {spot.text[:120]}")
            else:
                result.true_negatives += 1
                stats["tn"] += 1


def _page_level(
    session: Session,
    world: DiscoveryWorld,
    ids: dict[str, int],
    ports: dict[str, int],
    result: DiscoveryBenchResult,
) -> None:
    """Page-level figures from what the sweeps recorded: (page, work) pairs."""
    titles = {work.key: work.title for work in world.works}
    expected = {
        (f"http://127.0.0.1:{ports[s.site]}{s.path}", titles[s.work])
        for s in world.title_spots
        if s.work is not None and s.site in ids
    }
    recorded = {
        (capture.page_url, detection.work.title)
        for detection, capture in session.execute(
            select(Detection, Capture)
            .join(Capture, Capture.id == Detection.capture_id)
            .where(Detection.signal == SIGNAL)
        )
    }
    true = len(expected & recorded)
    result.page_precision = true / len(recorded) if recorded else None
    result.page_recall = true / len(expected) if expected else None


def _links(session: Session, world: DiscoveryWorld, result: DiscoveryBenchResult) -> None:
    details = [
        c.details or {}
        for c in session.scalars(select(Capture).where(Capture.kind == AssetKind.LINK))
    ]
    share_urls = {d.get("url") for d in details if d.get("type") == "cloud_share"}
    hashes = {d.get("info_hash") for d in details}
    result.shares_total = len({s.url for s in world.share_links})
    result.shares_found = len({s.url for s in world.share_links} & share_urls)
    result.magnets_total = len({m.info_hash for m in world.magnets})
    result.magnets_found = len({m.info_hash for m in world.magnets} & hashes)
    result.torrents_total = len({t.info_hash for t in world.torrents})
    result.torrents_found = len({t.info_hash for t in world.torrents} & hashes)


def _icp(
    session: Session,
    world: DiscoveryWorld,
    ids: dict[str, int],
    ports: dict[str, int],
    result: DiscoveryBenchResult,
) -> None:
    for (site, path), numbers in world.icp_numbers.items():
        url = f"http://127.0.0.1:{ports[site]}{path}"
        found = set(find_operator_facts(world.html(site, path, ports=ports), url).icp_numbers)
        for number in numbers:
            result.icp_total += 1
            if number in found:
                result.icp_extracted += 1
            else:
                result.icp_missed.append(f"{site}{path}: {number} (found {sorted(found)})")
    shown = {(site, n) for (site, _), numbers in world.icp_numbers.items() for n in numbers}
    recorded = {
        (name, fact.value)
        for name, site_id in ids.items()
        for fact in session.scalars(
            select(SiteFact).where(SiteFact.site_id == site_id, SiteFact.kind == "icp")
        )
    }
    result.icp_distinct = len({pair for pair in shown if pair[0] in ids})
    result.icp_recorded = len({pair for pair in shown if pair[0] in ids} & recorded)


def run_discovery_bench(*, seed: int, progress: ProgressFn) -> DiscoveryBenchResult:
    """The whole benchmark (see the module)."""
    result = DiscoveryBenchResult(seed=seed)
    world = build_discovery_world(seed)
    with tempfile.TemporaryDirectory(prefix="jianwang-bench-discovery-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", allow_private_hosts=True)
        engine = create_db_engine(settings.db_url)
        ensure_schema(engine)
        factory = session_factory(engine)
        with DiscoverySandbox(world) as sandbox:
            ids = _register(factory, world, sandbox, settings)
            progress("first sweep", 0, 2)
            _sweep(factory, ids, settings, result)
            sandbox.switch_to_phase_2()
            progress("second sweep, after the move", 1, 2)
            _sweep(factory, ids, settings, result)
            progress("scoring", 2, 2)
            ports = sandbox.ports()
            with transaction(factory) as session:
                matcher = title_matcher(session)
                _score_spots(session, world, matcher, ports, result)
                _page_level(session, world, ids, ports, result)
                _links(session, world, result)
                _icp(session, world, ids, ports, result)
                for hop in world.domain_hops:
                    result.hops_total += 1
                    new = f"127.0.0.1:{ports[hop.new_site]}"
                    linked = session.scalar(
                        select(SiteDomain).where(
                            SiteDomain.site_id == ids[hop.old_site], SiteDomain.domain == new
                        )
                    )
                    result.hops_linked += linked is not None
    return result
