"""The corpus folder: which files of a kind ``MANIFEST.csv`` lists, and the seeded split.

Reading the manifest and choosing references and held-back negatives are a benchmark's only
contact with the corpus layout; everything after works on ``Track`` values. The audio and video
benchmarks share this code and differ only in which manifest kinds they take and in their
settings (holdout share, shortest file worth indexing).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jianwang.bench.report import file_sha256
from jianwang.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Track:
    """One media file of the corpus (an audio track or a video clip)."""

    file: str
    path: Path
    duration_s: float


@dataclass(frozen=True)
class Skipped:
    """A file left out, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    """A file with the same bytes as another, left out so one work is never two items."""

    file: str
    same_as: str


@dataclass(frozen=True)
class Split:
    """References (indexed, queried) and negatives (never indexed, queried for false matches)."""

    references: tuple[Track, ...]
    negatives: tuple[Track, ...]
    duplicates: tuple[Duplicate, ...]


def read_manifest(
    corpus: Path, *, kind: Callable[[str], bool]
) -> tuple[list[Track], list[Skipped]]:
    """The files ``MANIFEST.csv`` lists whose ``kind`` column ``kind`` accepts.

    Columns used: ``file`` (relative to ``corpus``), ``kind`` and ``duration_s_or_chars``.
    A listed file that is missing, or has no duration, is skipped with a warning.
    """
    manifest = corpus / "MANIFEST.csv"
    if not manifest.is_file():
        raise UserError(f"{corpus}: not a corpus folder (no MANIFEST.csv)")
    tracks: list[Track] = []
    skipped: list[Skipped] = []
    with manifest.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"file", "kind", "duration_s_or_chars"} - set(reader.fieldnames or ())
        if missing:
            raise UserError(f"{manifest}: missing columns {sorted(missing)}")
        for row in reader:
            if not kind(row["kind"]):
                continue
            name, path = row["file"], corpus / row["file"]
            try:
                duration = float(row["duration_s_or_chars"])
            except ValueError:
                skipped.append(Skipped(name, "no duration in the manifest"))
                continue
            if not path.is_file():
                skipped.append(Skipped(name, "listed in the manifest but missing"))
                continue
            tracks.append(Track(name, path, duration))
    for item in skipped:
        log.warning("skipping %s: %s", item.file, item.reason)
    return tracks, skipped


def split_corpus(
    tracks: Sequence[Track], *, seed: int, holdout: float, min_track_s: float
) -> Split:
    """The seeded split, by whole file.

    Byte-identical files are one work: all but the first by name are left out (the corpus
    ships a ringtone twice under two names; indexed twice, a correct answer would look wrong,
    and held back, a true match would count as false). Files of at least ``min_track_s``
    seconds, sorted by name and shuffled with ``seed``, have ``holdout`` of their number held
    back as negatives; shorter files (jingles, samples) are negatives too.
    """
    first_by_hash: dict[str, Track] = {}
    duplicates: list[Duplicate] = []
    for track in sorted(tracks, key=lambda t: t.file):
        digest = file_sha256(track.path)
        if digest in first_by_hash:
            duplicates.append(Duplicate(track.file, first_by_hash[digest].file))
        else:
            first_by_hash[digest] = track
    unique = list(first_by_hash.values())
    music = [t for t in unique if t.duration_s >= min_track_s]
    order = np.random.default_rng([seed, 0]).permutation(len(music))
    held = round(holdout * len(music))
    if holdout > 0 and len(music) >= 2:
        held = min(max(held, 1), len(music) - 1)
    held_idx = {int(i) for i in order[:held]}
    references = tuple(t for i, t in enumerate(music) if i not in held_idx)
    negatives = [t for i, t in enumerate(music) if i in held_idx]
    negatives += [t for t in unique if t.duration_s < min_track_s]
    return Split(references, tuple(sorted(negatives, key=lambda t: t.file)), tuple(duplicates))
