"""Catalog services: register works with their reference media, batches and licences.

Every function takes the session and its dependencies as keyword arguments and leaves committing to
the caller, so one command is one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jianwang.catalog.indexes import IndexSet
from jianwang.catalog.references import PreparedReference, fingerprint_reference
from jianwang.content import ContentStore
from jianwang.db.models import (
    AssetSignal,
    Licence,
    ProtectionBatch,
    ReferenceAsset,
    RightsHolder,
    Site,
    Work,
    WorkKind,
)
from jianwang.errors import DuplicateError, NotFoundError, UserError
from jianwang.media.limits import DecodeLimits
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)

IMPORTABLE_SUFFIXES = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mkv",
        ".webm",
        ".mov",
        ".avi",
        ".ogv",
        ".ts",
        ".flv",
        ".mp3",
        ".m4a",
        ".aac",
        ".ogg",
        ".opus",
        ".flac",
        ".wav",
        ".txt",
        ".html",
        ".htm",
        ".md",
    }
)


@dataclass(frozen=True)
class WorkRow:
    """A work as listed to a person."""

    id: int
    title: str
    kind: str
    rights_holder: str
    assets: int
    batch: str | None
    licences: int
    protected_until: date | None
    aliases: tuple[str, ...] = ()


def parse_work_kind(kind: str | WorkKind) -> WorkKind:
    """A work kind from user input, with the valid choices in the error."""
    try:
        return WorkKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in WorkKind)
        raise UserError(f"unknown work kind {kind!r}; choose one of: {choices}") from None


def get_or_create_rights_holder(
    session: Session, *, name: str, contact: str | None = None, address: str | None = None
) -> RightsHolder:
    """The rights holder of that name, created on first mention."""
    name = name.strip()
    if not name:
        raise UserError("a rights holder needs a name")
    holder = session.scalar(select(RightsHolder).where(RightsHolder.name == name))
    if holder is None:
        holder = RightsHolder(name=name, contact=contact, address=address)
        session.add(holder)
        session.flush()
    else:
        holder.contact = contact or holder.contact
        holder.address = address or holder.address
    return holder


MAX_ALIASES = 50


def clean_aliases(title: str, aliases: Sequence[str]) -> list[str]:
    """Aliases trimmed, without blanks, repeats or the title itself; at most ``MAX_ALIASES``."""
    names: list[str] = []
    for alias in aliases:
        name = alias.strip()
        if name and name != title and name not in names:
            if len(name) > 300:
                raise UserError(f"alias {name[:40]!r}...: longer than 300 characters")
            names.append(name)
    if len(names) > MAX_ALIASES:
        raise UserError(f"work {title!r}: more than {MAX_ALIASES} aliases")
    return names


def set_aliases(session: Session, *, work: str | int, aliases: Sequence[str]) -> Work:
    """Replace a work's aliases (title matching uses them with the title)."""
    row = find_work(session, work)
    row.aliases = clean_aliases(row.title, aliases)
    session.flush()
    return row


def add_work(
    session: Session,
    *,
    title: str,
    kind: str | WorkKind,
    rights_holder: str,
    references: Sequence[Path],
    indexes: IndexSet,
    store: ContentStore,
    registry: SignalRegistry,
    limits: DecodeLimits,
    proof_of_rights: str | None = None,
    protected_until: date | None = None,
    batch: str | None = None,
    holder_contact: str | None = None,
    holder_address: str | None = None,
    aliases: Sequence[str] = (),
) -> Work:
    """Register a work and fingerprint its reference media into the indexes.

    All references are decoded and fingerprinted before anything is written, so a bad file fails
    the whole call with nothing half-registered. A work without references is protected by its
    title and ``aliases`` alone (pages naming it with distribution cues are title matches).
    """
    title = title.strip()
    if not title:
        raise UserError("a work needs a title")
    work_kind = parse_work_kind(kind)
    names = clean_aliases(title, aliases)
    holder = get_or_create_rights_holder(
        session, name=rights_holder, contact=holder_contact, address=holder_address
    )
    existing = session.scalar(
        select(Work).where(
            Work.title == title, Work.kind == work_kind, Work.rights_holder_id == holder.id
        )
    )
    if existing is not None:
        raise DuplicateError(
            f"work {title!r} ({work_kind.value}) of {holder.name!r} is already registered "
            f"(id {existing.id})"
        )
    prepared = [
        fingerprint_reference(Path(p), registry=registry, limits=limits) for p in references
    ]
    seen: set[str] = set()
    for ref in prepared:
        if ref.sha256 in seen:
            raise DuplicateError(f"{ref.path}: the same file is given twice")
        seen.add(ref.sha256)
        clash = session.scalar(select(ReferenceAsset).where(ReferenceAsset.sha256 == ref.sha256))
        if clash is not None:
            raise DuplicateError(
                f"{ref.path}: already registered as {clash.name!r} of work id {clash.work_id}"
            )
    batch_row = get_batch(session, name=batch) if batch else None
    work = Work(
        title=title,
        aliases=names,
        kind=work_kind,
        rights_holder=holder,
        proof_of_rights=proof_of_rights,
        protected_until=protected_until,
        batch=batch_row,
    )
    session.add(work)
    for ref in prepared:
        store_reference(
            session, work=work, name=ref.path.name, ref=ref, store=store, indexes=indexes
        )
    session.flush()
    log.info("registered work %r with %d reference(s)", title, len(prepared))
    return work


def import_works(
    session: Session,
    *,
    directory: Path,
    kind: str | WorkKind,
    rights_holder: str,
    indexes: IndexSet,
    store: ContentStore,
    registry: SignalRegistry,
    limits: DecodeLimits,
    batch: str | None = None,
    on_file: Callable[[Path, int, int], None] | None = None,
) -> list[Work]:
    """Register one work per media or text file in ``directory``, titled by the file name.

    ``on_file(path, done, total)`` is called before each file, for a progress display.
    """
    if not directory.is_dir():
        raise NotFoundError(f"{directory}: not a directory")
    files = sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMPORTABLE_SUFFIXES
    )
    if not files:
        raise UserError(f"{directory}: no media or text files to import")
    works = []
    for done, path in enumerate(files):
        if on_file is not None:
            on_file(path, done, len(files))
        works.append(
            add_work(
                session,
                title=path.stem,
                kind=kind,
                rights_holder=rights_holder,
                references=[path],
                indexes=indexes,
                store=store,
                registry=registry,
                limits=limits,
                batch=batch,
            )
        )
    return works


def list_works(session: Session) -> list[WorkRow]:
    """Every registered work with its counts, oldest first."""
    asset_counts = dict(
        session.execute(
            select(ReferenceAsset.work_id, func.count()).group_by(ReferenceAsset.work_id)
        ).all()
    )
    licence_counts = dict(
        session.execute(select(Licence.work_id, func.count()).group_by(Licence.work_id)).all()
    )
    rows = []
    for work in session.scalars(select(Work).order_by(Work.id)):
        rows.append(
            WorkRow(
                id=work.id,
                title=work.title,
                kind=work.kind.value,
                rights_holder=work.rights_holder.name,
                assets=asset_counts.get(work.id, 0),
                batch=work.batch.name if work.batch else None,
                licences=licence_counts.get(work.id, 0),
                protected_until=work.protected_until,
                aliases=tuple(work.aliases or ()),
            )
        )
    return rows


MAX_ROW_ID = 2**31 - 1
"""The largest id an integer primary key holds on PostgreSQL (and so on every backend here)."""


def record_id(ref: str | int) -> int | None:
    """``ref`` as a row id when it is one (an int, or ASCII digits), else None (a name).

    Digits of other scripts (``²``, ``٣``) are names, and an id past the column's range is no
    row, so neither reaches the database as an integer it cannot hold."""
    if isinstance(ref, int):
        return ref if 0 <= ref <= MAX_ROW_ID else -1
    text = ref.strip()
    if text.isascii() and text.isdigit():
        return int(text) if len(text) <= 10 and int(text) <= MAX_ROW_ID else -1
    return None


def store_reference(
    session: Session,
    *,
    work: Work,
    name: str,
    ref: PreparedReference,
    store: ContentStore,
    indexes: IndexSet,
) -> ReferenceAsset:
    """Keep a fingerprinted reference file: its bytes in the store, its asset row, its
    fingerprints in the database and in the indexes (saved by the caller after commit)."""
    stored = store.put_file(ref.path)
    asset = ReferenceAsset(
        work=work,
        name=name[:300],
        kind=ref.kind,
        sha256=stored.sha256,
        content_path=str(stored.path),
        length=ref.length,
    )
    session.add(asset)
    session.flush()
    for signal, fingerprint in ref.fingerprints:
        session.add(
            AssetSignal(
                asset_id=asset.id,
                signal=signal.name,
                version=signal.version,
                fingerprint=fingerprint.to_bytes(),
            )
        )
        indexes.add(signal, asset.id, fingerprint)
    return asset


def find_work(session: Session, ref: str | int) -> Work:
    """A work by id or exact title; an unknown or ambiguous title is a user error."""
    if (row_id := record_id(ref)) is not None:
        work = session.get(Work, row_id) if row_id >= 0 else None
        if work is None:
            raise NotFoundError(f"no work with id {ref}")
        return work
    works = list(session.scalars(select(Work).where(Work.title == ref)))
    if not works:
        raise NotFoundError(f"no work titled {ref!r}")
    if len(works) > 1:
        ids = ", ".join(str(w.id) for w in works)
        raise UserError(f"several works are titled {ref!r} (ids {ids}); give the id")
    return works[0]


def find_site(session: Session, ref: str | int) -> Site:
    """A site by id, name or one of its domains."""
    if (row_id := record_id(ref)) is not None:
        site = session.get(Site, row_id) if row_id >= 0 else None
    else:
        site = session.scalar(select(Site).where(Site.name == ref))
        if site is None:
            site = next((s for s in session.scalars(select(Site)) if ref in s.domains), None)
    if site is None:
        raise NotFoundError(f"no site {ref!r} in the registry (add it with 'jianwang sites add')")
    return site


def add_licence(
    session: Session,
    *,
    work: str | int,
    site: str | int,
    starts_on: date,
    ends_on: date | None = None,
    territory: str = "*",
    note: str | None = None,
) -> Licence:
    """Record that ``site`` may carry ``work`` in ``territory`` between the two dates."""
    work_row = find_work(session, work)
    site_row = find_site(session, site)
    if ends_on is not None and ends_on < starts_on:
        raise UserError(f"licence ends ({ends_on}) before it starts ({starts_on})")
    territory = territory.strip() or "*"
    licence = Licence(
        work=work_row,
        site_id=site_row.id,
        territory=territory,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
    )
    session.add(licence)
    session.flush()
    return licence


def licence_for(
    session: Session, *, work_id: int, site_id: int, on: date, territory: str | None = None
) -> Licence | None:
    """The licence that lets ``site_id`` carry ``work_id`` on day ``on``, if any.

    Periods include both their first and last day; a licence with territory ``*`` covers every
    territory, otherwise the site's region must equal it or sit inside it (``CN`` covers
    ``CN-11``).
    """
    candidates = session.scalars(
        select(Licence).where(
            Licence.work_id == work_id,
            Licence.site_id == site_id,
            Licence.starts_on <= on,
            or_(Licence.ends_on.is_(None), Licence.ends_on >= on),
        )
    )
    for licence in candidates:
        if licence.territory == "*" or territory is None:
            return licence
        if territory == licence.territory or territory.startswith(licence.territory + "-"):
            return licence
    return None


def get_batch(session: Session, *, name: str) -> ProtectionBatch:
    """A protection-list batch by name."""
    batch = session.scalar(select(ProtectionBatch).where(ProtectionBatch.name == name))
    if batch is None:
        raise NotFoundError(f"no protection-list batch named {name!r}")
    return batch


def add_batch(
    session: Session,
    *,
    name: str,
    works: Sequence[str | int] = (),
    note: str | None = None,
    published_at: datetime | None = None,
) -> ProtectionBatch:
    """Create a protection-list batch and put ``works`` on it."""
    name = name.strip()
    if not name:
        raise UserError("a batch needs a name")
    if session.scalar(select(ProtectionBatch).where(ProtectionBatch.name == name)) is not None:
        raise DuplicateError(f"protection-list batch {name!r} already exists")
    batch = ProtectionBatch(name=name, note=note, published_at=published_at or datetime.now(UTC))
    session.add(batch)
    for ref in works:
        find_work(session, ref).batch = batch
    session.flush()
    return batch


@dataclass(frozen=True)
class LicenceRow:
    """A licence as listed to a person."""

    id: int
    work: str
    site: str
    territory: str
    starts_on: date
    ends_on: date | None


def list_licences(session: Session) -> list[LicenceRow]:
    """Every licence, oldest first."""
    rows = session.execute(
        select(Licence, Site.name).join(Site, Licence.site_id == Site.id).order_by(Licence.id)
    ).all()
    return [
        LicenceRow(
            id=lic.id,
            work=lic.work.title,
            site=site_name,
            territory=lic.territory,
            starts_on=lic.starts_on,
            ends_on=lic.ends_on,
        )
        for lic, site_name in rows
    ]


@dataclass(frozen=True)
class BatchRow:
    """A protection-list batch as listed to a person."""

    id: int
    name: str
    published_at: datetime | None
    works: int


def list_batches(session: Session) -> list[BatchRow]:
    """Every protection-list batch with its number of works, oldest first."""
    counts = dict(
        session.execute(select(Work.batch_id, func.count()).group_by(Work.batch_id)).all()
    )
    return [
        BatchRow(id=b.id, name=b.name, published_at=b.published_at, works=counts.get(b.id, 0))
        for b in session.scalars(select(ProtectionBatch).order_by(ProtectionBatch.id))
    ]
