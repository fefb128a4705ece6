"""The contract every signal type meets, so the pipeline, the index and the tests treat them alike.

A signal type turns decoded media into a ``Fingerprint`` (integer codes at positions), says which
index holds its codes and how matches are decided (its ``MatchPolicy``), and ships example inputs
(``examples()``) that one generic test runs over every registered type. Modelled on
ThreatExchange's ``SignalType`` and ``SignalTypeAutoTest``.
"""

from __future__ import annotations

import io
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from jianwang.index.base import Index, IndexStamp

if TYPE_CHECKING:
    from jianwang.media.limits import DecodeLimits

_FP_FORMAT = "jianwang-fingerprint"
_FP_FORMAT_VERSION = 1


class MediaKind(StrEnum):
    """The kind of content a signal reads."""

    AUDIO = "audio"
    VIDEO = "video"
    TEXT = "text"


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """The codes of one input at their positions (seconds for media, original characters for text).

    ``extra`` holds per-signal side arrays (a video frame's flipped hash, a text k-gram's end
    offset). ``to_bytes`` gives a self-describing blob (npz + JSON header, no pickle) so
    fingerprints can sit in a database and indexes can be rebuilt without decoding media again.
    """

    signal: str
    version: int
    kind: MediaKind
    length: float
    codes: np.ndarray
    positions: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.codes.size)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to match (silence, blank frames, too short)."""
        return self.codes.size == 0

    def to_bytes(self) -> bytes:
        """Serialise without pickle."""
        header = {
            "format": _FP_FORMAT,
            "format_version": _FP_FORMAT_VERSION,
            "signal": self.signal,
            "version": self.version,
            "kind": self.kind.value,
            "length": self.length,
            "extra": sorted(self.extra),
        }
        arrays = {"codes": self.codes, "positions": self.positions}
        arrays.update({f"extra.{k}": v for k, v in self.extra.items()})
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, allow_pickle=False, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Fingerprint:
        """Inverse of ``to_bytes``; ``ValueError`` for anything that is not such a blob."""
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            header = json.loads(arrays.pop("header").tobytes().decode())
        except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
            raise ValueError(f"not a fingerprint blob: {exc}") from exc
        if header.get("format") != _FP_FORMAT or header.get("format_version") != _FP_FORMAT_VERSION:
            raise ValueError("not a fingerprint blob of a known format")
        return cls(
            signal=str(header["signal"]),
            version=int(header["version"]),
            kind=MediaKind(header["kind"]),
            length=float(header["length"]),
            codes=arrays["codes"],
            positions=arrays["positions"],
            extra={k: arrays[f"extra.{k}"] for k in header["extra"]},
        )


@dataclass(frozen=True)
class TemporalPolicy:
    """How media matches are decided by ``jianwang.matching.temporal``.

    Candidate (query time, reference time) pairs of one item vote for a (speed, offset) cell; the
    best cell is accepted when it holds at least ``min_aligned`` distinct query positions AND its
    count is improbable under chance: the Poisson tail probability of that count, given the item's
    pair density spread over all cells, times the number of cells tried (Bonferroni), is at most
    ``alpha``. ``speed`` is reference seconds per query second (1.1 = the copy plays 10% fast).

    ``min_rate`` guards against structured coincidences that the chance model does not foresee
    (the same accompaniment in two songs at nearby tempos lines up like a sped-up copy, a little
    each bar): the aligned query positions per second of the matched span must reach it. A copy
    aligns most of its landmarks; a coincidence only the few that repeat.

    ``off_speed_min_rate`` asks the same of matches whose speed is off by at least
    ``off_speed``: two pieces sharing a motif at nearby tempos line up only off speed (at the
    same tempo they would have to be one recording), and only sparsely, while a sped-up copy
    still aligns densely.

    ``chance_from_index`` takes the chance level of a query position from its hits over the whole
    index (``postings_per_second`` stored codes per second of reference), not from the item's own
    pairs; for near-neighbour frame hashes, where a film's own frames resemble each other.
    """

    min_aligned: int
    min_rate: float = 0.0
    off_speed: float = 0.02
    off_speed_min_rate: float = 0.0
    alpha: float = 1e-6
    speed_min: float = 1.0
    speed_max: float = 1.0
    speed_step: float = 0.01
    offset_bin: float = 0.1
    max_segments: int = 2
    max_distance: int = 0
    max_neighbours: int | None = None
    chance_from_index: bool = False
    postings_per_second: float = 0.0


@dataclass(frozen=True)
class TextPolicy:
    """How text matches are decided by ``jianwang.matching.text``.

    Shared fingerprints are chained along the diagonal; a chain is a match when it holds at least
    ``min_shared`` distinct query fingerprints AND at least ``min_density`` of the query's
    fingerprints inside the chain's span are shared. Chance hits on stock phrases are sparse, so
    the density test rejects them however long the texts are. Gaps up to ``max_gap`` original
    characters (inserted ads, dropped paragraphs) do not break a chain.
    """

    min_shared: int
    min_density: float
    max_gap: float = 1500.0
    max_segments: int = 3


MatchPolicy = TemporalPolicy | TextPolicy


@dataclass(frozen=True)
class ExampleInput:
    """One decoded input for the generic test, with a label saying what was done to it."""

    label: str
    data: Any


@dataclass(frozen=True)
class SignalExample:
    """A reference, copies of it that must match, and unrelated inputs that must not."""

    name: str
    reference: Any
    same: list[ExampleInput]
    different: list[ExampleInput]


class SignalType(ABC):
    """A fingerprinting method: how to decode, fingerprint, index and decide matches."""

    name: ClassVar[str]
    version: ClassVar[int]
    kind: ClassVar[MediaKind]

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Parameters that change the codes (JSON-able); part of the index stamp."""

    def stamp(self) -> IndexStamp:
        """The stamp of indexes holding this signal's codes."""
        return IndexStamp(self.name, self.version, self.params())

    @abstractmethod
    def index_class(self) -> type[Index]:
        """The index class that stores this signal's codes."""

    def new_index(self) -> Index:
        """An empty index stamped for this signal."""
        return self.index_class()(self.stamp())  # type: ignore[call-arg]

    def load_index(self, path: str | Path) -> Index:
        """Load an index, refusing one built by another signal, version or parameter set."""
        return self.index_class().load(path, self.stamp())

    @abstractmethod
    def fingerprint(self, source: str | Path, *, limits: DecodeLimits | None = None) -> Fingerprint:
        """Decode ``source`` through the media layer and fingerprint it."""

    @abstractmethod
    def fingerprint_decoded(self, data: object) -> Fingerprint:
        """Fingerprint the canonical decoded form (PCM array, frames, or text)."""

    def add_to_index(self, index: Index, item_id: int, fp: Fingerprint) -> None:
        """Store a reference fingerprint under ``item_id``."""
        self.check(fp)
        index.add(item_id, fp.codes, fp.positions)

    def query_codes(self, fp: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
        """Codes and positions to look up for a query (a signal may add variants, e.g. speeds)."""
        self.check(fp)
        return fp.codes, fp.positions

    def estimate_pitch_shift(
        self,
        query: Fingerprint,
        reference: Fingerprint,
        query_t: np.ndarray,
        ref_t: np.ndarray,
    ) -> float | None:
        """Semitones a copy sounds above its reference, from the aligned hits (pairs of query and
        reference positions); ``None`` for signals without a pitch axis."""
        return None

    @abstractmethod
    def compare(self, a: Fingerprint, b: Fingerprint) -> float:
        """A similarity in [0, 1]: roughly the share of ``a`` found in ``b``.

        A quick, unaligned score for ranking and tests; decisions go through
        ``jianwang.matching.match`` and the ``match_policy``.
        """

    @abstractmethod
    def match_policy(self) -> MatchPolicy:
        """The calibrated decision rule for matches of this signal."""

    @abstractmethod
    def examples(self) -> list[SignalExample]:
        """Generated inputs for the generic test."""

    def check(self, fp: Fingerprint) -> None:
        """Refuse a fingerprint made by another signal or version."""
        if fp.signal != self.name or fp.version != self.version:
            raise ValueError(
                f"fingerprint of {fp.signal} v{fp.version} given to {self.name} v{self.version}"
            )

    def empty_fingerprint(self, length: float = 0.0) -> Fingerprint:
        """A fingerprint with no codes (silence, blank frames, empty text)."""
        return Fingerprint(
            self.name,
            self.version,
            self.kind,
            float(length),
            np.zeros(0, dtype=np.uint64),
            np.zeros(0, dtype=np.float32),
        )
