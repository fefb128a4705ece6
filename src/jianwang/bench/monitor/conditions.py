"""The monitoring issue's targets."""

from __future__ import annotations

from jianwang.bench.report import Target

REFETCH_TARGET = Target(0.05, at_least=False)  # incremental sweep: under 5 % of unchanged items
LIVE_LATENCY_TARGET = Target(30.0, at_least=False)  # seconds from on air to detection recorded
RECALL_TARGET = Target(1.0)  # every expected detection
FALSE_TARGET = Target(0, at_least=False)  # no false detection
MIN_PAGES = 200
MIN_MEDIA_ITEMS = 100
