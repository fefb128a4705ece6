"""The discovery benchmark end to end on its own sandbox (another seed than the documented run),
through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from jianwang.cli.main import run

KEYS = (
    "title_precision",
    "title_recall",
    "domain_hops_linked",
    "domain_hops_total",
    "icp_extracted",
    "icp_total",
)


def test_bench_discovery_meets_its_targets_on_another_seed(tmp_path: Path) -> None:
    out = tmp_path / "discovery.json"
    assert run(["bench", "discovery", "--out", str(out), "--seed", "11", "--json"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert all(key in doc for key in KEYS)
    assert doc["title_precision"] >= 0.98 and doc["title_recall"] >= 0.95
    assert doc["domain_hops_linked"] == doc["domain_hops_total"] == 1
    assert doc["icp_extracted"] == doc["icp_total"] > 0
    titles = doc["titles"]
    assert titles["true_negatives"] > 0 and titles["by_note"]["common-word"]["fp"] == 0
    assert doc["torrents"]["found"] == doc["torrents"]["total"] > 0
    assert doc["share_links"]["found"] == doc["share_links"]["total"] > 0
    assert doc["passed"] is True
