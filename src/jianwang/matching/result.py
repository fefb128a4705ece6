"""What a match says: which item, which part of the query copies which part of the reference."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentMatch:
    """One copied segment.

    Spans are in seconds for audio and video and in characters of the original (extracted) text
    for text; ``*_end`` is exclusive for text. ``score`` is the evidence count the decision rule
    counted: distinct aligned query anchor times (audio), aligned query frames (video), or shared
    winnowed fingerprints (text). ``speed`` is reference seconds per query second (1.05: the copy
    plays 5% fast); always 1.0 for text. ``coverage`` is the share of the reference item's
    fingerprints found (text), ``None`` where it is not computed. ``pitch_shift`` is how many
    semitones the copy sounds above the reference (audio; ``None`` where the signal has no pitch
    axis): about +0.84 for a copy resampled 5 % fast, +1 for a semitone up with the tempo kept.
    """

    item_id: int
    signal: str
    score: float
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    speed: float
    coverage: float | None = None
    pitch_shift: float | None = None
