"""The harness: register the works, serve the sites, sweep them twice, watch the live channel.

Costs are this process's: the sites are served from a child process (see ``server``), so CPU
seconds (``time.process_time``, every thread here: crawling, decoding, matching, the database)
belong to the monitor alone. Refetches are counted from the server's journal: a body sent again
(200 or 206) for an item whose bytes had not changed is a refetch; a 304 is not.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.bench.monitor.plan import FULL, QUICK, Expected, World, build_world
from jianwang.bench.monitor.result import (
    ItemScore,
    LiveFigures,
    MonitorBenchResult,
    SweepFigures,
)
from jianwang.bench.monitor.server import LIVE_SITE, SandboxProcess
from jianwang.bench.report import Stopwatch, peak_rss_mb
from jianwang.catalog import service as catalog
from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import AssetKind, Capture, Detection, DetectionStatus
from jianwang.media.limits import DecodeLimits
from jianwang.monitoring.sites import add_site
from jianwang.pipeline.live import LiveDetection, watch_live
from jianwang.pipeline.sweep import SweepResult, sweep_site
from jianwang.sandbox.live import programme_segments
from jianwang.sandbox.server import ServedRequest
from jianwang.signals.registry import SignalRegistry, default_registry

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
RIGHTS_HOLDER = "Benchmark Pictures & Records"
LIVE_GRACE_S = 30.0


def _register_works(
    factory: sessionmaker[Session],
    world: World,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
    progress: ProgressFn,
) -> None:
    with transaction(factory) as session:
        indexes = open_indexes(session, settings.index_dir, registry)
        store = ContentStore(settings.content_dir)
        for n, work in enumerate(world.works):
            progress("registering protected works", n, len(world.works))
            catalog.add_work(
                session,
                title=work.title,
                kind=work.kind,
                rights_holder=RIGHTS_HOLDER,
                references=list(work.references),
                indexes=indexes,
                store=store,
                registry=registry,
                limits=limits,
            )
        session.flush()
        indexes.save()


def _register_sites(
    factory: sessionmaker[Session], world: World, sandbox: SandboxProcess
) -> dict[str, int]:
    ids: dict[str, int] = {}
    with transaction(factory) as session:
        for spec in world.specs:
            site = add_site(
                session,
                name=spec.name,
                kind="platform" if spec.kind == "platform" else spec.kind,
                seeds=[sandbox.base_url(spec.name) + "/"],
                max_pages=1000,
                max_depth=6,
            )
            ids[spec.name] = site.id
        live = add_site(
            session,
            name=LIVE_SITE,
            kind="live",
            seeds=[sandbox.base_url(LIVE_SITE) + "/live/index.m3u8"],
        )
        ids[LIVE_SITE] = live.id
        for work in world.works:
            for licensee in work.licensed_on:
                catalog.add_licence(
                    session, work=work.title, site=licensee, starts_on=date(2020, 1, 1)
                )
    return ids


def _item_captures(session: Session, site_id: int, title: str) -> list[Capture]:
    prefix = f"{title} - "
    return [
        c
        for c in session.scalars(select(Capture).where(Capture.site_id == site_id))
        if (c.page_title or "").startswith(prefix)
    ]


def score_items(
    session: Session, site_ids: dict[str, int], expected: Sequence[Expected]
) -> list[ItemScore]:
    """What the database holds for each expected item: captured or not, and which works were
    detected in its content with which statuses (rejected detections and title matches left
    out)."""
    scores = []
    for item in expected:
        captures = _item_captures(session, site_ids[item.site], item.title)
        found: dict[str, set[str]] = {}
        for capture in captures:
            for d in session.scalars(select(Detection).where(Detection.capture_id == capture.id)):
                if d.status is not DetectionStatus.FALSE_POSITIVE and _fingerprint(d):
                    found.setdefault(d.work.title, set()).add(d.status.value)
        scores.append(
            ItemScore(
                site=item.site,
                title=item.title,
                kind=item.kind,
                work=item.work,
                licensed=item.licensed,
                captured=bool(captures),
                found={work: tuple(sorted(s)) for work, s in found.items()},
            )
        )
    return scores


def _stray_detections(
    session: Session, site_ids: dict[str, int], expected: Sequence[Expected]
) -> int:
    """Detections on captures that belong to no expected item (an index page, say)."""
    owned: set[int] = set()
    for item in expected:
        owned.update(c.id for c in _item_captures(session, site_ids[item.site], item.title))
    return sum(
        1
        for d in session.scalars(select(Detection))
        if d.capture_id not in owned
        and d.status is not DetectionStatus.FALSE_POSITIVE
        and _fingerprint(d)
    )


def _fingerprint(detection: Detection) -> bool:
    """Whether a detection matched content. Title matches (pages naming a work with download
    cues) are scored by the discovery benchmark, not here."""
    return detection.evidence_class == "fingerprint"


def _media_seconds(session: Session, capture_ids: set[int]) -> float:
    return sum(
        c.length or 0.0
        for c in session.scalars(select(Capture).where(Capture.id.in_(capture_ids)))
        if c.kind is not AssetKind.TEXT
    )


def _sweep_all(
    factory: sessionmaker[Session],
    site_ids: dict[str, int],
    world: World,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
    indexes: IndexSet,
    progress: ProgressFn,
    label: str,
) -> tuple[list[SweepResult], Stopwatch, set[int]]:
    with transaction(factory) as session:
        before = set(session.scalars(select(Capture.id)))
    results = []
    names = [spec.name for spec in world.specs]
    with Stopwatch() as watch:
        for n, name in enumerate(names):
            progress(f"{label} sweep", n, len(names))
            results.append(
                sweep_site(
                    factory,
                    site_id=site_ids[name],
                    settings=settings,
                    registry=registry,
                    limits=limits,
                    indexes=indexes,
                )
            )
        progress(f"{label} sweep", len(names), len(names))
    with transaction(factory) as session:
        new = set(session.scalars(select(Capture.id))) - before
    return results, watch, new


def _figures(
    label: str,
    results: list[SweepResult],
    watch: Stopwatch,
    media_s: float,
    scores: list[ItemScore],
    stray: int,
) -> SweepFigures:
    return SweepFigures(
        label=label,
        wall_s=watch.wall_s,
        cpu_s=watch.cpu_s,
        handling_s=sum(r.handling_s for r in results),
        pages=sum(r.pages for r in results),
        captures_new=sum(r.captures_new for r in results),
        captures_seen=sum(r.captures_seen for r in results),
        media_unchanged=sum(r.media_unchanged for r in results),
        media_s=media_s,
        errors=[e for r in results for e in r.errors],
        items=scores,
        stray_detections=stray,
    )


def _item_paths(
    session: Session, site_ids: dict[str, int], expected: Sequence[Expected]
) -> dict[tuple[str, str], str]:
    """(site, title) -> the URL path that serves the item's bytes (media file, HLS folder, or
    the chapter page)."""
    paths: dict[tuple[str, str], str] = {}
    for item in expected:
        captures = _item_captures(session, site_ids[item.site], item.title)
        if not captures:
            continue
        capture = captures[0]
        url = capture.media_url or capture.page_url
        paths[(item.site, item.title)] = urlsplit(url).path
    return paths


def refetch_share(
    paths: dict[tuple[str, str], str],
    unchanged: dict[str, set[str]],
    journal: Sequence[ServedRequest],
) -> tuple[int, int]:
    """(items fetched again, unchanged items): an HLS item counts as fetched again when any of
    its segments was sent again."""
    sent = {(r.site, r.path) for r in journal if r.method == "GET" and r.status in (200, 206)}
    again = total = 0
    for (site, _title), path in paths.items():
        if path not in unchanged.get(site, set()):
            continue
        total += 1
        if path.endswith(".m3u8"):
            folder = path.rsplit("/", 1)[0] + "/"
            hit = any(s == site and p.startswith(folder) and p.endswith(".ts") for s, p in sent)
        else:
            hit = (site, path) in sent
        again += hit
    return again, total


def _is_page(path: str) -> bool:
    return path.endswith(("/", ".html"))


def _watch_live(
    factory: sessionmaker[Session],
    site_id: int,
    world: World,
    sandbox: SandboxProcess,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
    indexes: IndexSet,
    programme_at_s: float,
    total_s: float,
) -> LiveFigures:
    url, started = sandbox.start_live()
    events: list[LiveDetection] = []
    with Stopwatch() as watch:
        result = watch_live(
            factory,
            site_id=site_id,
            url=url,
            settings=settings,
            registry=registry,
            limits=limits,
            indexes=indexes,
            stopping=lambda: any(e.work == world.live_work for e in events),
            max_duration_s=total_s + LIVE_GRACE_S,
            on_detection=events.append,
        )
    on_air = started + programme_at_s
    hit = next((e for e in events if e.work == world.live_work), None)
    wrong = [e for e in events if e.work != world.live_work or e.recorded_at.timestamp() < on_air]
    return LiveFigures(
        work=world.live_work or "",
        programme_at_s=programme_at_s,
        detected=hit is not None,
        latency_s=None if hit is None else hit.recorded_at.timestamp() - on_air,
        false_detections=len(wrong),
        segments=result.report.segments,
        windows=result.report.windows,
        wall_s=watch.wall_s,
        cpu_s=watch.cpu_s,
    )


def run_monitor_bench(
    corpus: Path, *, seed: int, progress: ProgressFn, live: bool = True, quick: bool = False
) -> MonitorBenchResult:
    """The whole benchmark (see the package docstring); ``quick`` serves a few items of each
    kind (a smoke run: its sandbox is too small to judge the targets)."""
    registry, limits = default_registry(), DecodeLimits()
    with tempfile.TemporaryDirectory(prefix="jianwang-bench-monitor-") as tmp:
        root = Path(tmp)
        scale = QUICK if quick else FULL
        world = build_world(corpus, root / "world", seed=seed, progress=progress, scale=scale)
        assert world.live_filler is not None and world.live_programme is not None
        progress("cutting the live channel", 0, 1)
        filler = programme_segments(world.live_filler, root / "live" / "filler")
        programme = programme_segments(world.live_programme, root / "live" / "programme")
        programme_at = sum(s.duration_s for s in filler)
        total_s = programme_at + sum(s.duration_s for s in programme)
        settings = Settings(data_dir=root / "data", allow_private_hosts=True)
        engine = create_db_engine(settings.db_url)
        ensure_schema(engine)
        factory = session_factory(engine)
        _register_works(factory, world, settings, registry, limits, progress)
        progress("building and serving the sites", 0, 1)
        with SandboxProcess(
            world.specs, world.specs_after, root / "sites", [*filler, *programme]
        ) as sandbox:
            site_ids = _register_sites(factory, world, sandbox)
            with transaction(factory) as session:
                indexes = open_indexes(session, settings.index_dir, registry)
            sweep_args = (factory, site_ids, world, settings, registry, limits, indexes, progress)
            results, watch, new = _sweep_all(*sweep_args, "full")
            with transaction(factory) as session:
                full = _figures(
                    "full",
                    results,
                    watch,
                    _media_seconds(session, new),
                    score_items(session, site_ids, world.expected),
                    _stray_detections(session, site_ids, world.expected),
                )
                paths = _item_paths(session, site_ids, world.expected)
                detections_before = len(list(session.scalars(select(Detection.id))))
            unchanged = sandbox.publish()
            sandbox.clear()
            results, watch, new = _sweep_all(*sweep_args, "incremental")
            journal = sandbox.journal()
            with transaction(factory) as session:
                incremental = _figures(
                    "incremental",
                    results,
                    watch,
                    _media_seconds(session, new),
                    score_items(session, site_ids, world.expected_after),
                    _stray_detections(session, site_ids, world.expected_after),
                )
                detections_after = len(list(session.scalars(select(Detection.id))))
            again, unchanged_items = refetch_share(paths, unchanged, journal)
            live_figures = None
            if live:
                progress("live channel", 0, 1)
                live_figures = _watch_live(
                    factory,
                    site_ids[LIVE_SITE],
                    world,
                    sandbox,
                    settings,
                    registry,
                    limits,
                    indexes,
                    programme_at,
                    total_s,
                )
    return MonitorBenchResult(
        seed=seed,
        quick=quick,
        corpus=str(corpus),
        works=len(world.works),
        media_items=world.media_items,
        text_items=world.text_items,
        added_items=len(world.added),
        full=full,
        incremental=incremental,
        refetched_items=again,
        unchanged_items=unchanged_items,
        pages_refetched=sum(1 for r in journal if r.status == 200 and _is_page(r.path)),
        pages_unchanged=sum(1 for r in journal if r.status == 304 and _is_page(r.path)),
        new_detections_incremental=detections_after - detections_before,
        live=live_figures,
        peak_rss_mb=peak_rss_mb(children=False),
    )
