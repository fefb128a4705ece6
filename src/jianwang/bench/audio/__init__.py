"""The audio identification benchmark: recall under pirate transformations, false matches, costs.

``run_audio_bench`` reads a corpus folder (``MANIFEST.csv`` plus ``audio/``), splits its music by
a seeded rule into references and held-back negatives (whole tracks, so no negative excerpt was
ever indexed), indexes the references with the signal under test, and queries seeded excerpts of
every reference under every condition (noise, codecs, speed, pitch, tempo) and excerpts of the
negatives. An answer is right when the top match is the right work; where it landed in the work
is scored apart (``offset_accuracy``), because looping music repeats passages exactly and a
match on a repeat is not a wrong identification.

Excerpts are decoded at ``work_rate`` (22.05 kHz) so the codecs, ``atempo`` and pitch shifting
work on decent audio; each transformed excerpt is then resampled by FFmpeg to the signal's rate
and given to ``fingerprint_decoded``, as a downloaded copy would be after decoding. Every excerpt
is cut with a margin and trimmed after the transformation, so filter and codec edges never reach
the query. The same excerpts are used for every condition, so conditions differ only in what was
done to the audio. Costs are CPU time (``time.process_time``), per core: queries run in worker
processes only to shorten the wall time.

The package is cut by job: ``conditions`` (what is measured and the targets), ``settings``,
``corpus`` (manifest and split), ``plan`` (seeded excerpts), ``queries`` (running and judging
them, in worker processes), ``result`` (scores and JSON) and ``run`` (the harness). Its public
names are re-exported here.
"""

from jianwang.bench.audio.conditions import (
    CONDITION_NAMES,
    CONDITIONS,
    FALSE_MATCH_TARGET,
    INDEX_BYTES_PER_HOUR_TARGET,
    INDEX_SPEED_TARGET,
    MIN_NEGATIVE_QUERIES,
    PEERS,
    QUERY_MS_TARGET,
    RECALL_TARGETS,
    Condition,
    Pair,
    duration_label,
    recall_target,
)
from jianwang.bench.audio.corpus import Duplicate, Skipped, Split, Track, read_corpus, split_corpus
from jianwang.bench.audio.plan import Excerpt
from jianwang.bench.audio.queries import (
    OFFSET_TOLERANCE_S,
    REPEAT_CORRELATION,
    ProgressFn,
    QueryOutcome,
    best_correlation,
)
from jianwang.bench.audio.result import (
    EXAMPLES,
    AudioBenchResult,
    ConditionScore,
    IndexCost,
    QueryExample,
)
from jianwang.bench.audio.run import run_audio_bench
from jianwang.bench.audio.settings import AudioBenchSettings

__all__ = [
    "CONDITIONS",
    "CONDITION_NAMES",
    "EXAMPLES",
    "FALSE_MATCH_TARGET",
    "INDEX_BYTES_PER_HOUR_TARGET",
    "INDEX_SPEED_TARGET",
    "MIN_NEGATIVE_QUERIES",
    "OFFSET_TOLERANCE_S",
    "PEERS",
    "QUERY_MS_TARGET",
    "RECALL_TARGETS",
    "REPEAT_CORRELATION",
    "AudioBenchResult",
    "AudioBenchSettings",
    "Condition",
    "ConditionScore",
    "Duplicate",
    "Excerpt",
    "IndexCost",
    "Pair",
    "ProgressFn",
    "QueryExample",
    "QueryOutcome",
    "Skipped",
    "Split",
    "Track",
    "best_correlation",
    "duration_label",
    "read_corpus",
    "recall_target",
    "run_audio_bench",
    "split_corpus",
]
