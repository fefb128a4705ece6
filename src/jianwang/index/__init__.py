"""Fingerprint indexes, stamped with the signal that filled them; a mismatched one is refused."""

from jianwang.index.base import Index, IndexStamp
from jianwang.index.binaryindex import BinaryIndex
from jianwang.index.hashindex import HashIndex
from jianwang.index.segmented import SegmentedHashIndex

__all__ = ["BinaryIndex", "HashIndex", "Index", "IndexStamp", "SegmentedHashIndex"]
