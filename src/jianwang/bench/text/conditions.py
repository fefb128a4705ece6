"""The text benchmark's transforms and the figures it is judged by.

Which pirate changes a literature site makes (``TRANSFORMS``, made in ``plan``), the issue's
recall targets, and the cost targets, kept apart from the code that makes and runs queries.
"""

from __future__ import annotations

from types import MappingProxyType

from jianwang.bench.report import Target

TRANSFORMS: tuple[str, ...] = (
    "verbatim_page",
    "reflowed",
    "ads_inserted",
    "traditional",
    "replaced_1pct",
    "excerpt_500",
    "joined",
)
"""verbatim in an HTML page with boilerplate; re-wrapped with full-width punctuation; a spam line
every third paragraph; traditional characters (Chinese only); 1 % of characters replaced; a
500-character excerpt; two chapters in one page (both must be found)."""
CHINESE_ONLY: frozenset[str] = frozenset({"traditional"})

RECALL_TARGETS = MappingProxyType(
    {
        "verbatim_page": Target(0.99),
        "reflowed": Target(0.99),
        "ads_inserted": Target(0.98),
        "traditional": Target(0.98),
        "replaced_1pct": Target(0.95),
        "excerpt_500": Target(0.95),
        "joined": Target(0.95),
    }
)
FALSE_POSITIVE_TARGET = Target(0.0, at_least=False)
SPAN_ERROR_TARGET = Target(50.0, at_least=False)
THROUGHPUT_TARGET = Target(5.0)
"""MB of served page or text per CPU second, extraction included."""

PEER = "minhash_lsh"
