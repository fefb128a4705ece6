"""Shared fixtures: settings in a temporary data dir, and databases on SQLite and PostgreSQL.

PostgreSQL runs when ``JIANWANG_TEST_POSTGRES_URL`` names a server (``make test`` starts a
throwaway one); each test then gets a database of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from jianwang.config import Settings

POSTGRES_ENV = "JIANWANG_TEST_POSTGRES_URL"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings in a fresh data dir; the sandbox's 127.0.0.1 is explicitly allowed."""
    return Settings(data_dir=tmp_path / "data", allow_private_hosts=True, crawl_delay_s=0.0)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} not set; run through scripts/with-postgres (make test)")
    name = f"jw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
