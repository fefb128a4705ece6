"""Catalog services the API needs beside ``catalog.service``: references added to a registered
work, and the catalog's records as read-only views with the ids a client links by.

Like ``catalog.service``, every function takes the session and its dependencies as keyword
arguments and leaves committing to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianwang.catalog.indexes import IndexSet
from jianwang.catalog.references import fingerprint_reference
from jianwang.catalog.service import find_work, store_reference
from jianwang.content import ContentStore
from jianwang.db.models import (
    Licence,
    Notice,
    NoticeKind,
    ProtectionBatch,
    ReferenceAsset,
    RightsHolder,
    Site,
    Work,
)
from jianwang.errors import DuplicateError, NotFoundError, UserError
from jianwang.media.limits import DecodeLimits
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)

MAX_REFERENCES_PER_CALL = 20


@dataclass(frozen=True)
class NamedFile:
    """A file on disk and the name it is known by (an upload's own name, not its temp name)."""

    path: Path
    name: str


@dataclass(frozen=True)
class AssetView:
    """One reference asset of a work, with the signals it was fingerprinted with."""

    id: int
    name: str
    kind: str
    sha256: str
    length: float | None
    signals: tuple[str, ...]


@dataclass(frozen=True)
class WorkView:
    """A work with everything a client shows on its page."""

    id: int
    title: str
    kind: str
    rights_holder_id: int
    rights_holder: str
    aliases: tuple[str, ...]
    proof_of_rights: str | None
    protected_until: date | None
    batch: str | None
    assets: tuple[AssetView, ...]
    licences: int


def rights_holder_name(session: Session, holder_id: int) -> str:
    """The name of rights holder ``holder_id`` (a rights holder's user registers under it)."""
    holder = session.get(RightsHolder, holder_id)
    if holder is None:
        raise NotFoundError(f"no rights holder with id {holder_id}")
    return holder.name


def work_ids_of(session: Session, *, holder_id: int | None) -> set[int]:
    """Ids of the works of rights holder ``holder_id`` (none for ``None``)."""
    if holder_id is None:
        return set()
    return set(session.scalars(select(Work.id).where(Work.rights_holder_id == holder_id)))


def work_view(session: Session, ref: str | int) -> WorkView:
    """A work by id or exact title, as :class:`WorkView`."""
    work = find_work(session, ref)
    assets = tuple(
        AssetView(
            id=a.id,
            name=a.name,
            kind=a.kind.value,
            sha256=a.sha256,
            length=a.length,
            signals=tuple(sorted({s.signal for s in a.signals})),
        )
        for a in sorted(work.assets, key=lambda a: a.id)
    )
    licences = session.scalar(
        select(func.count()).select_from(Licence).where(Licence.work_id == work.id)
    )
    return WorkView(
        id=work.id,
        title=work.title,
        kind=work.kind.value,
        rights_holder_id=work.rights_holder_id,
        rights_holder=work.rights_holder.name,
        aliases=tuple(work.aliases or ()),
        proof_of_rights=work.proof_of_rights,
        protected_until=work.protected_until,
        batch=work.batch.name if work.batch else None,
        assets=assets,
        licences=licences or 0,
    )


def add_references(
    session: Session,
    *,
    work: Work,
    files: Sequence[NamedFile],
    indexes: IndexSet,
    store: ContentStore,
    registry: SignalRegistry,
    limits: DecodeLimits,
) -> list[ReferenceAsset]:
    """Fingerprint ``files`` and add them to ``work`` as reference assets.

    Every file is decoded and fingerprinted before anything is written, so one unreadable or
    already registered file refuses the whole call and leaves the work as it was. The caller
    saves ``indexes`` once the transaction commits (opening them again repairs any gap)."""
    if not files:
        raise UserError("give at least one reference file")
    if len(files) > MAX_REFERENCES_PER_CALL:
        raise UserError(f"at most {MAX_REFERENCES_PER_CALL} reference files at once")
    prepared = [
        (named, fingerprint_reference(named.path, registry=registry, limits=limits))
        for named in files
    ]
    seen: set[str] = set()
    for named, ref in prepared:
        if ref.sha256 in seen:
            raise DuplicateError(f"{named.name}: the same file is given twice")
        seen.add(ref.sha256)
        clash = session.scalar(select(ReferenceAsset).where(ReferenceAsset.sha256 == ref.sha256))
        if clash is not None:
            raise DuplicateError(
                f"{named.name}: already registered as {clash.name!r} of work id {clash.work_id}"
            )
    assets = [
        store_reference(session, work=work, name=named.name, ref=ref, store=store, indexes=indexes)
        for named, ref in prepared
    ]
    session.flush()
    log.info("work %d %r: %d reference(s) added", work.id, work.title, len(assets))
    return assets


@dataclass(frozen=True)
class LicenceView:
    """A licence with the ids of its work and site."""

    id: int
    work_id: int
    work: str
    site_id: int
    site: str
    territory: str
    starts_on: date
    ends_on: date | None
    note: str | None


def licence_view(licence: Licence, site: Site) -> LicenceView:
    """One licence as :class:`LicenceView`."""
    return LicenceView(
        id=licence.id,
        work_id=licence.work_id,
        work=licence.work.title,
        site_id=site.id,
        site=site.name,
        territory=licence.territory,
        starts_on=licence.starts_on,
        ends_on=licence.ends_on,
        note=licence.note,
    )


def licence_views(session: Session) -> list[LicenceView]:
    """Every licence, oldest first."""
    rows = session.execute(
        select(Licence, Site).join(Site, Licence.site_id == Site.id).order_by(Licence.id)
    ).all()
    return [licence_view(lic, site) for lic, site in rows]


def licence_site(session: Session, licence: Licence) -> Site:
    """The site a licence is for."""
    site = session.get(Site, licence.site_id)
    if site is None:  # the foreign key makes this unreachable short of a broken database
        raise NotFoundError(f"licence {licence.id}: no site {licence.site_id}")
    return site


@dataclass(frozen=True)
class BatchView:
    """A protection-list batch with its works and the warnings sent for it."""

    id: int
    name: str
    note: str | None
    published_at: datetime | None
    work_ids: tuple[int, ...]
    warnings: int


def batch_view(session: Session, batch: ProtectionBatch) -> BatchView:
    """One batch as :class:`BatchView`."""
    warnings = session.scalar(
        select(func.count())
        .select_from(Notice)
        .where(Notice.kind == NoticeKind.WARNING, Notice.batch_id == batch.id)
    )
    return BatchView(
        id=batch.id,
        name=batch.name,
        note=batch.note,
        published_at=batch.published_at,
        work_ids=tuple(sorted(w.id for w in batch.works)),
        warnings=warnings or 0,
    )


def batch_views(session: Session) -> list[BatchView]:
    """Every protection-list batch, oldest first."""
    return [
        batch_view(session, b)
        for b in session.scalars(select(ProtectionBatch).order_by(ProtectionBatch.id))
    ]


def find_batch(session: Session, ref: str | int) -> ProtectionBatch:
    """A batch by id or exact name (a name made only of digits is looked up as a name first)."""
    text = str(ref).strip()
    batch = session.scalar(select(ProtectionBatch).where(ProtectionBatch.name == text))
    if batch is None and text.isdigit() and len(text) <= 15:  # longer: no row has it
        batch = session.get(ProtectionBatch, int(text))
    if batch is None:
        raise NotFoundError(f"no protection-list batch {text!r}")
    return batch
