"""The monitoring benchmark: sweep a sandbox of pirate sites twice and watch a live channel.

``run_monitor_bench`` chooses protected works from the corpus, makes pirated copies of some of
them among many unrelated items on four local sites (video with files and HLS, music, novels,
and a licensed platform; see ``plan``), serves them from a child process (``server``), sweeps
every site once in full and, after each site publishes a few new items, once incrementally, then
puts a live HLS channel on air that switches to a protected film at a known moment. ``result``
scores detections against the planted answers and gives the JSON form with the issue's keys.
"""

from jianwang.bench.monitor.conditions import (
    FALSE_TARGET,
    LIVE_LATENCY_TARGET,
    MIN_MEDIA_ITEMS,
    MIN_PAGES,
    REFETCH_TARGET,
)
from jianwang.bench.monitor.result import MonitorBenchResult
from jianwang.bench.monitor.run import run_monitor_bench

__all__ = [
    "FALSE_TARGET",
    "LIVE_LATENCY_TARGET",
    "MIN_MEDIA_ITEMS",
    "MIN_PAGES",
    "REFETCH_TARGET",
    "MonitorBenchResult",
    "run_monitor_bench",
]
