"""The scale benchmark in quick mode on a small synthesised corpus, and its projection's
arithmetic: the projection must follow from the measured figures, not be typed in."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from jianwang.bench.scale_plan import KindCost, Measured, ProjectionInputs, project
from jianwang.cli.main import run
from jianwang.media.synth import synth_prose

from media_factory import film, song

KEYS = (
    "items_per_min_1w",
    "items_per_min_2w",
    "cpu_s_per_step",
    "lost_jobs",
    "duplicate_detections",
    "same_detections_1w_2w",
    "projection",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two films, two songs and a short text, listed in a MANIFEST like the real corpus's."""
    root = tmp_path_factory.mktemp("corpus")
    rows = []
    for folder in ("video", "audio", "text"):
        (root / folder).mkdir()
    for n in range(2):
        film(root / "video" / f"pkg__film{n}.mp4", seed=900 + n, seconds=14)
        rows.append({"file": f"video/pkg__film{n}.mp4", "kind": "video",
                     "duration_s_or_chars": 14})  # fmt: skip
        song(root / "audio" / f"pkg__song{n}.m4a", seed=910 + n, seconds=30)
        rows.append({"file": f"audio/pkg__song{n}.m4a", "kind": "audio",
                     "duration_s_or_chars": 30})  # fmt: skip
    body = "\n\n".join(synth_prose(920, lang="zh", n_chapters=3, chapter_chars=2000))
    (root / "text" / "book0.txt").write_text(body, encoding="utf-8")
    rows.append({"file": "text/book0.txt", "kind": "text-zh", "duration_s_or_chars": len(body)})
    with (root / "MANIFEST.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "kind", "duration_s_or_chars"])
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.mark.slow
def test_quick_run_loses_and_duplicates_nothing(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    assert run(["bench", "scale", "--corpus", str(corpus), "--out", str(out), "--quick"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    for key in KEYS:
        assert key in doc, key
    assert doc["lost_jobs"] == 0
    assert doc["duplicate_detections"] == 0
    assert doc["duplicate_captures"] == 0
    assert doc["same_detections_1w_2w"] is True
    assert doc["runs"]["1w"]["worker_processes"] == 1
    assert doc["runs"]["1w"]["captures"] == doc["runs"]["2w"]["captures"] > 0
    assert doc["items_per_min_1w"] > 0 and doc["items_per_min_2w"] > 0
    assert doc["cpu_s_per_step"]["per_item"] > 0
    projection = doc["projection"]
    assert projection["sampled_streams"]["worker_cores"] > 0
    assert projection["measured"]["index_bytes_per_reference_hour"] > 0

    # The projection is computed from the measured figures: rebuilt from the JSON's own
    # inputs, and again with twice the items a day, which must need twice the cores.
    measured = Measured(
        video=KindCost(**_cost(projection["measured"]["video"])),
        music=KindCost(**_cost(projection["measured"]["music"])),
        capture_bytes_per_media_hour=projection["measured"]["capture_bytes_per_media_hour"],
        evidence_bytes_per_item=projection["measured"]["evidence_bytes_per_item"],
        index_bytes_per_reference_hour=projection["measured"]["index_bytes_per_reference_hour"],
    )
    inputs = ProjectionInputs(**projection["inputs"])
    again = project(measured, inputs)
    assert again["worker_cores"] == pytest.approx(projection["sampled_streams"]["worker_cores"])
    doubled = ProjectionInputs(
        **{
            **projection["inputs"],
            "video_items_per_site_day": 2 * inputs.video_items_per_site_day,
            "music_items_per_site_day": 2 * inputs.music_items_per_site_day,
        }
    )
    assert project(measured, doubled)["worker_cores"] == pytest.approx(
        2 * again["worker_cores"], rel=1e-3
    )


def _cost(figures: dict[str, float]) -> dict[str, float]:
    return {k: figures[k] for k in ("cpu_s_per_item", "mean_item_s", "items")}


def test_projection_formulas_by_hand() -> None:
    measured = Measured(
        video=KindCost(cpu_s_per_item=3.0, mean_item_s=30.0, items=10),
        music=KindCost(cpu_s_per_item=1.0, mean_item_s=60.0, items=10),
        capture_bytes_per_media_hour=1e9,
        evidence_bytes_per_item=1e5,
        index_bytes_per_reference_hour=2e6,
    )
    inputs = ProjectionInputs(
        video_sites=1,
        music_sites=1,
        video_items_per_site_day=100,
        music_items_per_site_day=100,
        video_item_min=45,
        music_item_min=4,
        protection_hours=5000,
        utilisation=0.5,
    )
    sampled = project(measured, inputs)
    # video: 45 min > 15 min, sampled to 5 x 60 s = 300 s: 3 s per 30 s -> 30 s per item
    assert sampled["video_cpu_s_per_item"] == pytest.approx(30.0)
    # music: 240 s at 1 s per 60 s -> 4 s per item
    assert sampled["music_cpu_s_per_item"] == pytest.approx(4.0)
    assert sampled["worker_cores"] == pytest.approx((100 * 30 + 100 * 4) / (86_400 * 0.5))
    assert sampled["index_gb"] == pytest.approx(10.0)
    whole = project(measured, inputs, sampled=False)
    assert whole["video_cpu_s_per_item"] == pytest.approx(270.0)  # 2700 s at 0.1 s per s
    assert whole["capture_gb_per_day"] == pytest.approx((100 * 2700 + 100 * 240) / 3600)
