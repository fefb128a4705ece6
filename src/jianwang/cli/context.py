"""What every command needs: the settings, and the database and indexes opened on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.media.limits import DecodeLimits
from jianwang.signals.registry import SignalRegistry, default_registry


@dataclass
class AppContext:
    """Settings plus lazily opened resources; opening nothing until a command needs it."""

    settings: Settings
    verbose: bool = False
    _engine: Engine | None = field(default=None, repr=False)
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)
    _registry: SignalRegistry | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The database engine, with the schema upgraded on first use."""
        if self._engine is None:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._engine = create_db_engine(self.settings.db_url)
            ensure_schema(self._engine)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory bound to the engine."""
        if self._factory is None:
            self._factory = session_factory(self.engine)
        return self._factory

    @property
    def registry(self) -> SignalRegistry:
        """The signal types in use."""
        if self._registry is None:
            self._registry = default_registry()
        return self._registry

    @property
    def limits(self) -> DecodeLimits:
        """Decode limits from the settings."""
        return DecodeLimits.from_settings(self.settings)

    @property
    def store(self) -> ContentStore:
        """The content-addressed store in the data dir."""
        return ContentStore(self.settings.content_dir)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One command, one transaction."""
        with transaction(self.sessions) as session:
            yield session

    def indexes(self, session: Session) -> IndexSet:
        """The fingerprint indexes, in step with the database."""
        return open_indexes(session, self.settings.index_dir, self.registry)

    def close(self) -> None:
        """Release the database connections."""
        if self._engine is not None:
            self._engine.dispose()


ActorOption = Annotated[
    str,
    typer.Option(
        "--as",
        envvar="JIANWANG_USER",
        help="The registered user acting (or JIANWANG_USER); the step is refused unless the "
        "user's role and scope allow it.",
    ),
]


def app_context(ctx: typer.Context) -> AppContext:
    """The AppContext the root callback stored."""
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        raise RuntimeError("jianwang CLI context missing; commands must run under the root app")
    return obj
