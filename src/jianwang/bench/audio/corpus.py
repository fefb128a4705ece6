"""The corpus folder's audio files, and the seeded split by whole track.

The manifest reading and the split are shared with the video benchmark
(``jianwang.bench.corpus``); this module picks the rows of kind ``audio``.
"""

from __future__ import annotations

from pathlib import Path

from jianwang.bench.corpus import Duplicate, Skipped, Split, Track, read_manifest, split_corpus

__all__ = ["Duplicate", "Skipped", "Split", "Track", "read_corpus", "split_corpus"]


def read_corpus(corpus: Path) -> tuple[list[Track], list[Skipped]]:
    """The audio files ``MANIFEST.csv`` lists (rows of kind ``audio``).

    Columns used: ``file`` (relative to ``corpus``), ``kind`` and ``duration_s_or_chars``.
    A listed file that is missing, or has no duration, is skipped with a warning.
    """
    return read_manifest(corpus, kind=lambda kind: kind == "audio")
