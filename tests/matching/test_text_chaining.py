"""Text chaining on hand-made candidate pairs: a copied span stays one span."""

from __future__ import annotations

import numpy as np

from jianwang.matching.text import chain_matches
from jianwang.signals.base import Fingerprint, MediaKind, TextPolicy

POLICY = TextPolicy(min_shared=8, min_density=0.3)
K = 12


def _query(positions: np.ndarray) -> Fingerprint:
    pos = positions.astype(np.float32)
    return Fingerprint(
        "text.winnow",
        1,
        MediaKind.TEXT,
        float(pos.max()) + K,
        np.arange(pos.size, dtype=np.uint64),
        pos,
        {"ends": pos + K},
    )


def test_a_phrase_recurring_in_the_reference_does_not_split_the_copy() -> None:
    # The query copies reference characters 1000-1302: 30 fingerprints, 10 characters apart.
    # Every third k-gram (a name and the word after it) also occurs elsewhere in the reference,
    # within reach of the chain but off its diagonal.
    q = np.arange(30) * 10.0
    query_idx = list(range(30))
    ref_pos = list(1000.0 + q)
    for i in range(0, 30, 3):
        query_idx.append(i)
        ref_pos.append(1700.0 - 10 * i)
    found = chain_matches(
        _query(q),
        np.asarray(query_idx),
        np.zeros(len(query_idx), dtype=np.int64),
        np.asarray(ref_pos),
        POLICY,
        item_sizes={0: 200},
    )
    assert len(found) == 1
    m = found[0]
    assert m.score == 30
    assert (m.query_start, m.query_end) == (0.0, 290.0 + K)
    assert (m.ref_start, m.ref_end) == (1000.0, 1290.0 + K)
