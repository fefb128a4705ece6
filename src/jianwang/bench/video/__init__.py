"""The video copy-detection benchmark: detection under pirate edits, false positives, costs.

``run_video_bench`` reads a corpus folder (``MANIFEST.csv`` plus ``video/``), splits its clips by
a seeded rule into references (about two thirds, indexed) and held-back negatives (never
indexed), and indexes the references with the video signal under test. Every reference is then
copied under every transform (``conditions.TRANSFORMS``: a low-bitrate re-encode, mirroring,
cropping, a logo and subtitles, letterboxing, a camcorder, picture in picture, embedding in
other video, colour and speed changes) from one seeded 10-20 s excerpt (the whole clip when
shorter): decoded with PyAV, changed with NumPy/SciPy (``jianwang.media.picture``), re-encoded as
H.264 to a temporary file, and fingerprinted from that file as a downloaded copy would be. The
held-back clips, whole, and minutes of synthetic video are queried too: any match is a false
positive. A copy is detected when the top match is the right reference (and, for an embedded
copy, its matched span overlaps the copy); the matched span's IoU with the copy's is scored for
embedded and letterboxed copies. Costs are CPU time (``time.process_time``), per core: queries
run in worker processes only to shorten the wall time. Fingerprinting speed is measured on
1080p and 480p clips made from corpus clips, lookup time on indexes of one to four million random
frames, extrapolated to 15 million.

The package is cut by job like the audio benchmark: ``conditions`` (transforms and targets),
``settings``, ``plan`` (seeded queries), ``copies`` (making a query file), ``queries`` (running
and judging them, in worker processes), ``costs`` (speed and lookup), ``result`` (scores and
JSON) and ``run`` (the harness). Its public names are re-exported here.
"""

from jianwang.bench.video.conditions import (
    BYTES_PER_HOUR_TARGET,
    DETECTION_TARGETS,
    FALSE_POSITIVE_TARGET,
    LOOKUP_AT_FRAMES,
    LOOKUP_MS_TARGET,
    PEER_NAMES,
    PEERS,
    SEGMENT_IOU_TARGET,
    SPAN_TRANSFORMS,
    TRANSFORM_NAMES,
    TRANSFORMS,
    X_REALTIME_480P_TARGET,
    X_REALTIME_1080P_TARGET,
    VideoTransform,
)
from jianwang.bench.video.copies import MadeQuery, background, letterbox_aspect, make_query
from jianwang.bench.video.costs import (
    LOOKUP_SCALES,
    LookupCost,
    LookupPoint,
    SpeedCost,
    measure_lookup,
    measure_speed,
    random_index,
    speed_sources,
)
from jianwang.bench.video.plan import VideoQuery, plan_queries
from jianwang.bench.video.queries import ProgressFn, QueryOutcome, span_iou
from jianwang.bench.video.result import (
    EXAMPLES,
    QueryExample,
    ReferenceIndexCost,
    TransformScore,
    VideoBenchResult,
)
from jianwang.bench.video.run import is_video_kind, read_video_corpus, run_video_bench
from jianwang.bench.video.settings import VideoBenchSettings

__all__ = [
    "BYTES_PER_HOUR_TARGET",
    "DETECTION_TARGETS",
    "EXAMPLES",
    "FALSE_POSITIVE_TARGET",
    "LOOKUP_AT_FRAMES",
    "LOOKUP_MS_TARGET",
    "LOOKUP_SCALES",
    "PEERS",
    "PEER_NAMES",
    "SEGMENT_IOU_TARGET",
    "SPAN_TRANSFORMS",
    "TRANSFORMS",
    "TRANSFORM_NAMES",
    "X_REALTIME_480P_TARGET",
    "X_REALTIME_1080P_TARGET",
    "LookupCost",
    "LookupPoint",
    "MadeQuery",
    "ProgressFn",
    "QueryExample",
    "QueryOutcome",
    "ReferenceIndexCost",
    "SpeedCost",
    "TransformScore",
    "VideoBenchResult",
    "VideoBenchSettings",
    "VideoQuery",
    "VideoTransform",
    "background",
    "is_video_kind",
    "letterbox_aspect",
    "make_query",
    "measure_lookup",
    "measure_speed",
    "plan_queries",
    "random_index",
    "read_video_corpus",
    "run_video_bench",
    "span_iou",
    "speed_sources",
]
