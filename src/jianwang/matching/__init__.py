"""Query an index with a fingerprint, align candidates, and decide matches honestly."""

from jianwang.matching.engine import ReferenceSource, match
from jianwang.matching.result import SegmentMatch

__all__ = ["ReferenceSource", "SegmentMatch", "match"]
