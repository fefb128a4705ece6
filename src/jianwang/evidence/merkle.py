"""The ledger's Merkle tree, as RFC 6962 (Certificate Transparency) defines it.

A hash chain proves an entry only to someone who holds every entry before it; a Merkle tree lets
an evidence package carry just the entries of one case plus a short audit path for each, and
still prove that each belongs to the very ledger a signed head commits to. The RFC's tree is
used unchanged (leaf and node hashes told apart by a prefix byte, the split at the largest power
of two below n) so that any independent RFC 6962 implementation can check a package.

Pure functions over bytes: no database, so the offline verifier uses exactly this code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree (RFC 6962 2.1: the hash of the empty string)."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: sha256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: sha256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where the RFC splits a tree."""
    if n < 2:
        raise ValueError(f"a tree of {n} leaves has no split")
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """A tree over a fixed list of leaves, with every perfect subtree's hash kept.

    Every subtree the RFC's recursion visits either is a perfect, aligned subtree (found in the
    kept levels) or splits into one and a smaller remainder, so the root and each audit path
    cost O(log n) hashes after one O(n) build: a package with many entries from a large ledger
    stays quick to export.
    """

    def __init__(self, leaves: Iterable[bytes]) -> None:
        level = [leaf_hash(data) for data in leaves]
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self._levels.append(level)

    @property
    def size(self) -> int:
        """How many leaves the tree has."""
        return len(self._levels[0])

    def subtree_hash(self, start: int, n: int) -> bytes:
        """MTH of the ``n`` leaves from ``start`` (a range the RFC's recursion visits)."""
        if n == 0:
            return EMPTY_ROOT
        height = n.bit_length() - 1
        if n == 1 << height and start % n == 0:
            return self._levels[height][start >> height]
        k = split_point(n)
        return node_hash(self.subtree_hash(start, k), self.subtree_hash(start + k, n - k))

    def root(self) -> bytes:
        """The tree head's root hash."""
        return self.subtree_hash(0, self.size)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index`` (RFC 6962 2.1.1), nearest sibling first."""
        if not 0 <= index < self.size:
            raise ValueError(f"leaf {index} is not in a tree of {self.size}")
        path: list[bytes] = []
        start, n, m = 0, self.size, index
        while n > 1:
            k = split_point(n)
            if m < k:
                path.append(self.subtree_hash(start + k, n - k))
                n = k
            else:
                path.append(self.subtree_hash(start, k))
                start, n, m = start + k, n - k, m - k
        path.reverse()
        return path


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root hash of a tree over ``leaves`` (leaf data, not yet hashed)."""
    return MerkleTree(leaves).root()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path proving leaf ``index`` of a tree of ``len(leaves)`` leaves."""
    return MerkleTree(leaves).inclusion_proof(index)


def root_from_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that leaf data ``leaf`` at ``index`` in a tree of ``size`` leads to along
    ``proof`` (RFC 9162 2.1.3.2); ``ValueError`` when the path cannot belong to such a tree
    (wrong length, index outside the tree)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn = index, size - 1
    result = leaf_hash(leaf)
    for sibling in proof:
        if len(sibling) != hashlib.sha256().digest_size:
            raise ValueError("an audit path hash is not 32 bytes")
        if sn == 0:
            raise ValueError("the audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the audit path is shorter than the tree is deep")
    return result


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf data ``leaf`` at ``index`` in the tree of ``size`` leaves
    whose root is ``root``."""
    try:
        return root_from_proof(leaf, index, size, proof) == root
    except ValueError:
        return False
