"""The hash chain: intact chains verify; any change to any stored field is found and named."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import LedgerEntry
from jianwang.evidence.ledger import GENESIS_HASH, append, verify_chain


@pytest.fixture
def factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_db_engine(f"sqlite:///{tmp_path / 'l.db'}")
    ensure_schema(engine)
    yield session_factory(engine)
    engine.dispose()


def _fill(session: Session) -> None:
    for i in range(5):
        append(session, kind="capture", subject=f"capture:{i}", payload={"i": i, "url": "ü"})


def test_chain_links_and_verifies(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as s:
        _fill(s)
    with transaction(factory) as s:
        entries = list(s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)))
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert entries[0].prev_hash == GENESIS_HASH
        assert all(b.prev_hash == a.entry_hash for a, b in pairwise(entries))
        assert verify_chain(s) == []


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("payload", {"i": 99, "url": "ü"}, "payload does not match its hash"),
        ("subject", "capture:x", "entry hash does not match its fields"),
        ("kind", "detection", "entry hash does not match its fields"),
        ("payload_hash", "f" * 64, "payload does not match its hash"),
    ],
)
def test_tampering_is_named(factory, column: str, value: object, reason: str) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as s:
        _fill(s)
    with transaction(factory) as s:
        s.execute(update(LedgerEntry).where(LedgerEntry.seq == 3).values({column: value}))
    with transaction(factory) as s:
        problems = verify_chain(s)
    assert problems, "tampering went unnoticed"
    assert problems[0].seq == 3
    assert reason in [p.reason for p in problems if p.seq == 3]


def test_removed_entry_breaks_the_chain(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as s:
        _fill(s)
    with transaction(factory) as s:
        s.delete(s.get(LedgerEntry, 2))
    with transaction(factory) as s:
        problems = verify_chain(s)
    assert [p.seq for p in problems] == [3, 3]
