"""Evidence at matched timecodes: stills, audio excerpts and text passages kept with detections."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog import service
from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore, sha256_file
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import Artefact, AssetKind, Capture, Detection, LedgerEntry, Site
from jianwang.detections.evidence import MAX_EXCERPT_S, record_evidence_for
from jianwang.detections.identify import identify_file
from jianwang.detections.service import detect_capture
from jianwang.evidence.ledger import verify_chain
from jianwang.media.audio import decode_audio
from jianwang.media.limits import DecodeLimits
from jianwang.media.text import html_to_text
from jianwang.media.transform import Transform, apply_transform
from jianwang.monitoring import sites
from jianwang.signals.registry import default_registry

from media_factory import chapter, film, song

LIMITS = DecodeLimits(timeout_s=60)
FPS = 12.0  # media_factory.film's frame rate


@pytest.fixture
def factory(settings: Settings) -> sessionmaker[Session]:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    return session_factory(engine)


def _register(session: Session, settings: Settings, title: str, kind: str, ref: Path) -> IndexSet:
    registry = default_registry()
    indexes = open_indexes(session, settings.index_dir, registry)
    service.add_work(
        session,
        title=title,
        kind=kind,
        rights_holder="Studio",
        references=[ref],
        indexes=indexes,
        store=ContentStore(settings.content_dir),
        registry=registry,
        limits=LIMITS,
    )
    return indexes


def _capture(session: Session, settings: Settings, copy: Path, kind: AssetKind) -> Capture:
    site = session.scalar(select(Site).where(Site.name == "pirate"))
    if site is None:
        site = sites.add_site(session, name="pirate", kind="video", seeds=["http://p.example/"])
    stored = ContentStore(settings.content_dir).put_file(copy)
    capture = Capture(
        site_id=site.id,
        site=site,
        kind=kind,
        page_url=f"http://p.example/{copy.name}.html",
        media_url=None if kind is AssetKind.TEXT else f"http://p.example/{copy.name}",
        fetched_at=datetime(2026, 5, 1, tzinfo=UTC),
        content_sha256=stored.sha256,
        content_path=str(stored.path),
    )
    session.add(capture)
    session.flush()
    return capture


def _detect(session: Session, settings: Settings, capture: Capture, indexes: IndexSet) -> None:
    outcome = detect_capture(
        session,
        capture=capture,
        indexes=indexes,
        registry=default_registry(),
        limits=LIMITS,
        content_dir=settings.content_dir,
    )
    assert outcome.detections, outcome.error


def _picture(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "mjpeg"
        frame = next(container.decode(stream))
        return frame.to_ndarray(format="rgb24").astype(np.float32)


def _envelope(path: Path) -> np.ndarray:
    pcm = decode_audio(path, sample_rate=8000)
    steps = pcm[: pcm.size // 800 * 800].reshape(-1, 800)
    return np.sqrt((steps**2).mean(axis=1))


def _artefacts(session: Session, detection: Detection, kind: str) -> list[Artefact]:
    return list(
        session.scalars(
            select(Artefact)
            .where(Artefact.detection_id == detection.id, Artefact.kind == kind)
            .order_by(Artefact.id)
        )
    )


def test_a_video_detection_keeps_stills_of_copy_and_reference(
    factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    ref = film(tmp_path / "episode.mp4", seed=21, seconds=16.0)
    copy = apply_transform(ref, tmp_path / "copy.mp4", Transform(start_s=3.0, duration_s=10.0))
    with transaction(factory) as s:
        indexes = _register(s, settings, "Episode", "tv_series", ref)
        _detect(s, settings, _capture(s, settings, copy, AssetKind.VIDEO), indexes)
    with transaction(factory) as s:
        video = s.scalars(select(Detection).where(Detection.signal == "video.dcthash")).one()
        stills = _artefacts(s, video, "keyframe")
        ref_stills = _artefacts(s, video, "reference_keyframe")
        assert len(stills) == 3 and len(ref_stills) == 3
        wanted = [
            video.query_start,
            (video.query_start + video.query_end) / 2,
            video.query_end,
        ]
        for artefact, t in zip(stills, wanted, strict=True):
            # The frame on screen at t started at most one frame interval before t.
            assert artefact.at_s is not None and t - 1 / FPS - 0.01 <= artefact.at_s <= t + 1e-3
            assert artefact.content_type == "image/jpeg"
            assert artefact.sha256 == sha256_file(Path(artefact.path))
        for artefact, t in zip(ref_stills, wanted, strict=True):
            ref_t = video.ref_start + (t - video.query_start) * (
                (video.ref_end - video.ref_start) / (video.query_end - video.query_start)
            )
            assert artefact.at_s is not None and abs(artefact.at_s - ref_t) <= 1 / FPS + 0.01
            assert "episode.mp4" in (artefact.note or "")
        # Each still of the copy shows what the reference still beside it shows, and not what
        # the reference shows at another of the three moments.
        copies = [_picture(Path(a.path)) for a in stills]
        originals = [_picture(Path(a.path)) for a in ref_stills]
        for picture in copies + originals:
            assert picture.shape == (144, 192, 3)
        for i, picture in enumerate(copies):
            same = np.abs(picture - originals[i]).mean()
            other = min(np.abs(picture - o).mean() for j, o in enumerate(originals) if j != i)
            assert same < 12 and same < other / 2, (i, same, other)
        # The soundtrack matched too, and its detection keeps audio excerpts.
        audio = s.scalars(select(Detection).where(Detection.signal == "audio.triplets")).one()
        assert [
            a.kind for a in s.scalars(select(Artefact).where(Artefact.detection_id == audio.id))
        ] == [
            "excerpt",
            "reference_excerpt",
        ]
        # Every artefact entered the ledger once, after its detection, and the chain holds.
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "artefact")).all()
        assert sorted(e.payload["sha256"] for e in entries) == sorted(
            a.sha256 for a in s.scalars(select(Artefact).where(Artefact.detection_id.is_not(None)))
        )
        assert verify_chain(s) == []
        before = s.scalar(select(func.count()).select_from(LedgerEntry))
        # Recording again adds no row and no ledger entry: the files are bit-exact.
        again = record_evidence_for(
            s,
            detections=[video, audio],
            registry=default_registry(),
            content_dir=settings.content_dir,
            limits=LIMITS,
        )
        assert [r.artefacts for r in again] == [[], []] and [r.errors for r in again] == [[], []]
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == before
        assert s.scalar(select(func.count()).select_from(Artefact)) == 8


@pytest.mark.parametrize(("copy_s", "expected_s"), [(10.0, 10.0), (38.0, MAX_EXCERPT_S)])
def test_an_audio_detection_keeps_excerpts_of_the_matched_span(
    factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
    copy_s: float,
    expected_s: float,
) -> None:
    ref = song(tmp_path / "track.m4a", seed=33, seconds=45.0)
    copy = apply_transform(ref, tmp_path / "copy.mp3", Transform(start_s=5.0, duration_s=copy_s))
    with transaction(factory) as s:
        indexes = _register(s, settings, "Track", "music", ref)
        _detect(s, settings, _capture(s, settings, copy, AssetKind.AUDIO), indexes)
    with transaction(factory) as s:
        detection = s.scalars(select(Detection)).one()
        span = detection.query_end - detection.query_start
        assert span == pytest.approx(copy_s, abs=1.5)
        (excerpt,) = _artefacts(s, detection, "excerpt")
        (ref_excerpt,) = _artefacts(s, detection, "reference_excerpt")
        assert excerpt.at_s == pytest.approx(detection.query_start, abs=1e-3)
        assert ref_excerpt.at_s == pytest.approx(detection.ref_start, abs=1e-3)
        assert excerpt.content_type.startswith("audio/ogg")
        for artefact in (excerpt, ref_excerpt):
            seconds = decode_audio(Path(artefact.path), sample_rate=8000).size / 8000
            assert seconds == pytest.approx(min(span, MAX_EXCERPT_S), abs=0.1)
        assert min(span, MAX_EXCERPT_S) == pytest.approx(expected_s, abs=1.5)
        # The two excerpts are the same music: their loudness envelopes (in 100 ms steps, which
        # a few milliseconds of codec delay do not disturb) rise and fall together.
        a, b = (_envelope(Path(x.path)) for x in (excerpt, ref_excerpt))
        n = min(a.size, b.size)
        assert np.corrcoef(a[:n], b[:n])[0, 1] > 0.8


def test_a_text_detection_keeps_the_copied_passage(
    factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    ref = chapter(tmp_path / "chapter1.txt", seed=44, chars=3000)
    original = ref.read_text(encoding="utf-8")
    copied = original[600:1800]
    paragraphs = "".join(f"<p>{line}</p>" for line in copied.splitlines() if line.strip())
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>第1章</title></head><body><nav>首页 排行榜</nav>"
        f'<div id="content">{paragraphs}</div><div class="ad">充值送VIP</div></body></html>',
        encoding="utf-8",
    )
    with transaction(factory) as s:
        indexes = _register(s, settings, "山河", "literature", ref)
        _detect(s, settings, _capture(s, settings, page, AssetKind.TEXT), indexes)
    with transaction(factory) as s:
        detection = s.scalars(select(Detection)).one()
        (excerpt,) = _artefacts(s, detection, "excerpt")
        (ref_excerpt,) = _artefacts(s, detection, "reference_excerpt")
        text = Path(excerpt.path).read_text(encoding="utf-8")
        assert excerpt.content_type == "text/plain; charset=utf-8"
        assert 0 < len(text) <= 2000 and "充值" not in text
        page_text = html_to_text(page.read_text(encoding="utf-8"))
        assert (
            text == page_text[int(detection.query_start) : int(detection.query_start) + len(text)]
        )
        middle = copied.splitlines()[len(copied.splitlines()) // 2].strip()
        assert middle in text  # the copied passage is what was kept
        assert middle in Path(ref_excerpt.path).read_text(encoding="utf-8")


def test_corrupt_capture_media_keeps_the_detection_without_artefacts(
    factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    ref = song(tmp_path / "track.m4a", seed=35, seconds=20.0)
    copy = apply_transform(ref, tmp_path / "copy.mp3", Transform(start_s=2.0, duration_s=12.0))
    with transaction(factory) as s:
        indexes = _register(s, settings, "Track", "music", ref)
        capture = _capture(s, settings, copy, AssetKind.AUDIO)
        views = identify_file(
            Path(capture.content_path),
            session=s,
            indexes=indexes,
            registry=default_registry(),
            limits=LIMITS,
        )
        assert views
        Path(capture.content_path).write_bytes(b"\x00garbage" * 512)  # corrupted in the store
        outcome = detect_capture(
            s,
            capture=capture,
            indexes=indexes,
            registry=default_registry(),
            limits=LIMITS,
            views=views,
            content_dir=settings.content_dir,
        )
        assert len(outcome.detections) == 1
    with transaction(factory) as s:
        assert s.scalar(select(func.count()).select_from(Detection)) == 1
        assert s.scalar(select(func.count()).select_from(Artefact)) == 0
        (failure,) = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "artefact_failed"))
        assert failure.payload["kind"] == "excerpt" and failure.payload["error"]
        assert verify_chain(s) == []
