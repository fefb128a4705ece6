"""The fingerprint indexes of the protection list, kept in step with the database.

Index files are a derived cache: the fingerprints themselves live in ``asset_signals``. On opening,
each index is compared with the database and brought up to date by adding the assets it lacks and
removing the ones that are gone, so an interrupted command never leaves identification wrong.
Fingerprints an earlier version of a signal made are made again from the stored reference media.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db.models import AssetSignal
from jianwang.errors import IndexMismatchError, MediaError
from jianwang.index.base import Index
from jianwang.signals.base import Fingerprint, SignalType
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)


@dataclass
class IndexSet:
    """One open index per registered signal type, with where it is saved."""

    directory: Path
    registry: SignalRegistry
    indexes: dict[str, Index] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)

    def path_for(self, signal: SignalType) -> Path:
        """The index file of a signal type; its name carries the version for readability."""
        return self.directory / f"{signal.name}.v{signal.version}.idx"

    def index(self, signal: SignalType) -> Index:
        """The open index of ``signal`` (loaded or created on first use)."""
        if signal.name not in self.indexes:
            path = self.path_for(signal)
            if path.exists():
                try:
                    self.indexes[signal.name] = signal.load_index(path)
                except IndexMismatchError as exc:
                    log.warning("%s; rebuilding it from the database", exc)
                    self.indexes[signal.name] = signal.new_index()
                    self.dirty.add(signal.name)
            else:
                self.indexes[signal.name] = signal.new_index()
        return self.indexes[signal.name]

    def add(self, signal: SignalType, asset_id: int, fingerprint: Fingerprint) -> None:
        """Add one reference asset's fingerprint (saved by ``save``)."""
        signal.add_to_index(self.index(signal), asset_id, fingerprint)
        self.dirty.add(signal.name)

    def remove(self, signal: SignalType, asset_id: int) -> None:
        """Drop one reference asset from an index."""
        self.index(signal).remove(asset_id)
        self.dirty.add(signal.name)

    def sync(self, session: Session) -> None:
        """Make every index hold exactly the assets the database has fingerprints for."""
        for name in self.registry.names():
            signal = self.registry.get(name)
            index = self.index(signal)
            rows = session.execute(
                select(AssetSignal.asset_id, AssetSignal.version).where(
                    AssetSignal.signal == signal.name
                )
            ).all()
            stale = {asset_id for asset_id, version in rows if version != signal.version}
            wanted = {asset_id for asset_id, _ in rows if asset_id not in stale}
            if stale:
                _refingerprint(session, signal, stale)
                wanted |= stale & _current(session, signal)
            present = index.item_ids()
            for asset_id in present - wanted:
                index.remove(asset_id)
                self.dirty.add(signal.name)
            missing = wanted - present
            if missing:
                log.info("adding %d assets to the %s index", len(missing), signal.name)
                blobs = session.execute(
                    select(AssetSignal.asset_id, AssetSignal.fingerprint).where(
                        AssetSignal.signal == signal.name, AssetSignal.asset_id.in_(missing)
                    )
                ).all()
                for asset_id, blob in blobs:
                    signal.add_to_index(index, asset_id, Fingerprint.from_bytes(blob))
                self.dirty.add(signal.name)

    def save(self) -> None:
        """Write the indexes that changed (each write is atomic)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in sorted(self.dirty):
            signal = self.registry.get(name)
            self.indexes[name].save(self.path_for(signal))
        self.dirty.clear()


def _current(session: Session, signal: SignalType) -> set[int]:
    rows = session.execute(
        select(AssetSignal.asset_id).where(
            AssetSignal.signal == signal.name, AssetSignal.version == signal.version
        )
    )
    return {asset_id for (asset_id,) in rows}


def _refingerprint(session: Session, signal: SignalType, asset_ids: set[int]) -> None:
    """Fingerprint again, from their stored media, the assets whose fingerprint an earlier
    version of ``signal`` made (a new release changed the signal): left alone, they would drop
    out of its index and no copy of them would be found. An asset whose media cannot be read
    stays out of the index, with a warning naming it."""
    log.warning(
        "%s v%d: fingerprinting %d reference asset(s) again (stored by an earlier version)",
        signal.name,
        signal.version,
        len(asset_ids),
    )
    for asset_id in sorted(asset_ids):
        row = session.execute(
            select(AssetSignal).where(
                AssetSignal.signal == signal.name, AssetSignal.asset_id == asset_id
            )
        ).scalar_one()
        try:
            fingerprint = signal.fingerprint(row.asset.content_path)
        except MediaError as exc:
            log.warning("asset %d: cannot fingerprint its stored media again: %s", asset_id, exc)
            continue
        row.version = signal.version
        row.fingerprint = fingerprint.to_bytes()
    session.flush()


def open_indexes(session: Session, directory: Path, registry: SignalRegistry) -> IndexSet:
    """Open the indexes in ``directory`` and bring them in step with the database."""
    indexes = IndexSet(directory=directory, registry=registry)
    indexes.sync(session)
    return indexes
