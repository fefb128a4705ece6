"""What every fingerprint index is: a stamp saying which signal filled it, and add/remove/save/load.

The stamp (signal name, version, parameters) is written into the index file and compared exactly
on load: an index built with other parameters holds hashes that can never match the query's, and
silently finding nothing is the worst way to fail.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np

JSONValue = Any
"""A value that survives ``json.dumps``/``json.loads`` unchanged (after normalisation)."""


@dataclass(frozen=True)
class IndexStamp:
    """Which signal, version and parameters produced the codes in an index.

    ``params`` is normalised through a JSON round trip on construction (tuples become lists, keys
    become strings), so a stamp read back from a file compares equal to the one that wrote it.
    """

    signal: str
    version: int
    params: dict[str, JSONValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", json.loads(json.dumps(self.params, sort_keys=True)))

    def to_json(self) -> dict[str, JSONValue]:
        """The stamp as a JSON object."""
        return {"signal": self.signal, "version": self.version, "params": self.params}

    @classmethod
    def from_json(cls, data: dict[str, JSONValue]) -> IndexStamp:
        """Inverse of ``to_json``."""
        return cls(str(data["signal"]), int(data["version"]), dict(data.get("params", {})))

    def differences(self, other: IndexStamp) -> list[str]:
        """Human-readable differences from ``other`` (empty when they are equal)."""
        out: list[str] = []
        if self.signal != other.signal:
            out.append(f"signal {self.signal!r} != {other.signal!r}")
        if self.version != other.version:
            out.append(f"version {self.version} != {other.version}")
        for key in sorted(set(self.params) | set(other.params)):
            mine, theirs = self.params.get(key), other.params.get(key)
            if mine != theirs:
                out.append(f"param {key}={mine!r} != {theirs!r}")
        return out


class Index(ABC):
    """A fingerprint index: codes with their item and position, for one stamped signal."""

    stamp: IndexStamp

    @abstractmethod
    def add(self, item_id: int, codes: np.ndarray, positions: np.ndarray) -> None:
        """Add one item's codes; ``positions[i]`` is where ``codes[i]`` occurs in the item."""

    @abstractmethod
    def remove(self, item_id: int) -> None:
        """Forget an item (no error if it is absent)."""

    @abstractmethod
    def item_ids(self) -> set[int]:
        """Items present."""

    @abstractmethod
    def item_size(self, item_id: int) -> int:
        """How many codes an item holds (0 if absent); used to compute coverage."""

    @abstractmethod
    def save(self, path: str | Path) -> None:
        """Write the index to one file atomically."""

    @classmethod
    @abstractmethod
    def load(cls, path: str | Path, stamp: IndexStamp) -> Self:
        """Read an index, refusing it unless it was written with exactly ``stamp``."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of codes stored."""


@runtime_checkable
class HashLookup(Protocol):
    """An index answering exact hash lookups (the in-memory and the on-disk hash indexes)."""

    def lookup(
        self, hashes: np.ndarray, *, max_postings: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All postings of ``hashes``, as ``(query_idx, item_ids, positions)``."""
        ...
