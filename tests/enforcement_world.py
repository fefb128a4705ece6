"""A small enforcement world in a real SQLite database, built directly (no media, no crawling):
two authorities, three rights holders, works, pirate sites in two regions, platforms, users of
every role, and a helper that records a capture with a detection on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import (
    AssetKind,
    Authority,
    AuthorityLevel,
    Capture,
    Detection,
    DetectionStatus,
    LedgerEntry,
    RightsHolder,
    Role,
    Site,
    SiteKind,
    SiteStatus,
    User,
    Work,
    WorkKind,
)

CAPTURED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class World:
    engine: Engine
    factory: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def build_world(db_path: Path) -> World:
    """Create the schema at ``db_path`` and fill it (see the module)."""
    engine = create_db_engine(f"sqlite:///{db_path}")
    ensure_schema(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        gd = Authority(name="Guangdong", level=AuthorityLevel.PROVINCIAL, region="CN-44")
        bj = Authority(name="Beijing", level=AuthorityLevel.PROVINCIAL, region="CN-11")
        studio = RightsHolder(name="Studio A", contact="legal@studio-a.example", address="1 Road")
        label = RightsHolder(name="Label B", contact="+86 10 1234", address="2 Street")
        lax = RightsHolder(name="Press C", contact="c@press.example", address=None)
        s.add_all([gd, bj, studio, label, lax])
        s.flush()
        s.add_all(
            [
                Work(title="Film A", kind=WorkKind.FILM, rights_holder=studio,
                     proof_of_rights="registration 2025-A-1", protected_until=date(2030, 1, 1)),
                Work(title="Novel A", kind=WorkKind.LITERATURE, rights_holder=studio),
                Work(title="Film B", kind=WorkKind.FILM, rights_holder=label),
                Work(title="Novel C", kind=WorkKind.LITERATURE, rights_holder=lax),
                Site(name="pirate", kind=SiteKind.VIDEO, domains=["pirate.example"],
                     operator="Pirate Ltd", region="CN-44-01", authority_id=gd.id),
                Site(name="bjpirate", kind=SiteKind.VIDEO, domains=["bj.example"], region="CN-11"),
                Site(name="plat1", kind=SiteKind.PLATFORM, domains=["plat1.example"],
                     operator="Platform One", region="CN-44"),
                Site(name="plat2", kind=SiteKind.PLATFORM, domains=["plat2.example"],
                     status=SiteStatus.SHUT_DOWN),
                Site(name="plat3", kind=SiteKind.PLATFORM, domains=["plat3.example"]),
                User(username="admin", role=Role.ADMIN),
                User(username="officer", role=Role.OFFICER, authority_id=gd.id),
                User(username="bjofficer", role=Role.OFFICER, authority_id=bj.id),
                User(username="studio", role=Role.RIGHTS_HOLDER, rights_holder_id=studio.id),
                User(username="label", role=Role.RIGHTS_HOLDER, rights_holder_id=label.id),
                User(username="viewer", role=Role.VIEWER),
            ]
        )  # fmt: skip
    return World(engine, factory)


def open_world(db_path: Path) -> World:
    """The database of a world built before (by :func:`build_world`)."""
    engine = create_db_engine(f"sqlite:///{db_path}")
    return World(engine, session_factory(engine))


def work(s: Session, title: str) -> Work:
    return s.scalars(select(Work).where(Work.title == title)).one()


def site(s: Session, name: str) -> Site:
    return s.scalars(select(Site).where(Site.name == name)).one()


def detect(
    s: Session,
    *,
    site_name: str,
    title: str,
    score: float = 10.0,
    signal: str = "video.dcthash",
    page_url: str | None = None,
    media_url: str | None = None,
    status: DetectionStatus = DetectionStatus.DETECTED,
) -> Detection:
    """A capture on ``site_name`` with one detection of ``title`` on it."""
    where = site(s, site_name)
    n = (s.scalar(select(func.count()).select_from(Capture)) or 0) + 1
    page = page_url or f"https://{where.domains[0]}/watch/{n}"
    capture = Capture(
        site_id=where.id,
        site=where,
        kind=AssetKind.VIDEO,
        page_url=page,
        media_url=media_url if media_url is not None else f"{page}.mp4",
        fetched_at=CAPTURED_AT,
        http_status=200,
        page_sha256=f"{n:064x}",
        content_sha256=f"{n + 1000:064x}",
        content_path=f"/tmp/capture{n}",
    )
    s.add(capture)
    s.flush()
    detection = Detection(
        capture_id=capture.id,
        capture=capture,
        work=work(s, title),
        signal=signal,
        evidence_class="title" if signal == "title" else "fingerprint",
        score=score,
        query_start=1.0,
        query_end=9.0,
        ref_start=31.0,
        ref_end=39.0,
        status=status,
    )
    s.add(detection)
    s.flush()
    return detection


def ledger_size(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(LedgerEntry)) or 0
