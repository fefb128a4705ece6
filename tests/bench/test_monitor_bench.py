"""The monitoring benchmark end to end on a small corpus it synthesises, and its scoring."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from jianwang.bench.monitor import run_monitor_bench
from jianwang.bench.monitor.result import ItemScore
from jianwang.bench.monitor.run import refetch_share
from jianwang.cli.main import run
from jianwang.media.synth import synth_prose
from jianwang.sandbox.server import ServedRequest

from media_factory import film, song

KEYS = (
    "pages_per_min",
    "media_hours_per_hour",
    "cpu_s_per_item",
    "incremental_refetch_fraction",
    "live_detection_latency_s",
    "detections_correct",
    "detections_expected",
    "false_detections",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three films, three songs and three texts, listed in a MANIFEST like the real corpus's."""
    root = tmp_path_factory.mktemp("corpus")
    rows = []
    for folder in ("video", "audio", "text"):
        (root / folder).mkdir()
    for n in range(3):
        film(root / "video" / f"pkg__film{n}.mp4", seed=800 + n, seconds=14)
        rows.append({"file": f"video/pkg__film{n}.mp4", "kind": "video",
                     "duration_s_or_chars": 14})  # fmt: skip
        song(root / "audio" / f"pkg__song{n}.m4a", seed=810 + n, seconds=30)
        rows.append({"file": f"audio/pkg__song{n}.m4a", "kind": "audio",
                     "duration_s_or_chars": 30})  # fmt: skip
        lang = "en" if n == 0 else "zh"
        body = "\n\n".join(synth_prose(820 + n, lang=lang, n_chapters=3, chapter_chars=3000))
        (root / "text" / f"book{n}.txt").write_text(body, encoding="utf-8")
        rows.append({"file": f"text/book{n}.txt", "kind": f"text-{lang}",
                     "duration_s_or_chars": len(body)})  # fmt: skip
    with (root / "MANIFEST.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "kind", "duration_s_or_chars"])
        writer.writeheader()
        writer.writerows(rows)
    return root


def test_quick_run_finds_every_planted_copy_and_refetches_nothing(corpus: Path) -> None:
    result = run_monitor_bench(corpus, seed=5, progress=lambda *_: None, live=False, quick=True)
    doc = result.to_json()
    assert all(key in doc for key in KEYS)
    full, incremental = doc["full_sweep"], doc["incremental_sweep"]
    assert full["missed"] == [] and full["not_captured"] == [] and full["false_items"] == {}
    assert doc["detections_correct"] == doc["detections_expected"] >= 8
    assert doc["false_detections"] == 0
    assert result.unchanged_items >= 10 and doc["incremental_refetch_fraction"] == 0.0
    assert incremental["captures_new"] >= result.added_items == 6
    assert incremental["new_detections"] >= 3  # a film (picture and sound), a song, a chapter
    assert doc["checks"]["pages_at_least_200"] is None  # a quick run's size is not judged
    assert doc["live"] is None and doc["live_detection_latency_s"] is None
    assert json.loads(json.dumps(doc)) == doc


def test_an_item_is_correct_only_with_its_work_and_the_right_status() -> None:
    def item(
        work: str | None, found: dict[str, tuple[str, ...]], licensed: bool = False
    ) -> ItemScore:
        return ItemScore("s", "t", "video", work, licensed, True, found)

    assert item("A", {"A": ("detected",)}).correct
    assert not item("A", {"A": ("licensed",)}).correct  # a pirate site is not licensed
    assert item("A", {"A": ("licensed",)}, licensed=True).correct
    assert not item("A", {"A": ("detected",)}, licensed=True).correct
    assert item("A", {"A": ("detected",), "B": ("detected",)}).false == 1
    assert item(None, {"B": ("detected",)}).false == 1 and not item(None, {}).correct


def test_refetches_are_counted_from_the_server_side() -> None:
    paths = {
        ("v", "film"): "/media/1.mp4",
        ("v", "hls"): "/hls/2/index.m3u8",
        ("n", "ch"): "/c/1.html",
    }
    unchanged = {"v": {"/media/1.mp4", "/hls/2/index.m3u8"}, "n": {"/c/1.html"}}
    journal = [
        ServedRequest("v", "GET", "/media/1.mp4", 304),
        ServedRequest("v", "GET", "/hls/2/index.m3u8", 304),
        ServedRequest("n", "GET", "/c/1.html", 200),
    ]
    assert refetch_share(paths, unchanged, journal) == (1, 3)
    journal.append(ServedRequest("v", "GET", "/hls/2/seg00001.ts", 200))
    assert refetch_share(paths, unchanged, journal) == (2, 3)
    assert refetch_share(paths, {"v": set()}, journal) == (0, 0)  # changed items are not counted


def test_cli_refuses_a_missing_corpus(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    assert run(["bench", "monitor", "--corpus", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert not out.exists()
