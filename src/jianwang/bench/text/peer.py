"""The peer to beat: MinHash LSH (datasketch) over character shingles of the same folded text.

Each chapter becomes a MinHash of its 5-character shingles (after the same extraction and folding
Jianwang uses, so the comparison is about matching, not about text cleaning), stored in a
``MinHashLSH`` at datasketch's default Jaccard threshold of 0.5. A query is found when the LSH
returns the chapter. MinHash estimates resemblance of whole documents, so it is expected to miss
excerpts and joined chapters: that is what the comparison shows.
"""

from __future__ import annotations

from jianwang.media.text import fold_for_matching

SHINGLE = 5
NUM_PERM = 128
THRESHOLD = 0.5


class MinHashPeer:
    """Chapters indexed by MinHash LSH; ``query`` returns the item ids it finds for a text."""

    def __init__(self) -> None:
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)

    @staticmethod
    def _minhash(text: str) -> object:
        from datasketch import MinHash

        folded = fold_for_matching(text).text
        shingles = {folded[i : i + SHINGLE] for i in range(max(0, len(folded) - SHINGLE + 1))}
        mh = MinHash(num_perm=NUM_PERM)
        mh.update_batch([s.encode("utf-8") for s in shingles])
        return mh

    def add(self, item_id: int, text: str) -> None:
        self.lsh.insert(str(item_id), self._minhash(text))

    def query(self, text: str) -> set[int]:
        return {int(k) for k in self.lsh.query(self._minhash(text))}


def available() -> bool:
    """Whether datasketch can be imported (the peer is skipped, and said so, when it cannot)."""
    try:
        import datasketch  # noqa: F401
    except ImportError:
        return False
    return True
