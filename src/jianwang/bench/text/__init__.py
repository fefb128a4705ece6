"""The literature benchmark: chapters found in pirate pages, false positives, costs, and a peer.

``run_text_bench`` reads the corpus's texts (``MANIFEST.csv`` rows of kind ``text*``), holds back
a quarter of each language's texts (never indexed), cuts the others at paragraph ends into
chapters of 2-6 k characters, and indexes each chapter as an item with the text signal. Every
chapter is then copied the ways literature sites copy (``conditions.TRANSFORMS``, made in
``plan``) and the held-back chapters are queried in pirate pages: any match is a false positive.
MinHash LSH (datasketch) runs on the same queries as the peer to beat (``peer``). ``result``
scores the run and gives its JSON form.
"""

from jianwang.bench.text.conditions import (
    FALSE_POSITIVE_TARGET,
    PEER,
    RECALL_TARGETS,
    SPAN_ERROR_TARGET,
    THROUGHPUT_TARGET,
    TRANSFORMS,
)
from jianwang.bench.text.result import QueryOutcome, TextBenchResult
from jianwang.bench.text.run import run_text_bench

__all__ = [
    "FALSE_POSITIVE_TARGET",
    "PEER",
    "RECALL_TARGETS",
    "SPAN_ERROR_TARGET",
    "THROUGHPUT_TARGET",
    "TRANSFORMS",
    "QueryOutcome",
    "TextBenchResult",
    "run_text_bench",
]
