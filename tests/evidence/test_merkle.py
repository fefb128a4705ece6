"""The RFC 6962 Merkle tree: roots and audit paths agree with the RFC's own definitions and its
published test vectors, and a proof for the wrong leaf, index, size, path or root fails."""

from __future__ import annotations

import hashlib

import pytest

from jianwang.evidence.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_proof,
    split_point,
    verify_inclusion,
)

# The leaves and roots of the Certificate Transparency reference tests (RFC 6962 trees of 1..8).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _mth(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 2.1 writes it, recursively: the reference to check against."""
    if not leaves:
        return _h(b"")
    if len(leaves) == 1:
        return _h(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return _h(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:]))


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 6962 2.1.1 writes it."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def test_leaf_and_node_hashes_carry_their_prefix() -> None:
    assert leaf_hash(b"abc") == _h(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == _h(b"\x01" + b"L" * 32 + b"R" * 32)
    assert leaf_hash(b"") != EMPTY_ROOT  # a one-leaf tree is not the empty tree


def test_split_point_is_the_largest_power_of_two_below_n() -> None:
    assert [split_point(n) for n in range(2, 10)] == [1, 2, 2, 4, 4, 4, 4, 8]
    with pytest.raises(ValueError):
        split_point(1)


@pytest.mark.parametrize("n", range(1, 9))
def test_roots_match_the_ct_test_vectors(n: int) -> None:
    assert merkle_root(CT_LEAVES[:n]).hex() == CT_ROOTS[n - 1]
    assert _mth(CT_LEAVES[:n]).hex() == CT_ROOTS[n - 1]


def test_small_roots_written_out_by_hand() -> None:
    a, b, c, d, e = (leaf_hash(x) for x in (b"a", b"b", b"c", b"d", b"e"))
    assert merkle_root([b"a"]) == a
    assert merkle_root([b"a", b"b"]) == node_hash(a, b)
    assert merkle_root([b"a", b"b", b"c"]) == node_hash(node_hash(a, b), c)
    ab_cd = node_hash(node_hash(a, b), node_hash(c, d))
    assert merkle_root([b"a", b"b", b"c", b"d"]) == ab_cd
    assert merkle_root([b"a", b"b", b"c", b"d", b"e"]) == node_hash(ab_cd, e)
    assert merkle_root([]) == EMPTY_ROOT


def test_an_audit_path_written_out_by_hand() -> None:
    leaves = [b"a", b"b", b"c", b"d", b"e"]
    a, b, c, d, e = (leaf_hash(x) for x in leaves)
    assert inclusion_proof(leaves, 2) == [d, node_hash(a, b), e]
    assert inclusion_proof(leaves, 4) == [node_hash(node_hash(a, b), node_hash(c, d))]
    assert inclusion_proof([b"a"], 0) == []


def test_ct_vector_path_of_the_first_leaf_of_eight() -> None:
    assert [h.hex() for h in inclusion_proof(CT_LEAVES, 0)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]


@pytest.mark.parametrize("n", range(1, 9))
def test_every_index_of_every_small_tree_proves_and_verifies(n: int) -> None:
    leaves = [f"entry-{i}".encode() for i in range(n)]
    tree = MerkleTree(leaves)
    root = tree.root()
    assert root == _mth(leaves)
    for m in range(n):
        proof = tree.inclusion_proof(m)
        assert proof == _path(m, leaves), (n, m)
        assert verify_inclusion(leaves[m], m, n, proof, root)
        assert root_from_proof(leaves[m], m, n, proof) == root


@pytest.mark.parametrize("n", range(2, 9))
def test_wrong_leaf_index_size_path_or_root_fails(n: int) -> None:
    leaves = [f"entry-{i}".encode() for i in range(n)]
    tree = MerkleTree(leaves)
    root = tree.root()
    for m in range(n):
        proof = tree.inclusion_proof(m)
        assert not verify_inclusion(leaves[m] + b"x", m, n, proof, root)
        assert not verify_inclusion(leaves[(m + 1) % n], m, n, proof, root)
        assert not verify_inclusion(leaves[m], (m + 1) % n, n, proof, root)
        assert not verify_inclusion(leaves[m], m, n, proof[:-1], root)
        assert not verify_inclusion(leaves[m], m, n, [*proof, proof[0]], root)
        flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        assert not verify_inclusion(leaves[m], m, n, flipped, root)
        assert not verify_inclusion(leaves[m], m, n, proof, bytes(32))
        assert not verify_inclusion(leaves[m], m, n, [h[:31] for h in proof], root)


@pytest.mark.parametrize("n", range(1, 9))
def test_a_wrong_tree_size_fails_where_the_path_depends_on_it(n: int) -> None:
    """A leaf inside a complete left subtree has the same audit path in every tree that keeps
    that subtree (RFC 6962 does not bind the size there: the signed head does). Every size that
    changes the path's depth, and any other size for the last leaf, must fail."""
    leaves = [f"entry-{i}".encode() for i in range(16)]
    tree = MerkleTree(leaves[:n])
    for m in range(n):
        proof = tree.inclusion_proof(m)
        for size in range(1, 17):
            if size == n:
                continue
            depth_differs = len(_path(m, leaves[:size])) != len(proof) if m < size else True
            if depth_differs or m == n - 1:
                assert not verify_inclusion(leaves[m], m, size, proof, tree.root()), (m, size)


def test_index_outside_the_tree_is_refused() -> None:
    tree = MerkleTree([b"a", b"b", b"c"])
    with pytest.raises(ValueError):
        tree.inclusion_proof(3)
    with pytest.raises(ValueError):
        root_from_proof(b"a", 3, 3, [])
    assert not verify_inclusion(b"a", -1, 3, tree.inclusion_proof(0), tree.root())


def test_a_big_tree_agrees_with_the_recursive_definition() -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(1000)]
    tree = MerkleTree(leaves)
    assert tree.root() == _mth(leaves)
    for m in (0, 1, 511, 512, 767, 998, 999):
        assert tree.inclusion_proof(m) == _path(m, leaves)
        assert verify_inclusion(leaves[m], m, 1000, tree.inclusion_proof(m), tree.root())
