"""The evidence ledger: an append-only hash chain over every capture, detection and decision.

Each entry commits to its payload's hash and to the previous entry's hash, so changing, removing or
reordering any recorded fact breaks every later link and ``verify_chain`` names the first break.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db import utcnow
from jianwang.db.models import LedgerEntry
from jianwang.evidence.hashing import GENESIS_HASH, canonical_json, entry_digest, payload_digest

__all__ = [
    "GENESIS_HASH",
    "ChainProblem",
    "append",
    "canonical_json",
    "entry_digest",
    "entry_hashes",
    "verify_chain",
]


def append(session: Session, *, kind: str, subject: str, payload: Mapping[str, Any]) -> LedgerEntry:
    """Append one fact to the chain (in the caller's transaction)."""
    session.flush()
    last = session.scalar(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1))
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS_HASH if last is None else last.entry_hash
    clean = json.loads(canonical_json(payload))
    payload_hash = payload_digest(clean)
    recorded_at = utcnow()
    entry = LedgerEntry(
        seq=seq,
        kind=kind,
        subject=subject,
        payload=clean,
        payload_hash=payload_hash,
        prev_hash=prev_hash,
        entry_hash=entry_digest(
            seq=seq,
            kind=kind,
            subject=subject,
            payload_hash=payload_hash,
            prev_hash=prev_hash,
            recorded_at=recorded_at,
        ),
        recorded_at=recorded_at,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored chain does not hold."""

    seq: int
    reason: str


def verify_chain(session: Session, *, after: int = 0) -> list[ChainProblem]:
    """Recompute every link; an empty list means the chain is intact.

    ``after``: check only the entries after that seq (and their link to it), for a caller that
    already holds a signed head over the first ``after`` entries.
    """
    problems: list[ChainProblem] = []
    prev_hash = GENESIS_HASH
    if after > 0:
        known = session.get(LedgerEntry, after)
        prev_hash = known.entry_hash if known is not None else ""
    expected_seq = after + 1
    query = select(LedgerEntry).where(LedgerEntry.seq > after).order_by(LedgerEntry.seq)
    for entry in session.scalars(query):
        if entry.seq != expected_seq:
            problems.append(ChainProblem(entry.seq, f"expected entry {expected_seq}"))
        if entry.prev_hash != prev_hash:
            problems.append(ChainProblem(entry.seq, "previous-hash link broken"))
        if payload_digest(entry.payload) != entry.payload_hash:
            problems.append(ChainProblem(entry.seq, "payload does not match its hash"))
        digest = entry_digest(
            seq=entry.seq,
            kind=entry.kind,
            subject=entry.subject,
            payload_hash=entry.payload_hash,
            prev_hash=entry.prev_hash,
            recorded_at=entry.recorded_at,
        )
        if digest != entry.entry_hash:
            problems.append(ChainProblem(entry.seq, "entry hash does not match its fields"))
        prev_hash = entry.entry_hash
        expected_seq = entry.seq + 1
    return problems


def entry_hashes(session: Session, *, upto: int | None = None) -> list[str]:
    """The entry hashes in seq order (the leaves of the ledger's Merkle tree), up to and
    including seq ``upto`` when given."""
    query = select(LedgerEntry.entry_hash).order_by(LedgerEntry.seq)
    if upto is not None:
        query = query.where(LedgerEntry.seq <= upto)
    return list(session.scalars(query))
