"""What a sweep keeps besides detections: the view count each page showed, and the evidence of
each detection at its matched timecodes."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from jianwang.catalog import service
from jianwang.catalog.indexes import open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import Artefact, AssetKind, Capture, Detection, LedgerEntry
from jianwang.evidence.ledger import verify_chain
from jianwang.media.limits import DecodeLimits
from jianwang.media.transform import Transform, apply_transform
from jianwang.monitoring import sites
from jianwang.pipeline.sweep import sweep_site
from jianwang.sandbox.sites import SiteItem, SiteSpec, item_view_count, run_sandbox
from jianwang.signals.registry import default_registry

from media_factory import film, song

LIMITS = DecodeLimits(timeout_s=60)


def test_a_sweep_records_view_counts_and_evidence(settings: Settings, tmp_path: Path) -> None:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    registry = default_registry()
    ref = film(tmp_path / "episode.mp4", seed=51, seconds=14.0)
    copy = apply_transform(ref, tmp_path / "copy.mp4", Transform(start_s=2.0, duration_s=9.0))
    track = song(tmp_path / "other.mp3", seed=52, seconds=6.0)
    with transaction(factory) as s:
        indexes = open_indexes(s, settings.index_dir, registry)
        service.add_work(
            s,
            title="Episode",
            kind="tv_series",
            rights_holder="Studio",
            references=[ref],
            indexes=indexes,
            store=ContentStore(settings.content_dir),
            registry=registry,
            limits=LIMITS,
        )
    indexes.save()
    items = [
        SiteItem(title="Episode (copy)", kind="video", path=copy),
        SiteItem(title="Some song", kind="audio", path=track),
    ]
    server = run_sandbox([SiteSpec("tube", "video", "免费影院", items)], tmp_path / "sites")
    try:
        base = server.base_url("tube")
        with transaction(factory) as s:
            site_id = sites.add_site(s, name="tube", kind="video", seeds=[base + "/"]).id
        result = sweep_site(
            factory, site_id=site_id, settings=settings, registry=registry, limits=LIMITS
        )
    finally:
        server.stop()
    assert result.captures_new == 2 and not result.errors, result
    with transaction(factory) as s:
        media = select(Capture).where(Capture.kind.in_([AssetKind.VIDEO, AssetKind.AUDIO]))
        captures = {c.page_url[len(base) :]: c for c in s.scalars(media)}
        # Item n's page shows item_view_count(n): as JSON-LD beside a rounded "播放量：24.6万" on
        # the video page, in full ("…次播放") on the track's.
        assert captures["/video/1.html"].view_count == item_view_count(1)
        assert captures["/video/2.html"].view_count == item_view_count(2)
        recorded = {
            e.payload["page_url"][len(base) :]: e.payload["view_count"]
            for e in s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "capture"))
            if e.payload.get("kind") not in ("page", "link")  # title matches' own captures
        }
        assert recorded == {f"/video/{n}.html": item_view_count(n) for n in (1, 2)}
        # The copy's detections carry their stills and excerpts.
        video = s.scalars(select(Detection).where(Detection.signal == "video.dcthash")).one()
        kinds = sorted(
            a.kind for a in s.scalars(select(Artefact).where(Artefact.detection_id == video.id))
        )
        assert kinds == ["keyframe"] * 3 + ["reference_keyframe"] * 3
        assert all(Path(a.path).is_file() for a in s.scalars(select(Artefact)))
        # Each capture keeps its page and its HTTP exchange, hashed into its ledger entry.
        for capture in captures.values():
            own = {a.kind: a for a in capture.artefacts}
            assert {"page", "headers"} <= set(own)
            exchange = json.loads(Path(own["headers"].path).read_text(encoding="utf-8"))
            assert exchange["status"] == 200 and exchange["resolved_ip"] == "127.0.0.1"
            assert exchange["url"] == capture.media_url and "content-type" in exchange["headers"]
            entry = s.scalars(
                select(LedgerEntry).where(LedgerEntry.subject == f"capture:{capture.id}")
            ).one()
            assert entry.payload["artefacts"]["headers"] == own["headers"].sha256
        assert verify_chain(s) == []
