"""Signed tree heads: the installation's Ed25519 key vouches for the ledger's Merkle root.

The hash chain shows that nothing was changed *relative to the stored entries*; whoever can
rewrite the database can rewrite the chain too. A signed head fixes the root at a moment under a
key the authority publishes, so an evidence package checked years later against that published
key id shows the entries are the ones the authority held then.

The key lives in ``settings.key_dir`` as PKCS8 PEM, readable by its owner only. A key file that
others can read is refused rather than used: a signature is worth no more than the secrecy of
its key.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianwang.config import Settings
from jianwang.db import utcnow
from jianwang.db.models import LedgerEntry, LedgerHead
from jianwang.errors import UserError
from jianwang.evidence import hashing
from jianwang.evidence.ledger import entry_hashes, verify_chain
from jianwang.evidence.merkle import MerkleTree

log = logging.getLogger(__name__)

KEY_FILE = "ledger-ed25519.pem"
KEY_MODE = 0o600
DIR_MODE = 0o700


class LedgerMismatch(UserError):
    """The stored entries no longer hold: the chain is broken or no longer has the root a
    signed head states. Nothing is signed over an altered ledger."""


def key_path(settings: Settings) -> Path:
    """Where the installation's signing key lives."""
    return settings.key_dir / KEY_FILE


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise UserError(
            f"signing key {path} is open to other users (mode {mode:04o}); "
            f"restrict it with `chmod 600 {path}` (and check who may have copied it)"
        )


def _load(path: Path) -> Ed25519PrivateKey:
    _check_private(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise UserError(f"signing key {path} cannot be read as an unencrypted PEM key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise UserError(f"signing key {path} is not an Ed25519 key")
    return key


def _create(path: Path) -> None:
    """Write a new key next to ``path`` and link it into place, so a crash never leaves half a
    key under the final name and two processes starting at once end up with one key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process made one first: use it
            os.link(tmp, path)
            log.info("created the ledger signing key %s", path)
    finally:
        tmp.unlink(missing_ok=True)


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The installation's signing key, created (mode 0600, folder 0700) on first use."""
    path = key_path(settings)
    if not path.parent.exists():
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        path.parent.chmod(DIR_MODE)  # mkdir's mode is narrowed by the umask, never widened
    elif stat.S_IMODE(path.parent.stat().st_mode) & 0o077:
        log.warning("key folder %s is open to other users; chmod 700 it", path.parent)
    if not path.exists():
        _create(path)
    return _load(path)


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), the form packages carry and authorities
    publish."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """The key id: sha256 (hex) of the raw 32-byte public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashing.key_id(raw)


@dataclass(frozen=True)
class PublicKeyInfo:
    """The installation's public key as it is published."""

    key_id: str
    pem: str
    path: Path


def public_key_info(settings: Settings) -> PublicKeyInfo:
    """The public half of the signing key (creating the key on first use)."""
    public = signing_key(settings).public_key()
    return PublicKeyInfo(
        key_id=key_id_of(public), pem=public_key_pem(public), path=key_path(settings)
    )


def statement_of(head: LedgerHead) -> dict[str, object]:
    """The four fields a head's signature covers."""
    return hashing.head_statement(
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        signed_at=head.signed_at,
        key_id=head.key_id,
    )


def latest_head(session: Session) -> LedgerHead | None:
    """The head over the most entries (the newest of those), or None before the first seal."""
    return session.scalar(
        select(LedgerHead).order_by(LedgerHead.tree_size.desc(), LedgerHead.id.desc()).limit(1)
    )


def _check_ledger(session: Session, last: LedgerHead | None, tree: MerkleTree) -> None:
    """Refuse to sign over an altered ledger: the entries since the last head must chain, and
    the entries it covered must still have the root it signed."""
    after = 0
    if last is not None:
        if last.tree_size > tree.size:
            raise LedgerMismatch(
                f"signed head {last.id} covers {last.tree_size} entries but the ledger has "
                f"{tree.size}: entries were removed"
            )
        if tree.subtree_hash(0, last.tree_size).hex() != last.root_hash:
            raise LedgerMismatch(
                f"the first {last.tree_size} ledger entries no longer have the root signed "
                f"in head {last.id}: the ledger was altered"
            )
        after = last.tree_size
    problems = verify_chain(session, after=after)
    if problems:
        first = problems[0]
        raise LedgerMismatch(f"ledger entry {first.seq}: {first.reason}; nothing was signed")


def seal(session: Session, settings: Settings) -> LedgerHead:
    """Sign a head over every entry now in the ledger (in the caller's transaction).

    Returns the latest head unchanged when no entry was added since (and the key is the
    same); refuses an empty ledger
    (there is nothing to vouch for) and an altered one (``LedgerMismatch``).
    """
    leaves = entry_hashes(session)
    if not leaves:
        raise UserError("the evidence ledger is empty: there is nothing to seal")
    count = session.scalar(select(func.max(LedgerEntry.seq)))
    if count != len(leaves):
        raise LedgerMismatch(
            f"the ledger has {len(leaves)} entries but its last is number {count}: "
            "entries were removed"
        )
    try:
        tree = MerkleTree(bytes.fromhex(h) for h in leaves)
    except ValueError as exc:
        raise LedgerMismatch(f"a ledger entry hash is not hex ({exc}); nothing was signed") from exc
    last = latest_head(session)
    _check_ledger(session, last, tree)
    key = signing_key(settings)
    key_id = key_id_of(key.public_key())
    if last is not None and last.tree_size == tree.size and last.key_id == key_id:
        return last  # a new key (rotated) signs the same tree again, so packages carry it
    signed_at: datetime = utcnow().replace(microsecond=0)  # stored and read back exactly
    head = LedgerHead(
        tree_size=tree.size,
        root_hash=tree.root().hex(),
        signed_at=signed_at,
        key_id=key_id,
        signature="",
    )
    head.signature = key.sign(hashing.statement_bytes(statement_of(head))).hex()
    session.add(head)
    session.flush()
    log.info("sealed the ledger at %d entries (head %d)", head.tree_size, head.id)
    return head
