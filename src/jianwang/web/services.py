"""What every request needs, opened once when the app starts: settings, the database and the
signal registry. Held on ``app.state``; nothing here is per request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.media.limits import DecodeLimits
from jianwang.signals.registry import SignalRegistry


@dataclass
class WebServices:
    """The app's long-lived dependencies."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    registry: SignalRegistry

    @property
    def limits(self) -> DecodeLimits:
        return DecodeLimits.from_settings(self.settings)

    @property
    def store(self) -> ContentStore:
        return ContentStore(self.settings.content_dir)

    def indexes(self, session: Session) -> IndexSet:
        """The fingerprint indexes in step with the database (re-read when references change,
        so a long-running server sees works added by the CLI)."""
        return open_indexes(session, self.settings.index_dir, self.registry)
