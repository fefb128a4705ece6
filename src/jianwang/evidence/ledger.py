"""The evidence ledger: an append-only hash chain over every capture, detection and decision.

Each entry commits to its payload's hash and to the previous entry's hash, so changing, removing or
reordering any recorded fact breaks every later link and ``verify_chain`` names the first break.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db import utcnow
from jianwang.db.models import LedgerEntry

GENESIS_HASH = "0" * 64


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """One byte form per payload: sorted keys, no spaces, UTF-8, so hashes are reproducible."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def entry_digest(
    *, seq: int, kind: str, subject: str, payload_hash: str, prev_hash: str, recorded_at: datetime
) -> str:
    """The hash that chains an entry to everything before it."""
    material = "|".join(
        [str(seq), kind, subject, payload_hash, prev_hash, recorded_at.isoformat()]
    ).encode("utf-8")
    return hashlib.sha256(material).hexdigest()


def append(session: Session, *, kind: str, subject: str, payload: Mapping[str, Any]) -> LedgerEntry:
    """Append one fact to the chain (in the caller's transaction)."""
    session.flush()
    last = session.scalar(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1))
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS_HASH if last is None else last.entry_hash
    clean = json.loads(canonical_json(payload))
    payload_hash = hashlib.sha256(canonical_json(clean)).hexdigest()
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


def verify_chain(session: Session) -> list[ChainProblem]:
    """Recompute every link; an empty list means the chain is intact."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for entry in session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)):
        if entry.seq != expected_seq:
            problems.append(ChainProblem(entry.seq, f"expected entry {expected_seq}"))
        if entry.prev_hash != prev_hash:
            problems.append(ChainProblem(entry.seq, "previous-hash link broken"))
        if hashlib.sha256(canonical_json(entry.payload)).hexdigest() != entry.payload_hash:
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
