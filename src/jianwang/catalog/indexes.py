"""The fingerprint indexes of the protection list, kept in step with the database.

Index files are a derived cache: the fingerprints themselves live in ``asset_signals``. On opening,
each index is compared with the database and brought up to date by adding the assets it lacks and
removing the ones that are gone, so an interrupted command never leaves identification wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db.models import AssetSignal
from jianwang.errors import IndexMismatchError
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
            wanted = {asset_id for asset_id, version in rows if version == signal.version}
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


def open_indexes(session: Session, directory: Path, registry: SignalRegistry) -> IndexSet:
    """Open the indexes in ``directory`` and bring them in step with the database."""
    indexes = IndexSet(directory=directory, registry=registry)
    indexes.sync(session)
    return indexes
