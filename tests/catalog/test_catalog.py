"""Registering works: fingerprints reach the database and indexes; bad input writes nothing."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog import service
from jianwang.catalog.indexes import open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import AssetSignal, ReferenceAsset, RightsHolder, Site, SiteKind, Work
from jianwang.detections.identify import identify_file
from jianwang.errors import DuplicateError, MediaError, NotFoundError, UserError
from jianwang.media import effects
from jianwang.media.audio import decode_audio
from jianwang.media.encode import write_audio
from jianwang.media.limits import DecodeLimits
from jianwang.signals.registry import default_registry

from media_factory import RATE, chapter, song

LIMITS = DecodeLimits(timeout_s=60)


@pytest.fixture
def factory(settings: Settings) -> sessionmaker[Session]:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    return session_factory(engine)


def _add(session: Session, settings: Settings, title: str, refs: list[Path], kind: str = "music"):  # type: ignore[no-untyped-def]
    registry = default_registry()
    indexes = open_indexes(session, settings.index_dir, registry)
    work = service.add_work(
        session,
        title=title,
        kind=kind,
        rights_holder="Studio",
        references=refs,
        indexes=indexes,
        store=ContentStore(settings.content_dir),
        registry=registry,
        limits=LIMITS,
    )
    return work, indexes


def test_add_work_fingerprints_and_identifies(factory, settings: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ref = song(tmp_path / "song.m4a", seed=5)
    with transaction(factory) as s:
        work, indexes = _add(s, settings, "Song", [ref])
        work_id = work.id
    indexes.save()
    with transaction(factory) as s:
        asset = s.scalars(select(ReferenceAsset)).one()
        assert Path(asset.content_path).exists() and asset.length == pytest.approx(20, abs=0.2)
        assert [row.signal for row in s.scalars(select(AssetSignal))] == ["audio.triplets"]
        # A fresh IndexSet loads the saved index and finds the reference in itself.
        reopened = open_indexes(s, settings.index_dir, default_registry())
        views = identify_file(
            ref, session=s, indexes=reopened, registry=default_registry(), limits=LIMITS
        )
    assert views and views[0].work_id == work_id and views[0].work == "Song"
    assert views[0].pitch_shift == pytest.approx(0.0, abs=0.05)


def test_a_pitch_shifted_copy_reports_its_shift(  # type: ignore[no-untyped-def]
    factory, settings: Settings, tmp_path: Path
) -> None:
    ref = song(tmp_path / "song.m4a", seed=9, seconds=30.0)
    with transaction(factory) as s:
        _, indexes = _add(s, settings, "Song", [ref])
    pcm = decode_audio(ref, sample_rate=RATE)
    copy = write_audio(
        tmp_path / "copy.m4a", effects.pitch_shift(pcm[5 * RATE : 17 * RATE], RATE, 1.0), RATE
    )
    with transaction(factory) as s:
        views = identify_file(
            copy, session=s, indexes=indexes, registry=default_registry(), limits=LIMITS
        )
    assert views and views[0].work == "Song"
    # Read against the stored reference fingerprint: a semitone up, the tempo kept.
    assert views[0].pitch_shift == pytest.approx(1.0, abs=0.1)
    assert views[0].speed == pytest.approx(1.0, abs=0.01)


def test_index_is_rebuilt_from_the_database(factory, settings: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ref = chapter(tmp_path / "ch1.txt", seed=7)
    with transaction(factory) as s:
        _, indexes = _add(s, settings, "Novel", [ref], kind="literature")
    indexes.save()
    for path in settings.index_dir.iterdir():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    with transaction(factory) as s:
        rebuilt = open_indexes(s, settings.index_dir, default_registry())
        views = identify_file(
            ref, session=s, indexes=rebuilt, registry=default_registry(), limits=LIMITS
        )
    assert [v.work for v in views] == ["Novel"]


def test_fingerprints_of_an_earlier_signal_version_are_made_again(
    factory, settings: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ref = chapter(tmp_path / "ch1.txt", seed=8)
    with transaction(factory) as s:
        _, indexes = _add(s, settings, "Novel", [ref], kind="literature")
        row = s.execute(select(AssetSignal).where(AssetSignal.signal == "text.winnow")).scalar_one()
        current, row.version, row.fingerprint = row.version, row.version - 1, b"old"
    indexes.save()
    for path in settings.index_dir.iterdir():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    with transaction(factory) as s:
        reopened = open_indexes(s, settings.index_dir, default_registry())
        views = identify_file(
            ref, session=s, indexes=reopened, registry=default_registry(), limits=LIMITS
        )
        row = s.execute(select(AssetSignal).where(AssetSignal.signal == "text.winnow")).scalar_one()
        assert row.version == current and row.fingerprint != b"old"
    assert [v.work for v in views] == ["Novel"]


def test_duplicates_and_bad_files_write_nothing(
    factory, settings: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ref = song(tmp_path / "song.m4a", seed=6)
    with transaction(factory) as s:
        _add(s, settings, "Song", [ref])
    with pytest.raises(DuplicateError, match="already registered"), transaction(factory) as s:
        _add(s, settings, "Song", [song(tmp_path / "other.m4a", seed=8)])
    with (
        pytest.raises(DuplicateError, match=r"song\.m4a: already registered"),
        transaction(factory) as s,
    ):
        _add(s, settings, "Same file, new title", [ref])
    fake = tmp_path / "fake.mp4"
    fake.write_text("this is not a video")
    with pytest.raises(MediaError, match=r"fake\.mp4"), transaction(factory) as s:
        _add(s, settings, "Broken", [fake], kind="film")
    with pytest.raises(NotFoundError, match=r"missing\.mp3"), transaction(factory) as s:
        _add(s, settings, "Missing", [tmp_path / "missing.mp3"])
    with pytest.raises(UserError, match="unknown work kind"), transaction(factory) as s:
        _add(s, settings, "Odd", [ref], kind="opera")
    with transaction(factory) as s:
        assert s.scalar(select(func.count()).select_from(Work)) == 1
        assert s.scalar(select(func.count()).select_from(ReferenceAsset)) == 1
        assert s.scalar(select(func.count()).select_from(RightsHolder)) == 1


def test_import_registers_one_work_per_file(factory, settings: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    folder.mkdir()
    song(folder / "Morning Song.mp3", seed=11, seconds=12)
    song(folder / "Evening Song.m4a", seed=12, seconds=12)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 not imported")
    registry = default_registry()
    with transaction(factory) as s:
        indexes = open_indexes(s, settings.index_dir, registry)
        works = service.import_works(
            s,
            directory=folder,
            kind="music",
            rights_holder="Label",
            indexes=indexes,
            store=ContentStore(settings.content_dir),
            registry=registry,
            limits=LIMITS,
        )
        assert sorted(w.title for w in works) == ["Evening Song", "Morning Song"]


def test_licence_periods_and_territories(factory, settings: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as s:
        work, _ = _add(s, settings, "Song", [song(tmp_path / "s.m4a", seed=9, seconds=10)])
        site = Site(name="platform", kind=SiteKind.PLATFORM, domains=["p.example"], seeds=[])
        s.add(site)
        s.flush()
        service.add_licence(
            s,
            work=work.id,
            site="platform",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            territory="CN",
        )

        def lic(day: date, territory: str | None = "CN-33") -> bool:
            return (
                service.licence_for(
                    s, work_id=work.id, site_id=site.id, on=day, territory=territory
                )
                is not None
            )

        assert lic(date(2026, 1, 1)) and lic(date(2026, 12, 31))
        assert not lic(date(2025, 12, 31)) and not lic(date(2027, 1, 1))
        assert lic(date(2026, 6, 1), "CN") and not lic(date(2026, 6, 1), "US")
        assert not lic(date(2026, 6, 1), "CNX")
        with pytest.raises(UserError, match="ends"):
            service.add_licence(
                s,
                work=work.id,
                site="platform",
                starts_on=date(2026, 2, 1),
                ends_on=date(2026, 1, 1),
            )
        with pytest.raises(NotFoundError, match="no site"):
            service.add_licence(s, work=work.id, site="nowhere", starts_on=date(2026, 2, 1))
