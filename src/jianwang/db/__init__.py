"""Storage: SQLAlchemy 2 engine and sessions, one declarative base, Alembic migrations.

SQLite in the data dir by default, PostgreSQL by URL.
"""

from jianwang.db.base import Base, utcnow
from jianwang.db.engine import (
    create_db_engine,
    current_revision,
    ensure_schema,
    head_revision,
    session_factory,
    transaction,
    upgrade,
)

__all__ = [
    "Base",
    "create_db_engine",
    "current_revision",
    "ensure_schema",
    "head_revision",
    "session_factory",
    "transaction",
    "upgrade",
    "utcnow",
]
