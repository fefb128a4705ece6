"""Storage on both backends: migrations, every model, constraints and UTC times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jianwang.db import (
    Base,
    create_db_engine,
    current_revision,
    ensure_schema,
    head_revision,
    session_factory,
    transaction,
)
from jianwang.db.models import (
    AssetKind,
    AssetSignal,
    Authority,
    AuthorityLevel,
    Capture,
    Case,
    CaseEvent,
    CaseState,
    Detection,
    DetectionStatus,
    Job,
    JobState,
    LedgerEntry,
    Licence,
    Notice,
    NoticeKind,
    ProtectionBatch,
    ReferenceAsset,
    RightsHolder,
    Role,
    Site,
    SiteKind,
    User,
    Work,
    WorkKind,
)


def test_upgrade_reaches_head_and_matches_models(db_url: str) -> None:
    engine = create_db_engine(db_url)
    assert current_revision(engine) is None
    ensure_schema(engine)
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Type and index differences would mean the migration and the models disagree.
    assert diff == []
    ensure_schema(engine)  # a second call is a no-op
    engine.dispose()


def test_every_model_round_trips(db_url: str) -> None:
    engine = create_db_engine(db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    now = datetime(2026, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)
    with transaction(factory) as s:
        authority = Authority(
            name="Zhejiang Copyright Bureau", level=AuthorityLevel.PROVINCIAL, region="CN-33"
        )
        holder = RightsHolder(name="Studio", contact="legal@studio.example", address="1 Road")
        batch = ProtectionBatch(name="2026-1", published_at=now)
        work = Work(
            title="Film",
            kind=WorkKind.FILM,
            rights_holder=holder,
            batch=batch,
            protected_until=date(2030, 1, 1),
        )
        asset = ReferenceAsset(
            work=work,
            name="film.mp4",
            kind=AssetKind.VIDEO,
            sha256="a" * 64,
            content_path="/x",
            length=90.5,
        )
        site = Site(
            name="pirate", kind=SiteKind.VIDEO, domains=["p.example"], seeds=["http://p.example/"]
        )
        s.add_all([authority, holder, batch, work, asset, site])
        s.flush()
        s.add(AssetSignal(asset_id=asset.id, signal="video.x", version=1, fingerprint=b"\x00\x01"))
        s.add(Licence(work=work, site_id=site.id, territory="CN", starts_on=date(2026, 1, 1)))
        s.add(User(username="officer1", role=Role.OFFICER, authority_id=authority.id))
        capture = Capture(
            site=site,
            kind=AssetKind.VIDEO,
            page_url="http://p.example/1",
            fetched_at=now,
            content_sha256="b" * 64,
            content_path="/y",
            response_headers={"content-type": "video/mp4"},
            redirect_chain=["http://p.example/0"],
        )
        s.add(capture)
        s.flush()
        detection = Detection(
            capture_id=capture.id,
            work_id=work.id,
            asset_id=asset.id,
            signal="video.x",
            score=0.9,
            query_start=0,
            query_end=10,
            ref_start=5,
            ref_end=15,
            speed=1.0,
        )
        s.add(detection)
        case = Case(
            number="JW-2026-00001",
            site=site,
            detections=[detection],
            fine_amount=Decimal("30000.50"),
        )
        case.events.append(CaseEvent(to_state=CaseState.LEAD, actor="a", at=now))
        s.add(case)
        s.add(
            Notice(
                kind=NoticeKind.TAKEDOWN,
                site=site,
                recipient="op",
                detections=[detection],
                content={"works": ["Film"]},
            )
        )
        s.add(
            LedgerEntry(
                seq=1,
                kind="k",
                subject="s",
                payload={"a": 1},
                payload_hash="p" * 64,
                prev_hash="0" * 64,
                entry_hash="e" * 64,
                recorded_at=now,
            )
        )
        s.add(Job(kind="sweep", payload={"site": 1}))
    with transaction(factory) as s:
        capture = s.scalars(select(Capture)).one()
        assert capture.fetched_at == now
        assert capture.fetched_at.tzinfo is not None
        assert capture.response_headers == {"content-type": "video/mp4"}
        detection = s.scalars(select(Detection)).one()
        assert detection.status is DetectionStatus.DETECTED
        case = s.scalars(select(Case)).one()
        assert case.state is CaseState.LEAD
        assert case.fine_amount == Decimal("30000.50")
        assert [e.to_state for e in case.events] == [CaseState.LEAD]
        assert s.scalars(select(Job)).one().state is JobState.QUEUED
        work = s.scalars(select(Work)).one()
        assert work.kind is WorkKind.FILM and work.batch is not None
        assert work.assets[0].signals[0].fingerprint == b"\x00\x01"
    engine.dispose()


def test_unique_constraints_and_rollback(db_url: str) -> None:
    engine = create_db_engine(db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.add(RightsHolder(name="Studio"))
    with pytest.raises(IntegrityError), transaction(factory) as s:
        s.add(RightsHolder(name="Other"))
        s.flush()
        s.add(RightsHolder(name="Studio"))
        s.flush()
    with transaction(factory) as s:
        # The failed transaction left nothing behind, not even the row added before the clash.
        assert sorted(s.scalars(select(RightsHolder.name))) == ["Studio"]
    engine.dispose()


def test_naive_datetimes_are_refused(db_url: str) -> None:
    engine = create_db_engine(db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    with pytest.raises(Exception, match="naive datetime"), transaction(factory) as s:
        s.add(Job(kind="x", lease_expires_at=datetime(2026, 1, 1) + timedelta(hours=1)))
        s.flush()
    engine.dispose()


def test_bad_database_url_is_a_user_error() -> None:
    from jianwang.errors import UserError

    with pytest.raises(UserError, match="invalid database URL"):
        create_db_engine("not a url")
