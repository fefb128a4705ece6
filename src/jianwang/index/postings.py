"""Columns of (code, item, position) postings that grow by appending, not by rebuilding.

Inserts go to a list of pending chunks; the consolidated arrays are rebuilt lazily, once, at the
first read after a change. Adding a thousand references therefore costs one concatenation (and
one sort for the hash index), not a thousand.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import ClassVar, Self

import numpy as np

from jianwang.index.base import Index, IndexStamp
from jianwang.index.storage import read_index_file, write_index_file

log = logging.getLogger(__name__)


class PostingStore:
    """Parallel ``codes`` (uint64), ``items`` (int32) and ``positions`` (float32) columns.

    With ``sort=True`` the consolidated columns are ordered by code (stable, so an item's postings
    keep their order), which is what lets the hash index answer lookups by binary search.
    """

    def __init__(self, *, sort: bool) -> None:
        self._sort = sort
        self._codes = np.zeros(0, dtype=np.uint64)
        self._items = np.zeros(0, dtype=np.int32)
        self._positions = np.zeros(0, dtype=np.float32)
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._counts: Counter[int] = Counter()

    def append(self, item_id: int, codes: np.ndarray, positions: np.ndarray) -> None:
        """Queue one item's postings; validated here so a bad call fails at its source."""
        codes = np.asarray(codes)
        positions = np.asarray(positions, dtype=np.float32).ravel()
        if codes.ndim != 1 or codes.shape != positions.shape:
            raise ValueError(
                f"codes and positions must be 1-D of equal length, got {codes.shape} and "
                f"{positions.shape}"
            )
        if codes.size and not np.issubdtype(codes.dtype, np.integer):
            raise ValueError(f"codes must be integers, got {codes.dtype}")
        if not -(2**31) <= item_id < 2**31:
            raise ValueError(f"item_id {item_id} does not fit in int32")
        if codes.size == 0:
            return
        items = np.full(codes.shape, item_id, dtype=np.int32)
        self._pending.append((codes.astype(np.uint64), items, positions))
        self._counts[item_id] += int(codes.size)

    def remove(self, item_id: int) -> None:
        """Drop every posting of ``item_id``."""
        if item_id not in self._counts:
            return
        self.consolidate()
        keep = self._items != item_id
        self._codes, self._items = self._codes[keep], self._items[keep]
        self._positions = self._positions[keep]
        del self._counts[item_id]

    def consolidate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The consolidated ``(codes, items, positions)``, merging pending chunks if any."""
        if self._pending:
            codes = np.concatenate([self._codes, *(p[0] for p in self._pending)])
            items = np.concatenate([self._items, *(p[1] for p in self._pending)])
            positions = np.concatenate([self._positions, *(p[2] for p in self._pending)])
            self._pending.clear()
            if self._sort:
                order = np.argsort(codes, kind="stable")
                codes, items, positions = codes[order], items[order], positions[order]
            self._codes, self._items, self._positions = codes, items, positions
        return self._codes, self._items, self._positions

    def load_columns(self, codes: np.ndarray, items: np.ndarray, positions: np.ndarray) -> None:
        """Replace the contents with saved columns (re-sorted if this store keeps code order)."""
        if not codes.shape == items.shape == positions.shape or codes.ndim != 1:
            raise ValueError("index columns have different lengths")
        if self._sort and codes.size > 1 and np.any(codes[1:] < codes[:-1]):
            order = np.argsort(codes, kind="stable")
            codes, items, positions = codes[order], items[order], positions[order]
        self._codes = codes.astype(np.uint64, copy=False)
        self._items = items.astype(np.int32, copy=False)
        self._positions = positions.astype(np.float32, copy=False)
        self._pending.clear()
        ids, counts = np.unique(self._items, return_counts=True)
        self._counts = Counter({int(i): int(c) for i, c in zip(ids, counts, strict=True)})

    def item_ids(self) -> set[int]:
        """Items with at least one posting."""
        return set(self._counts)

    def item_size(self, item_id: int) -> int:
        """Postings held for ``item_id``."""
        return self._counts.get(item_id, 0)

    def __len__(self) -> int:
        return sum(self._counts.values())


class PostingIndex(Index):
    """An index kept as posting columns: what the hash and binary-code indexes share.

    Subclasses name their file ``KIND``, the three saved columns ``COLUMNS`` and whether postings
    stay sorted by code (``SORTED``); they add their own way of answering queries.
    """

    KIND: ClassVar[str]
    COLUMNS: ClassVar[tuple[str, str, str]]
    SORTED: ClassVar[bool]

    def __init__(self, stamp: IndexStamp) -> None:
        self.stamp = stamp
        self._store = PostingStore(sort=self.SORTED)

    def add(self, item_id: int, codes: np.ndarray, positions: np.ndarray) -> None:
        """Append an item's codes and positions; nothing is rebuilt until the next read."""
        self._store.append(item_id, codes, positions)

    def remove(self, item_id: int) -> None:
        """Forget an item."""
        self._store.remove(item_id)

    def item_ids(self) -> set[int]:
        """Items present."""
        return self._store.item_ids()

    def item_size(self, item_id: int) -> int:
        """Codes held for ``item_id``."""
        return self._store.item_size(item_id)

    def __len__(self) -> int:
        return len(self._store)

    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` atomically."""
        columns = self._store.consolidate()
        write_index_file(path, self.KIND, self.stamp, dict(zip(self.COLUMNS, columns, strict=True)))
        log.info(
            "saved %s (%d codes, %d items) to %s",
            self.KIND,
            columns[0].size,
            len(self.item_ids()),
            path,
        )

    @classmethod
    def load(cls, path: str | Path, stamp: IndexStamp) -> Self:
        """Read an index written with exactly ``stamp`` (else ``IndexMismatchError``)."""
        arrays = read_index_file(path, cls.KIND, stamp)
        index = cls(stamp)
        index._store.load_columns(*(arrays[name] for name in cls.COLUMNS))
        return index
