"""The byte forms the ledger hashes and signs, kept free of the database.

An evidence package is checked on a machine that has no Jianwang database (a court's, a
platform's), so everything that decides what bytes a hash or a signature covers lives here, with
nothing heavier than the standard library. The ledger writes with these functions and the
offline verifier recomputes with the same ones: there is one definition of each byte form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64
"""The previous-hash of the first entry: nothing came before it."""


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """One byte form per payload: sorted keys, no spaces, UTF-8, so hashes are reproducible."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def payload_digest(payload: Mapping[str, Any]) -> str:
    """The sha256 (hex) an entry's ``payload_hash`` states for its payload."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def entry_digest(
    *,
    seq: int,
    kind: str,
    subject: str,
    payload_hash: str,
    prev_hash: str,
    recorded_at: datetime | str,
) -> str:
    """The hash that chains an entry to everything before it.

    ``recorded_at`` is a datetime, or its ISO form exactly as written in a package (an offline
    verifier then hashes the text it was given, not a reparsed copy of it).
    """
    when = recorded_at if isinstance(recorded_at, str) else recorded_at.isoformat()
    material = "|".join([str(seq), kind, subject, payload_hash, prev_hash, when]).encode("utf-8")
    return hashlib.sha256(material).hexdigest()


def key_id(raw_public_key: bytes) -> str:
    """A signing key's id: the sha256 (hex) of its raw 32-byte Ed25519 public key, short
    enough to publish and compare by eye."""
    return hashlib.sha256(raw_public_key).hexdigest()


def head_statement(
    *, tree_size: int, root_hash: str, signed_at: datetime | str, key_id: str
) -> dict[str, Any]:
    """What a signed head states: the Merkle root over the first ``tree_size`` entries, when,
    and under which key. Only these four fields are signed."""
    when = signed_at if isinstance(signed_at, str) else signed_at.isoformat()
    return {"tree_size": tree_size, "root_hash": root_hash, "signed_at": when, "key_id": key_id}


def statement_bytes(statement: Mapping[str, Any]) -> bytes:
    """The exact bytes the head signature and the RFC 3161 timestamp request cover."""
    return canonical_json(
        {k: statement[k] for k in ("tree_size", "root_hash", "signed_at", "key_id")}
    )
